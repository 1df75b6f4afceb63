"""--trials K: seeds reach the sampler, metrics are mean ± std, resume finishes missing pairs."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from typer.testing import CliRunner

from petool.backends.base import BackendResponse
from petool.backends.random_backend import RandomBackend
from petool.cli import app
from petool.errors import InputError
from petool.run import evaluate
from petool.run.trials import aggregate
from petool.schema import Task


class Recording(RandomBackend):
    """The random backend, remembering which (task, seed) it was asked."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.calls: list[tuple[str, int]] = []

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        self.calls.extend((t.id, self.seed) for t in tasks)
        return await super().generate(tasks)


def _preds(run):
    return [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]


def test_each_trial_samples_with_its_own_seed(tmp_path, tiny_suite):
    backend = Recording(seed=7)
    res = evaluate(tiny_suite, backend, out_dir=tmp_path / "r", trials=3, seed=7)
    n = len(tiny_suite.tasks)
    assert sorted(seed for _, seed in backend.calls) == [7] * n + [8] * n + [9] * n
    pairs = [(p["id"], p["trial"]) for p in _preds(tmp_path / "r")]
    assert sorted(pairs) == sorted((t.id, k) for t in tiny_suite.tasks for k in range(3))
    trials = res.metrics["trials"]
    assert trials["k"] == 3 and trials["seeds"] == [7, 8, 9] and len(trials["per_trial"]) == 3
    accs = [b["overall"]["tool_accuracy"] for b in trials["per_trial"]]
    mean = sum(accs) / 3
    assert res.metrics["overall"]["tool_accuracy"] == pytest.approx(mean, abs=1e-6)
    std = (sum((a - mean) ** 2 for a in accs) / 2) ** 0.5
    assert trials["std"]["overall"]["tool_accuracy"] == pytest.approx(std, abs=1e-6)
    rows = [json.loads(x) for x in (tmp_path / "r" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 3 * n and {r["trial"] for r in rows} == {0, 1, 2}
    assert json.loads((tmp_path / "r" / "config.json").read_text())["trials"] == 3


def test_one_trial_keeps_the_metrics_shape(tmp_path, tiny_suite):
    one = evaluate(tiny_suite, RandomBackend(), out_dir=tmp_path / "a").metrics.to_dict()
    assert "trials" not in one and "stopped" not in one["run"]
    rows = (tmp_path / "a" / "results.jsonl").read_text().splitlines()
    assert len(rows) == len(tiny_suite.tasks)


def test_killed_run_resumes_exactly_the_missing_pairs(tmp_path, tiny_suite):
    run = tmp_path / "r"
    full = evaluate(tiny_suite, RandomBackend(), out_dir=tmp_path / "full", trials=3)
    evaluate(tiny_suite, RandomBackend(), out_dir=run, trials=3)
    lines = (run / "predictions.jsonl").read_text().splitlines()
    kept = lines[:17]  # all of trial 0, part of trial 1, and a torn line as a kill leaves
    (run / "predictions.jsonl").write_text("\n".join(kept) + "\n" + lines[17][:25])
    done = {(json.loads(x)["id"], json.loads(x)["trial"]) for x in kept}
    backend = Recording()
    res = evaluate(tiny_suite, backend, out_dir=run, trials=3, resume=True, backend_spec="random")
    everything = {(t.id, k) for t in tiny_suite.tasks for k in range(3)}
    seeds = {(i, s) for i, s in backend.calls}
    assert sorted(seeds) == sorted(everything - done)  # trial k ran with seed k, once each
    pairs = [(p["id"], p["trial"]) for p in _preds(run)]
    assert len(pairs) == len(set(pairs)) and set(pairs) == everything
    assert res.metrics["overall"] == full.metrics["overall"]
    assert res.metrics["trials"]["std"] == full.metrics["trials"]["std"]


def test_resume_with_other_trials_is_refused(tmp_path, tiny_suite):
    evaluate(tiny_suite, RandomBackend(), out_dir=tmp_path / "r", trials=2, limit=3)
    with pytest.raises(InputError, match="field 'trials'"):
        evaluate(
            tiny_suite, RandomBackend(), out_dir=tmp_path / "r", trials=3, limit=3, resume=True
        )


def test_aggregate_means_and_std_per_leaf():
    mean, std = aggregate(
        [{"o": {"acc": 0.5, "n": 4, "name": "x"}}, {"o": {"acc": 1.0, "n": 4, "name": "x"}}]
    )
    assert mean == {"o": {"acc": 0.75, "n": 4, "name": "x"}}
    assert std["o"]["acc"] == pytest.approx(0.353553, abs=1e-6) and std["o"]["n"] == 0


def test_cli_three_trials_on_demo_repeat_to_the_same_numbers(tmp_path):
    runner = CliRunner()
    outs = []
    for name in ("a", "b"):
        args = ["eval", "--backend", "random", "--trials", "3", "--json"]
        res = runner.invoke(app, [*args, "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        outs.append(json.loads((tmp_path / name / "metrics.json").read_text()))
    a, b = outs
    assert a["overall"] == b["overall"] and a["trials"] == b["trials"]
    std = a["trials"]["std"]["overall"]["tool_accuracy"]
    assert 0 < std < 0.1  # three seeds of the random baseline differ a little
    assert 0.05 < a["overall"]["tool_accuracy"] < 0.25  # ~1/k on the demo suite


def test_errors_line_rounds_the_mean_counts_of_a_trials_run() -> None:
    from petool.report.table import errors_line

    metrics = {
        "errors": {"functionality_mismatch": 416.0, "preference_mismatch": 214.666667, "format": 0},
        "trials": {"k": 3},
    }
    assert errors_line(metrics) == (
        "errors: functionality_mismatch 416, preference_mismatch 214.7 (mean over 3 trials)"
    )
    assert errors_line({"errors": {"hallucination": 2}}) == "errors: hallucination 2"
    assert errors_line({"errors": {}, "trials": {"k": 3}}) == "errors: none"
