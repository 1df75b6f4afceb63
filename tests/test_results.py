"""results.jsonl: one row per task, and rows that add up to the official numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from petool_test_support import make_tiny_suite, petool

from petool.backends.registry import make_backend
from petool.run import evaluate
from petool.run.results import ResultRow, result_rows
from petool.schema import Prediction, ToolCall
from petool.suites.directory import export_suite_dir
from petool.suites.registry import load_suite

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _rows(path: Path) -> list[ResultRow]:
    return [ResultRow.model_validate_json(line) for line in path.read_text().splitlines()]


def test_each_task_gets_a_row_with_its_gold_prediction_and_verdicts(tmp_path):
    suite = make_tiny_suite(6)
    result = evaluate(suite, make_backend("oracle"), out_dir=tmp_path / "run")
    rows = _rows(tmp_path / "run" / "results.jsonl")
    assert [r.id for r in rows] == [t.id for t in suite.tasks]
    assert all(r.call_correct and r.error is None and r.status == "ok" for r in rows)
    assert rows[1].mode == "rated" and rows[0].history_length == 1
    assert rows[0].gold == suite.tasks[0].gold and rows[0].predicted == result.predictions[0].calls


def test_wrong_and_missing_answers_are_labelled():
    suite = make_tiny_suite(3)
    wrong = ToolCall(tool="Finance.Pricey.convert", arguments={"amount": 10, "to": "EUR"})
    predictions = {
        "tiny-000": Prediction(id="tiny-000", output="x", calls=[wrong]),
        "tiny-001": Prediction(id="tiny-001", output="?", status="parse_error", error="no call"),
    }
    rows = {r.id: r for r in result_rows(suite, suite.tasks, predictions)}
    assert rows["tiny-000"].error == "preference_mismatch" and rows["tiny-000"].parameters_correct
    assert (
        rows["tiny-001"].error == "invalid_format" and rows["tiny-001"].error_message == "no call"
    )
    assert rows["tiny-002"].status == "missing" and not rows["tiny-002"].tool_correct


def test_petool_score_writes_the_rows_the_run_wrote(tmp_path):
    suite_dir = export_suite_dir(make_tiny_suite(6), tmp_path / "suite")
    run = tmp_path / "run"
    r = petool("eval", "--suite", str(suite_dir), "--backend", "random", "--out", str(run))
    assert r.returncode == 0, r.stderr
    written = (run / "results.jsonl").read_bytes()
    (run / "results.jsonl").unlink()
    r = petool("score", "--suite", str(suite_dir), "--predictions", str(run / "predictions.jsonl"))
    assert r.returncode == 0, r.stderr
    assert (run / "results.jsonl").read_bytes() == written


@pytest.mark.skipif(not (SHARED / "toolspectrum").is_dir(), reason="no ToolSpectrum data")
def test_toolspectrum_rows_add_up_to_the_official_table(tmp_path):
    suite = load_suite("toolspectrum", SHARED / "toolspectrum")
    result = evaluate(suite, make_backend("random"), out_dir=tmp_path / "run")
    rows = _rows(tmp_path / "run" / "results.jsonl")
    for scenario, cells in result.metrics["by_scenario"].items():
        mine = [r.official for r in rows if r.official and r.official["scenario"] == scenario]
        assert len(mine) == cells["n"]
        assert sum(o["APP"] for o in mine) / len(mine) == pytest.approx(cells["APP"])
        assert sum(o["API"] for o in mine) / len(mine) == pytest.approx(cells["API"])
        rp = [o["RP"] for o in mine if o["RP"] is not None]
        assert sum(rp) / len(rp) == pytest.approx(cells["RP"])


def test_the_file_schema_is_documented():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text()
    for field in ResultRow.model_fields:
        assert f"`{field}`" in doc, field
    assert json.dumps(sorted(ResultRow.model_fields))  # the model is the schema
