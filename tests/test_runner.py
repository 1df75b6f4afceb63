from __future__ import annotations

import json
import os

import pytest
from petool_test_plugins import Broken, Flaky
from petool_test_support import make_tiny_suite

from petool.backends.registry import make_backend
from petool.errors import InputError
from petool.run import RetryPolicy, evaluate, load_predictions

FAST = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.002)


def _lines(run):
    return (run / "predictions.jsonl").read_text().splitlines()


def test_oracle_scores_one_and_writes_run_directory(tmp_path, tiny_suite):
    res = evaluate(tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r")
    m = res.metrics
    assert m["suite"] == "tiny" and m["backend"] == "oracle" and m["n"] == 12
    assert m["overall"]["tool_accuracy"] == 1.0 and m["overall"]["parameter_accuracy"] == 1.0
    for mode in ("preferred", "rated", "chronological"):
        assert m["by_mode"][mode]["tool_accuracy"] == 1.0
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["backend"] == "oracle" and cfg["suite_hash"] and cfg["n_tasks"] == 12
    assert json.loads((tmp_path / "r" / "metrics.json").read_text()) == m
    rows = [json.loads(line) for line in _lines(tmp_path / "r")]
    assert {r["id"] for r in rows} == {t.id for t in tiny_suite.tasks}
    assert all("output" in r and r["status"] == "ok" for r in rows)


def test_existing_run_needs_resume(tmp_path, tiny_suite):
    evaluate(tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r", limit=3)
    with pytest.raises(InputError, match="--resume"):
        evaluate(tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r", limit=3)


def test_resume_runs_only_missing_and_repairs_torn_line(tmp_path, tiny_suite):
    run = tmp_path / "r"
    evaluate(tiny_suite, make_backend("oracle"), out_dir=run)
    lines = _lines(run)
    # keep 5 finished lines and half of the sixth, as a kill mid-write would
    (run / "predictions.jsonl").write_text("\n".join(lines[:5]) + "\n" + lines[5][:20])
    backend = Flaky(every=10**9)
    res = evaluate(tiny_suite, backend, out_dir=run, resume=True, backend_spec="oracle")
    assert sorted(backend.calls) == sorted(t.id for t in tiny_suite.tasks[5:])
    ids = [json.loads(line)["id"] for line in _lines(run)]
    assert sorted(ids) == sorted(t.id for t in tiny_suite.tasks)
    assert res.metrics["overall"]["tool_accuracy"] == 1.0
    assert res.metrics["run"]["resumed"] == 5


def test_resume_refuses_other_options(tmp_path, tiny_suite):
    evaluate(tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r", limit=4)
    with pytest.raises(InputError, match="field 'limit'"):
        evaluate(tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r", limit=5, resume=True)


@pytest.mark.parametrize("per_item", [False, True])
def test_failures_are_retried_until_success(tmp_path, tiny_suite, per_item):
    backend = Flaky(every=3, fail_first=2, per_item=per_item)
    patient = RetryPolicy(max_retries=8, base_delay=0.001, max_delay=0.002)
    res = evaluate(tiny_suite, backend, out_dir=tmp_path / "r", retry=patient)
    assert res.metrics["overall"]["tool_accuracy"] == 1.0
    assert res.metrics["overall"]["backend_errors"] == 0
    preds = {p.id: p for p in res.predictions}
    assert preds["tiny-003"].attempts >= 3 and preds["tiny-006"].attempts >= 3
    if per_item:  # only the failing items are retried
        assert preds["tiny-001"].attempts == 1


def test_exhausted_retries_are_recorded_and_rerun_on_resume(tmp_path, tiny_suite):
    run = tmp_path / "r"
    res = evaluate(
        tiny_suite,
        Flaky(every=3, fail_first=99, per_item=True),
        out_dir=run,
        retry=FAST,
        backend_spec="flaky",
    )
    failed = [p for p in res.predictions if p.status == "backend_error"]
    assert len(failed) == 4 and all(p.error for p in failed)
    assert res.metrics["overall"]["backend_errors"] == 4
    assert res.metrics["errors"]["backend_error"] == 4
    healed = Flaky(every=10**9)
    res2 = evaluate(tiny_suite, healed, out_dir=run, resume=True, backend_spec="flaky")
    assert sorted(healed.calls) == sorted(p.id for p in failed)
    assert res2.metrics["overall"]["tool_accuracy"] == 1.0
    assert len(load_predictions(run / "predictions.jsonl")) == 12


def test_non_retryable_and_buggy_backends_do_not_kill_the_run(tmp_path, tiny_suite):
    res = evaluate(
        tiny_suite,
        Flaky(every=2, per_item=True, retryable=False),
        out_dir=tmp_path / "a",
        retry=FAST,
    )
    assert res.metrics["overall"]["backend_errors"] == 6
    res = evaluate(tiny_suite, Broken(), out_dir=tmp_path / "b", retry=FAST)
    assert res.metrics["overall"]["backend_errors"] == 12
    assert "ZeroDivisionError" in res.predictions[0].error


def test_random_is_about_one_over_k(tmp_path, tiny_suite):
    big = tiny_suite.model_copy(deep=True)
    big.tasks = [
        t.model_copy(update={"id": f"r-{i}"}) for i in range(400) for t in tiny_suite.tasks[:1]
    ]
    res = evaluate(big, make_backend("random", seed=1), out_dir=tmp_path / "r")
    acc = res.metrics["overall"]["tool_accuracy"]
    assert 0.18 < acc < 0.32  # k = 4 candidates


def test_no_context_and_mode_filter(tmp_path, tiny_suite):
    res = evaluate(
        tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r", modes=["rated"], no_context=True
    )
    assert res.metrics["n"] == 4 and set(res.metrics["by_mode"]) == {"rated"}
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["no_context"] is True and cfg["modes"] == ["rated"]


def test_unknown_split_is_input_error(tmp_path, tiny_suite):
    with pytest.raises(InputError, match="no split 'train'"):
        evaluate(tiny_suite, make_backend("oracle"), out_dir=tmp_path / "r", split="train")


def test_split_all_runs_every_task(tmp_path, tiny_suite):
    suite = tiny_suite.model_copy(deep=True)
    for t in suite.tasks[:5]:
        t.meta.split = "train"
    res = evaluate(suite, make_backend("oracle"), out_dir=tmp_path / "r", split="all")
    assert res.metrics["n"] == 12


def test_retry_waits_what_the_server_asked_else_backs_off_with_jitter():
    import random

    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    rng = random.Random(0)
    assert policy.delay(1, 0.2, rng) == 0.2  # not stretched to the backoff
    assert policy.delay(4, 0.2, rng) == 0.2
    assert policy.delay(1, 45.0, rng) == 45.0  # a server's wait is not cut short either
    waits = [policy.delay(1, None, rng) for _ in range(200)]
    assert all(0.25 <= w <= 0.5 for w in waits) and len(set(waits)) > 100
    assert all(1.5 <= policy.delay(a, None, rng) <= 3.0 for a in (4, 5, 9))


def test_objects_from_before_the_run_are_frozen_only_while_it_runs(tmp_path, tiny_suite):
    import gc

    seen: list[int] = []

    class Watching(Flaky):
        async def generate(self, tasks):
            seen.append(gc.get_freeze_count())
            return await super().generate(tasks)

    assert gc.get_freeze_count() == 0
    res = evaluate(tiny_suite, Watching(every=10**9), out_dir=tmp_path / "r", backend_spec="x")
    assert len(res.predictions) == len(tiny_suite.tasks)
    assert seen and all(count > 0 for count in seen)  # the collector skipped the old objects
    assert gc.get_freeze_count() == 0  # and got them back afterwards


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path):
    from petool.errors import InputError
    from petool.run import RunDir

    rundir = RunDir(tmp_path / "run")
    held = rf"another run is writing .*pid {os.getpid()}"
    with rundir.lock(), pytest.raises(InputError, match=held):
        evaluate(make_tiny_suite(3), make_backend("oracle"), out_dir=tmp_path / "run", resume=True)
    result = evaluate(make_tiny_suite(3), make_backend("oracle"), out_dir=tmp_path / "run")
    assert result.metrics["overall"]["tool_accuracy"] == 1.0


def test_incomplete_lines_and_temp_files_do_not_survive_a_resume(tmp_path):
    suite = make_tiny_suite(6)
    run = tmp_path / "run"
    evaluate(suite, make_backend("oracle"), out_dir=run, limit=3)
    pred = run / "predictions.jsonl"
    pred.write_text(pred.read_text() + '{"id": "tiny-003"}\n')  # a bare line is no answer
    (run / ".predictions.jsonl.a1b2c3").write_text("half")
    (run / "notes.txt").write_text("mine")
    result = evaluate(suite, make_backend("oracle"), out_dir=run, resume=True, limit=3)
    lines = [json.loads(line) for line in pred.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["tiny-000", "tiny-001", "tiny-002"]
    assert not (run / ".predictions.jsonl.a1b2c3").exists() and (run / "notes.txt").exists()
    assert result.metrics["status"] == "complete"


def test_resuming_a_finished_run_does_not_set_the_backend_up(tmp_path):
    suite = make_tiny_suite(3)
    evaluate(suite, make_backend("oracle"), out_dir=tmp_path / "run")
    backend = make_backend("oracle")

    def no_setup(suite):
        raise AssertionError("setup called for a finished run")

    backend.setup = no_setup  # type: ignore[method-assign]
    again = evaluate(suite, backend, out_dir=tmp_path / "run", resume=True)
    assert again.metrics["overall"]["tool_accuracy"] == 1.0 and again.metrics["run"]["resumed"] == 3


def test_a_backend_that_fails_to_set_up_leaves_no_directory(tmp_path):
    backend = make_backend("oracle")

    def broken(suite):
        raise RuntimeError("no model here")

    backend.setup = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        evaluate(make_tiny_suite(3), backend, out_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()
