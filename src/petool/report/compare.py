"""Comparison of runs on the same tasks: differences, 95 % bootstrap intervals, a paired test.

Every pair of runs on the same suite is compared per history mode and overall, on the tasks
both runs hold (matched by task id and mode in results.jsonl). The difference is
``b - a`` of the per-task verdict (``call_correct`` by default); the interval is a paired
bootstrap of that mean, the p-value an exact McNemar test on the tasks only one run got right.

A run with repeated trials (``--trials K``) has K rows per task. The unit of comparison stays
the task: each task's score is its mean verdict over the trials the run holds of it, and the
two runs' per-task means are paired. The bootstrap resamples tasks (each with all its trials),
and the test is the exact sign test on the tasks where the means differ — McNemar's test when
both runs have one trial. Pairing (task, trial) rows instead would count a task's K correlated
trials as K independent tasks (intervals too narrow, p-values too small), and trial t of one
run has nothing to do with trial t of the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np
from rich.console import Console
from rich.table import Table

from petool.errors import InputError
from petool.report.runs import ReportRun
from petool.report.stats import DEFAULT_BOOTSTRAP, DEFAULT_SEED, mcnemar_exact, paired_bootstrap_ci
from petool.report.table import MODE_ORDER

Verdict = Literal["call_correct", "tool_correct", "parameters_correct"]
VERDICTS: tuple[str, ...] = ("call_correct", "tool_correct", "parameters_correct")
ALPHA = 0.05


def task_scores(run: ReportRun, metric: str) -> dict[tuple[str, str], float]:
    """Per (task id, mode): the task's mean ``metric`` verdict over the run's trials of it
    (0 or 1 for a single-trial run)."""
    sums: dict[tuple[str, str], list[int]] = {}
    for row in run.rows:
        cell = sums.setdefault((row.id, row.mode), [0, 0])
        cell[0] += int(bool(getattr(row, metric)))
        cell[1] += 1
    return {key: right / n for key, (right, n) in sums.items()}


def n_trials(run: ReportRun) -> int:
    """How many trials the run's rows hold (1 for a single-trial run)."""
    return max(1, len({row.trial for row in run.rows if row.trial is not None}))


def compare_pair(
    a: ReportRun,
    b: ReportRun,
    *,
    metric: str = "call_correct",
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """``b`` against ``a`` on their common tasks, per mode and overall."""
    if metric not in VERDICTS:
        raise InputError(f"--metric: expected one of {', '.join(VERDICTS)}, got '{metric}'")
    va, vb = task_scores(a, metric), task_scores(b, metric)
    common = [key for key in va if key in vb]
    ka, kb = n_trials(a), n_trials(b)
    test = "mcnemar" if ka == kb == 1 else "sign"
    modes = sorted({m for _, m in common}, key=lambda m: (_mode_rank(m), m))
    groups = [("overall", common)]
    if len(modes) > 1:
        groups += [(m, [k for k in common if k[1] == m]) for m in modes]
    rows = []
    for group, keys in groups:
        xa = np.array([va[k] for k in keys], dtype=np.float64)
        xb = np.array([vb[k] for k in keys], dtype=np.float64)
        n = len(keys)
        only_a = int((xa > xb).sum())  # 0/1 verdicts: the tasks only A got right
        only_b = int((xb > xa).sum())
        low, high = paired_bootstrap_ci(xa, xb, n_boot=n_boot, seed=seed)
        p = mcnemar_exact(only_a, only_b)
        acc_a = float(xa.mean()) if n else None
        acc_b = float(xb.mean()) if n else None
        diff = float((xb - xa).mean()) if n else 0.0
        rows.append(
            {
                "group": group,
                "n": n,
                "a": acc_a,
                "b": acc_b,
                "difference": diff,
                "ci_low": low,
                "ci_high": high,
                "only_a": only_a,
                "only_b": only_b,
                "p_value": p,
                "significant": bool(n and p < ALPHA and not (low <= 0.0 <= high)),
            }
        )
    return {
        "a": a.label,
        "b": b.label,
        "a_path": str(a.path),
        "b_path": str(b.path),
        "suite": a.suite,
        "metric": metric,
        "n_a": len(va),
        "n_b": len(vb),
        "n_common": len(common),
        "trials_a": ka,
        "trials_b": kb,
        "test": test,
        "bootstrap": n_boot,
        "seed": seed,
        "groups": rows,
    }


def _mode_rank(mode: str) -> int:
    return MODE_ORDER.index(mode) if mode in MODE_ORDER else len(MODE_ORDER)


def compare_runs(
    runs: Sequence[ReportRun],
    *,
    metric: str = "call_correct",
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> list[dict[str, Any]]:
    """Every pair of runs on the same suite (in the order given), each :func:`compare_pair`."""
    return [
        compare_pair(a, b, metric=metric, n_boot=n_boot, seed=seed)
        for a, b in combinations(runs, 2)
        if a.suite == b.suite
    ]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _p(value: float) -> str:
    return f"{value:.3g}" if value >= 1e-4 else "<1e-4"


def comparison_caption(comparison: dict[str, Any]) -> str:
    """What the columns of one pair's comparison mean (single-trial runs or not)."""
    if comparison.get("test", "mcnemar") == "mcnemar":
        return "A only / B only: tasks only that run got right; p: exact McNemar test"
    return (
        "each task scored by its mean verdict over its trials, runs paired by task; A only /"
        " B only: tasks where that run's mean is higher; p: exact sign test on them (McNemar's"
        " test when both runs have one trial)"
    )


def comparison_table(comparison: dict[str, Any]) -> Table:
    """One pair's comparison as a Rich table."""
    ka, kb = comparison.get("trials_a", 1), comparison.get("trials_b", 1)
    trials = f" ({ka} trials)" if ka > 1 else "", f" ({kb} trials)" if kb > 1 else ""
    title = (
        f"{comparison['suite']} · {comparison['metric']} · {comparison['n_common']} common"
        f" tasks\nA = {comparison['a']}{trials[0]}, B = {comparison['b']}{trials[1]}"
    )
    table = Table(title=title, caption=comparison_caption(comparison))
    for col, justify in (
        ("group", "left"),
        ("n", "right"),
        ("A %", "right"),
        ("B %", "right"),
        ("B-A pp", "right"),
        ("95% CI", "right"),
        ("A only", "right"),
        ("B only", "right"),
        ("McNemar p" if comparison.get("test", "mcnemar") == "mcnemar" else "sign p", "right"),
        ("sig.", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for g in comparison["groups"]:
        table.add_row(
            g["group"],
            str(g["n"]),
            _pct(g["a"]),
            _pct(g["b"]),
            f"{100 * g['difference']:+.1f}",
            f"[{100 * g['ci_low']:+.1f}, {100 * g['ci_high']:+.1f}]",
            str(g["only_a"]),
            str(g["only_b"]),
            _p(g["p_value"]),
            "yes" if g["significant"] else "no",
        )
    return table


def print_comparisons(comparisons: Sequence[dict[str, Any]], console: Console) -> None:
    """Print each comparison's table (or say there is nothing to compare)."""
    if not comparisons:
        console.print("no two runs on the same suite: nothing to compare")
    for comparison in comparisons:
        console.print(comparison_table(comparison))
