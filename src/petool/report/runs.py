"""Runs read back for reports and comparisons: config, metrics, per-task results, outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import read_jsonl
from petool.run.record import RESULTS, Metrics, RunConfig, RunRecord
from petool.run.results import ResultRow


@dataclass
class ReportRun:
    """One run directory as a report reads it."""

    label: str
    path: Path
    config: RunConfig | None
    metrics: Metrics
    rows: list[ResultRow]
    #: per (task id, trial): the backend's raw output (trial 0 for a single-trial run)
    outputs: dict[tuple[str, int], str] = field(default_factory=dict)
    #: per (task id, trial): the backend's explanation of its choice, where it gave one
    explanations: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    @property
    def suite(self) -> str:
        return self.config.suite if self.config is not None else self.metrics.suite

    @property
    def backend(self) -> str:
        return self.config.backend if self.config is not None else self.metrics.backend


def load_run(path: str | Path, label: str | None = None) -> ReportRun:
    """Read one run directory (refused without results.jsonl: ``petool score`` writes it)."""
    record = RunRecord.load(path)
    results = record.out_dir / RESULTS
    if not results.is_file():
        raise InputError(
            f"{record.out_dir}: no {RESULTS} (rescore the run with petool score to write it)"
        )
    rows = read_jsonl(results, ResultRow)
    outputs: dict[tuple[str, int], str] = {}
    explanations: dict[tuple[str, int], dict[str, Any]] = {}
    for p in record.predictions:
        key = (p.id, p.trial)
        outputs.setdefault(key, p.output)
        explanation = getattr(p, "explanation", None)  # absent from older predictions
        if isinstance(explanation, dict) and explanation:
            explanations.setdefault(key, explanation)
    return ReportRun(
        label=label or record.metrics.backend,
        path=record.out_dir,
        config=record.config,
        metrics=record.metrics,
        rows=rows,
        outputs=outputs,
        explanations=explanations,
    )


def load_runs(paths: Sequence[str | Path]) -> list[ReportRun]:
    """Read run directories; labels are the backends, made unique with the directory name."""
    if not paths:
        raise InputError("no run directory given")
    runs = [load_run(p) for p in paths]
    labels = [r.label for r in runs]
    for run in runs:  # two runs of one backend: name them by their directories
        if labels.count(run.label) > 1:
            named = [r.path.name for r in runs if r.label == run.label]
            if len(set(named)) == len(named):
                run.label = f"{run.label} ({run.path.name})"
    labels = [r.label for r in runs]
    for i, run in enumerate(runs):  # the same directory twice: number them
        if labels.count(run.label) > 1:
            run.label = f"{run.label} #{i + 1}"
    return runs
