"""petool's unified metrics: the same numbers for every suite, with breakdowns and error counts.

Output of :func:`score_unified` (the caller adds ``suite`` and ``backend``)::

    {
      "n": 120,
      "overall": {METRICS},
      "by_mode": {"preferred" | "rated" | "chronological" | "none": {METRICS}},
      "by_history_length": {"0" | "1-3" | "4-6" | "7-10" | "11-20" | "21+": {METRICS}},
      "by_category": {CATEGORY (or "none"): {METRICS}},
      "errors": {LABEL: count, ...every label of ERROR_LABELS...},
      "error_rates": {LABEL: count / n, ...},
      "errors_by_mode": {MODE: {LABEL: count, ...}},
    }

``METRICS`` holds the counts ``n``, ``missing``, ``parse_errors``, ``backend_errors``,
``no_calls`` (always present, so a broken parser cannot hide as a low score) and the fractions
``tool_accuracy``, ``parameter_accuracy``, ``call_accuracy`` (over all ``n`` tasks),
``argument_accuracy`` (recall over gold arguments of tasks with a gold call),
``argument_precision``, ``argument_f1`` and ``abstention`` (``n`` tasks whose gold is no call,
``accuracy`` there, and ``false_abstention_rate`` over tasks with a gold call). A fraction whose
denominator is zero is ``null``, never 0.0; empty groups are left out of the breakdowns.

A task with no prediction is scored wrong and counted as ``missing``: never skipped. How tools,
parameters and abstention are judged is described in :mod:`petool.scoring.taxonomy`; how values
are compared in :mod:`petool.scoring.values`. Parameter accuracy is judged independently of the
tool name, following PEToolBench's official metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from petool.schema import HISTORY_MODES, Prediction, Suite, Task, Tool
from petool.scoring.registry import register_scorer
from petool.scoring.taxonomy import ERROR_LABELS, TaskOutcome, task_outcome

HISTORY_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-3", 1, 3),
    ("4-6", 4, 6),
    ("7-10", 7, 10),
    ("11-20", 11, 20),
    ("21+", 21, None),
)
NO_MODE = "none"
NO_CATEGORY = "none"

Scored = tuple[Task, TaskOutcome]


def history_length(task: Task) -> int:
    """The task's history length: ``meta.history_length`` when set, else the history's size."""
    if task.meta.history_length is not None:
        return task.meta.history_length
    return len(task.user.history)


def history_bin(length: int) -> str:
    """The breakdown key of a history length (``"0"``, ``"1-3"``, …, ``"21+"``)."""
    for key, low, high in HISTORY_BINS:
        if length >= low and (high is None or length <= high):
            return key
    return HISTORY_BINS[0][0]  # a negative length: treat as no history


def _frac(num: int, den: int) -> float | None:
    return num / den if den else None


def group_metrics(scored: Sequence[Scored]) -> dict[str, Any]:
    """The metrics of one group of judged tasks (see the module docstring for the keys)."""
    outcomes = [o for _, o in scored]
    n = len(outcomes)
    statuses = [o["status"] for o in outcomes]
    gold_n = sum(o["gold_arguments"] for o in outcomes)
    gold_hit = sum(o["correct_arguments"] for o in outcomes)
    pred_n = sum(o["predicted_arguments"] for o in outcomes)
    pred_hit = sum(o["correct_predicted_arguments"] for o in outcomes)
    recall, precision = _frac(gold_hit, gold_n), _frac(pred_hit, pred_n)
    if recall is None or precision is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    abstain = [o for t, o in scored if not t.gold]
    act = [o for t, o in scored if t.gold]
    return {
        "n": n,
        "tool_accuracy": _frac(sum(o["tool_correct"] for o in outcomes), n),
        "parameter_accuracy": _frac(sum(o["params_correct"] for o in outcomes), n),
        "call_accuracy": _frac(sum(o["call_correct"] for o in outcomes), n),
        "argument_accuracy": recall,
        "argument_precision": precision,
        "argument_f1": f1,
        "gold_arguments": gold_n,
        "predicted_arguments": pred_n,
        "abstention": {
            "n": len(abstain),
            "accuracy": _frac(sum(o["status"] == "no_call" for o in abstain), len(abstain)),
            "false_abstention_rate": _frac(sum(o["status"] == "no_call" for o in act), len(act)),
        },
        "missing": statuses.count("missing"),
        "parse_errors": statuses.count("parse_error"),
        "backend_errors": statuses.count("backend_error"),
        "no_calls": statuses.count("no_call"),
    }


def error_counts(scored: Iterable[Scored]) -> dict[str, int]:
    """Counts per error label, every label present."""
    counts: dict[str, int] = dict.fromkeys(ERROR_LABELS, 0)
    for _, outcome in scored:
        if outcome["error"] is not None:
            counts[outcome["error"]] += 1
    return counts


def _grouped(scored: Sequence[Scored], key: Any, order: Sequence[str]) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = {}
    for item in scored:
        groups.setdefault(key(item[0]), []).append(item)
    ranked = [k for k in order if k in groups] + sorted(set(groups) - set(order))
    return {k: groups[k] for k in ranked}


def judge_tasks(
    tasks: Sequence[Task],
    predictions: Mapping[str, Prediction],
    tools: Mapping[str, Tool] | None = None,
) -> list[Scored]:
    """Each task with its :func:`~petool.scoring.taxonomy.task_outcome` (None if missing)."""
    return [(t, task_outcome(t, predictions.get(t.id), tools)) for t in tasks]


def score_tasks(
    tasks: Sequence[Task],
    predictions: Mapping[str, Prediction],
    tools: Mapping[str, Tool] | None = None,
) -> dict[str, Any]:
    """The unified metrics of ``tasks`` without a Suite (see :func:`score_unified`).

    Args:
        tasks: the tasks to score; each one counts, with or without a prediction.
        predictions: predictions by task id (ids of other tasks are ignored).
        tools: the suite's tools by name, for the error taxonomy.

    Returns:
        The JSON-able metrics object described in the module docstring.
    """
    scored = judge_tasks(tasks, predictions, tools)
    n = len(scored)
    by_mode = _grouped(scored, lambda t: t.mode or NO_MODE, (*HISTORY_MODES, NO_MODE))
    by_len = _grouped(
        scored, lambda t: history_bin(history_length(t)), [b[0] for b in HISTORY_BINS]
    )
    by_cat = _grouped(scored, lambda t: t.meta.category or NO_CATEGORY, ())
    errors = error_counts(scored)
    return {
        "n": n,
        "overall": group_metrics(scored),
        "by_mode": {k: group_metrics(v) for k, v in by_mode.items()},
        "by_history_length": {k: group_metrics(v) for k, v in by_len.items()},
        "by_category": {k: group_metrics(v) for k, v in by_cat.items()},
        "errors": errors,
        "error_rates": {k: _frac(v, n) for k, v in errors.items()},
        "errors_by_mode": {k: error_counts(v) for k, v in by_mode.items()},
    }


@register_scorer("unified")
def score_unified(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, Any]:
    """petool's unified metrics for any suite (the ``unified`` scorer).

    Args:
        suite: the suite the tasks come from (its tools feed the error taxonomy).
        tasks: the tasks to score; a task missing from ``predictions`` is scored wrong and
            counted as ``missing``.
        predictions: predictions by task id.

    Returns:
        ``{"n", "overall", "by_mode", "by_history_length", "by_category", "errors",
        "error_rates", "errors_by_mode"}`` as described in the module docstring; JSON-able.
    """
    return score_tasks(tasks, predictions, suite.tool_index())
