"""``petool score`` on a benchmark's own output file (PEToolBench results JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from petool_test_support import petool

SAMPLE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "petoolbench"
    / "user_entries_test_sample.json"
)
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/data/petoolbench absent")


@pytest.fixture
def results_file(tmp_path):
    entries = json.loads(SAMPLE.read_text())
    rows = [
        {
            "query": e["query"],
            "api_call_ground_truth": e["api_call_ground_truth"],
            "response": json.dumps(e["api_call_ground_truth"]) if i % 4 else "no idea",
            "entry_id": e["entry_id"],
            "history_length": e["history_length"],
        }
        for i, e in enumerate(entries)
    ]
    path = tmp_path / "c_some-model.json"
    path.write_text(json.dumps(rows))
    return path


def test_native_results_with_suite_data(results_file, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "user_entries_test.json").write_text(SAMPLE.read_text())
    r = petool(
        "score",
        "--suite",
        "petoolbench",
        "--data",
        str(data),
        "--predictions",
        str(results_file),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["n"] == 40 and m["tool_accuracy"] == 0.75 and m["parameter_accuracy"] == 0.75
    assert set(m["by_mode"]) == {"chronological"}


def test_native_results_without_suite_data(results_file, tmp_path):
    r = petool(
        "score",
        "--suite",
        "petoolbench",
        "--predictions",
        str(results_file),
        "--json",
        env={"PETOOL_DATA_DIR": str(tmp_path / "empty-cache")},
    )
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["n"] == 40 and m["tool_accuracy"] == 0.75


def test_unknown_file_kind_is_one_line(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"not": "results"}')
    data = tmp_path / "data"
    data.mkdir()
    (data / "user_entries_test.json").write_text(SAMPLE.read_text())
    r = petool("score", "--suite", "petoolbench", "--data", str(data), "--predictions", str(bad))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
