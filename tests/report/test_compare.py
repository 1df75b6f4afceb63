"""Run comparison statistics on constructed per-task results, and ``petool compare``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from petool_test_support import petool

from petool.report.compare import compare_pair, compare_runs
from petool.report.runs import ReportRun
from petool.report.stats import mcnemar_exact, paired_bootstrap_ci
from petool.run.record import Metrics
from petool.run.results import ResultRow
from petool.schema import ToolCall


def _run(label: str, verdicts: list[bool], modes: tuple[str, ...] = ("preferred", "rated")):
    rows = [
        ResultRow(
            id=f"t{i}",
            split="test",
            mode=modes[i % len(modes)],
            history_length=i % 12,
            category="c",
            gold=[ToolCall(tool="A")],
            predicted=[ToolCall(tool="A" if ok else "B")],
            status="ok",
            tool_correct=ok,
            parameters_correct=True,
            call_correct=ok,
            abstention_expected=False,
            abstained=False,
            error=None if ok else "functionality_mismatch",
        )
        for i, ok in enumerate(verdicts)
    ]
    metrics = Metrics(suite="demo", backend=label)
    return ReportRun(label=label, path=Path(label), config=None, metrics=metrics, rows=rows)


def test_identical_runs_differ_by_zero_with_p_one():
    verdicts = [i % 3 != 0 for i in range(200)]
    out = compare_pair(_run("a", verdicts), _run("b", verdicts))
    for group in out["groups"]:
        assert group["difference"] == 0.0
        assert group["ci_low"] == 0.0 and group["ci_high"] == 0.0
        assert group["p_value"] == 1.0 and not group["significant"]
    assert [g["group"] for g in out["groups"]] == ["overall", "preferred", "rated"]


def test_a_clearly_better_run_has_an_interval_excluding_zero():
    rng = np.random.default_rng(1)
    worse = list(rng.random(300) < 0.4)
    better = [w or bool(r < 0.5) for w, r in zip(worse, rng.random(300), strict=True)]
    overall = compare_pair(_run("a", worse), _run("b", better))["groups"][0]
    assert overall["difference"] > 0.2
    assert overall["ci_low"] > 0 and overall["p_value"] < 1e-6 and overall["significant"]
    assert overall["only_a"] == 0 and overall["only_b"] == sum(better) - sum(worse)


def test_a_small_gap_is_not_significant():
    a = [i % 2 == 0 for i in range(100)]
    b = list(a)
    b[1] = True  # one task more
    overall = compare_pair(_run("a", a), _run("b", b))["groups"][0]
    assert overall["ci_low"] <= 0 <= overall["ci_high"] and overall["p_value"] == 1.0
    assert not overall["significant"]


def test_only_common_tasks_are_paired_and_the_seed_fixes_the_interval():
    a, b = _run("a", [True] * 50), _run("b", [False] * 30)
    out = compare_pair(a, b)
    assert out["n_common"] == 30 and out["groups"][0]["difference"] == -1.0
    worse = [i % 2 == 0 for i in range(80)]
    better = [w or i % 3 == 0 for i, w in enumerate(worse)]
    one = compare_pair(_run("a", worse), _run("b", better), seed=3)
    assert one == compare_pair(_run("a", worse), _run("b", better), seed=3)


def test_mcnemar_and_bootstrap_by_hand():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(3, 3) == 1.0
    low, high = paired_bootstrap_ci(np.zeros(10), np.ones(10))
    assert low == high == 1.0


def test_runs_of_different_suites_are_not_compared():
    other = _run("c", [True] * 10)
    other.metrics = Metrics(suite="ptbench", backend="c")
    assert len(compare_runs([_run("a", [True] * 10), _run("b", [True] * 10), other])) == 1


@pytest.mark.slow
def test_compare_command_prints_tables_and_json(tmp_path):
    for backend in ("oracle", "random"):
        done = petool(
            "eval", "--suite", "demo", "--backend", backend, "--limit", "60",
            "--out", str(tmp_path / backend),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    runs = [str(tmp_path / "oracle"), str(tmp_path / "random")]
    table = petool("compare", *runs, env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    assert "A = oracle, B = random" in table.stdout and "McNemar" in table.stdout
    out = json.loads(petool("compare", *runs, "--json").stdout)
    assert out[0]["a"] == "oracle" and out[0]["groups"][0]["n"] == 60
    assert out[0]["groups"][0]["difference"] == -1.0 and out[0]["groups"][0]["significant"]
    one = petool("compare", runs[0])
    assert one.returncode == 2 and "at least two" in one.stderr


def _trials(label: str, per_trial: list[list[bool]]) -> ReportRun:
    """A run with repeated trials: one row per (task, trial), each with its trial."""
    run = _run(label, per_trial[0])
    run.rows = [
        row.model_copy(update={"trial": t})
        for t, verdicts in enumerate(per_trial)
        for row in _run(label, verdicts).rows
    ]
    return run


def test_repeated_trials_are_not_counted_as_more_tasks():
    # B is right on 5 tasks more than A: not significant on 20 tasks (p = 2/32). Ten
    # identical trials of each must not make it significant (pairing (task, trial) rows
    # would count 50 discordant pairs: p ~ 1e-15).
    a = [i < 10 for i in range(20)]
    b = [i < 15 for i in range(20)]
    single = compare_pair(_run("a", a), _run("b", b))
    repeated = compare_pair(_trials("a", [a] * 10), _trials("b", [b] * 10))
    assert repeated["n_common"] == 20 and repeated["trials_a"] == repeated["trials_b"] == 10
    assert single["test"] == "mcnemar" and repeated["test"] == "sign"
    for one, many in zip(single["groups"], repeated["groups"], strict=True):
        for key in ("n", "a", "b", "difference", "ci_low", "ci_high", "only_a", "only_b"):
            assert many[key] == pytest.approx(one[key]), key
        assert many["p_value"] == pytest.approx(one["p_value"])
    overall = repeated["groups"][0]
    assert overall["p_value"] == pytest.approx(2 / 32) and not overall["significant"]


def test_trials_are_averaged_per_task_before_pairing():
    # 4 tasks, 3 trials; per-task means: A = 1, 2/3, 0, 1/3; B = 1, 1, 1/3, 1/3
    a = _trials("a", [[True, True, False, False], [True, True, False, True],
                      [True, False, False, False]])  # fmt: skip
    b = _trials("b", [[True, True, True, False], [True, True, False, True],
                      [True, True, False, False]])  # fmt: skip
    out = compare_pair(a, b)
    overall = out["groups"][0]
    assert overall["n"] == 4 and out["n_a"] == 4
    assert overall["a"] == pytest.approx(0.5) and overall["b"] == pytest.approx(2 / 3)
    assert overall["difference"] == pytest.approx(1 / 6)
    assert (overall["only_a"], overall["only_b"]) == (0, 2)  # tasks 1 and 2: B's mean higher
    assert overall["p_value"] == pytest.approx(0.5)
    assert overall["ci_low"] >= 0.0 and overall["ci_high"] <= 1 / 3 + 1e-9
    mixed = compare_pair(_run("one", [True, False, True, False]), b)
    assert mixed["trials_a"] == 1 and mixed["trials_b"] == 3 and mixed["test"] == "sign"


def test_the_bootstrap_of_means_is_the_bootstrap_of_their_differences():
    rng = np.random.default_rng(2)
    xa, xb = rng.integers(0, 4, 500) / 3, rng.integers(0, 4, 500) / 3
    low, high = paired_bootstrap_ci(xa, xb, seed=5)
    assert (low, high) == paired_bootstrap_ci(xa, xb, seed=5)
    d = xb - xa
    means = [d[rng.integers(0, 500, 500)].mean() for _ in range(2000)]  # plain resampling
    assert low == pytest.approx(np.quantile(means, 0.025), abs=0.02)
    assert high == pytest.approx(np.quantile(means, 0.975), abs=0.02)
    assert low < d.mean() < high
