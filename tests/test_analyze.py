"""petool analyze: the grid as run directories, one report with the grid, resumable."""

from __future__ import annotations

import json

import pytest

from petool.cli import main


def _grid(capsys, args):
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_grid_run_dirs_report_and_resume(tmp_path, capsys):
    out = tmp_path / "grid"
    args = ["--backend", "oracle", "--limit", "24", "--histories", "0,all", "--out", str(out)]
    grid = _grid(capsys, args)
    assert grid["histories"] == ["0", "all"]
    assert set(grid["rows"]) == {"as-is", "masked", "shuffled"}
    assert all(v == 1.0 for row in grid["rows"].values() for v in row.values())  # the oracle
    dirs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(dirs) == 6 and "history-0_masked" in dirs
    config = json.loads((out / "history-0_masked" / "config.json").read_text())
    assert config["transforms"]["history_limit"] == 0 and config["transforms"]["mask_attributes"]
    page = (out / "report.html").read_text()
    assert '<h2 id="grid">Analysis grid</h2>' in page and page.count("<h2 ") >= 6
    before = {d: (out / d / "predictions.jsonl").read_text() for d in dirs}
    assert _grid(capsys, args)["rows"] == grid["rows"]  # resumed: nothing asked again
    assert {d: (out / d / "predictions.jsonl").read_text() for d in dirs} == before


def test_bad_histories_is_one_line(tmp_path, capsys):
    assert main(["analyze", "--histories", "0,lots", "--out", str(tmp_path / "g")]) == 2
    assert "--histories" in capsys.readouterr().err


@pytest.mark.slow
def test_ranker_falls_with_shorter_history_and_masked_attributes(tmp_path, capsys):
    args = ["--backend", "ranker", "--limit", "120", "--histories", "0,all",
            "--out", str(tmp_path / "g")]  # fmt: skip
    rows = _grid(capsys, args)["rows"]
    assert rows["as-is"]["0"] < rows["as-is"]["all"] - 0.2
    assert rows["masked"]["all"] < rows["as-is"]["all"] - 0.2
    assert rows["shuffled"]["all"] < rows["as-is"]["all"] - 0.2
