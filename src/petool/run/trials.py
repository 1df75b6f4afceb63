"""Repeated trials (``--trials K``): trial ``t`` runs every task with seed ``seed + t``.

Each trial is scored on its own; :func:`aggregate` turns the K scorer outputs into one of the
same shape holding the mean of every number (the blocks of metrics.json, so tables, reports and
comparisons read a K-trial run as they read a single one) and another holding the sample
standard deviation (``metrics.json`` ``trials.std``). A run with K = 1 writes metrics.json
exactly as before.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from petool.run.health import RunHealth
from petool.run.record import Metrics, RunInfo, TrialSummary
from petool.run.rescore import score_run, totals
from petool.schema import Prediction, Suite, Task


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def _combine(values: Sequence[Any]) -> tuple[Any, Any]:
    """(mean tree, std tree) of one node over trials; a non-number keeps the first value."""
    first = values[0]
    if isinstance(first, dict):
        mean: dict[str, Any] = {}
        std: dict[str, Any] = {}
        for key in first:
            present = [v[key] for v in values if isinstance(v, dict) and key in v]
            m, s = _combine(present)
            mean[key] = m
            if s is not None:
                std[key] = s
        return mean, std or None
    if _is_number(first) and all(_is_number(v) for v in values):
        m, s = _mean_std([float(v) for v in values])
        if isinstance(first, int) and all(isinstance(v, int) for v in values) and s == 0:
            return first, 0
        return round(m, 6), round(s, 6)
    return first, None


def aggregate(per_trial: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The mean and the sample std, key by key, of K scorer outputs of the same shape."""
    if not per_trial:
        return {}, {}
    mean, std = _combine(list(per_trial))
    return mean, std or {}


def trial_seeds(seed: int, trials: int) -> list[int]:
    """The seeds of a run's trials: ``seed, seed + 1, ..., seed + trials - 1``."""
    return [seed + t for t in range(trials)]


def score_trials(
    suite: Suite,
    tasks: list[Task],
    predictions: list[Prediction],
    spec: str,
    info: RunInfo | None,
    seeds: list[int],
    max_error_rate: float,
    stopped_early: str | None,
) -> Metrics:
    """One trial: the run's metrics. K trials: each scored alone, then their mean and std."""

    def one(trial: int) -> Metrics:
        return score_run(
            suite,
            tasks,
            [p for p in predictions if p.trial == trial],
            backend=spec,
            run=info,
            max_error_rate=max_error_rate,
            stopped_early=stopped_early,
        )

    if len(seeds) == 1:
        return one(0)
    per = [one(t) for t in range(len(seeds))]
    mean, std = aggregate([m.scored for m in per])
    usage, timing = totals([p for p in predictions if p.id in {t.id for t in tasks}])
    health = _worst_health([m.health for m in per if m.health is not None])
    head = {"suite": suite.name, "backend": spec, "status": health.status if health else None}
    summary = TrialSummary(k=len(seeds), seeds=seeds, std=std, per_trial=[m.scored for m in per])
    tail = {"usage": usage, "timing": timing, "health": health, "trials": summary}
    return Metrics.model_validate(head | mean | tail | ({"run": info} if info else {}))


def _worst_health(healths: list[RunHealth]) -> RunHealth | None:
    """The health of a K-trial run: counts summed over trials, the worst status."""
    if not healths:
        return None
    order = ["complete", "partial", "failed"]
    causes: Counter[str] = Counter()
    for h in healths:
        causes.update(h.errors_by_cause)
    return RunHealth(
        status=max((h.status for h in healths), key=order.index),
        n=sum(h.n for h in healths),
        answered=sum(h.answered for h in healths),
        backend_errors=sum(h.backend_errors for h in healths),
        parse_errors=sum(h.parse_errors for h in healths),
        missing=sum(h.missing for h in healths),
        errors_by_cause=dict(causes.most_common()),
        max_error_rate=healths[0].max_error_rate,
        stopped_early=next((h.stopped_early for h in healths if h.stopped_early), None),
    )
