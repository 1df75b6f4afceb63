"""``petool report``: a self-contained HTML file of real runs, checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from petool_test_support import petool

from petool.backends.registry import make_backend
from petool.errors import InputError
from petool.report.html import write_report
from petool.run import evaluate
from petool.suites.registry import load_suite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    """Real runs of the demo suite: oracle, random and the ranker (loads the embedding model)."""
    root = tmp_path_factory.mktemp("runs")
    suite = load_suite("demo")
    out = []
    for backend in ("oracle", "random", "ranker"):
        evaluate(suite, make_backend(backend), out_dir=root / backend, backend_spec=backend)
        out.append(root / backend)
    return out


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=10000",
         *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_report_renders_every_plot_without_errors_in_chromium(runs, tmp_path):
    out = tmp_path / "report.html"
    result = write_report(runs, out)
    text = out.read_text(encoding="utf-8")
    assert result.size_bytes < 10_000_000 and result.warnings == []
    assert "<script src" not in text and "http://" not in text.replace(
        "http://www.w3.org", ""
    )  # nothing fetched: vega and the data are inline
    for section in ("Summary per run", "history length", "Error taxonomy", "By category",
                    "Comparison of runs", "Tasks"):  # fmt: skip
        assert section in text
    n_charts = len(re.findall(r'<div class="chart" id="chart-\d+">', text))
    assert n_charts >= 5
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    dom = _chromium("--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    status = re.search(r'<pre id="report-status"[^>]*>([^<]*)</pre>', dom.stdout)
    assert status is not None and status.group(1), "the page's script never finished"
    state = json.loads(status.group(1))
    assert state == {"charts": n_charts, "rendered": n_charts, "errors": []}
    for i in range(n_charts):  # every chart container got its drawing
        chart = re.search(
            rf'<div class="chart[^"]*" id="chart-{i}"[^>]*>\s*<(svg|canvas)', dom.stdout
        )
        assert chart is not None, f"chart {i} not drawn"
    page = re.findall(r'<details><summary><span class="(?:ok|bad)">', dom.stdout)
    assert len(page) == 25  # the browser's first page
    assert (
        '<span class="like">liked</span>' in dom.stdout and 'id="page-info">720 tasks' in dom.stdout
    )
    shot = tmp_path / "report.png"
    done = _chromium("--window-size=1400,3000", f"--screenshot={shot}", out.as_uri())
    assert done.returncode == 0 and shot.stat().st_size > 10_000


def test_report_refuses_an_existing_file_without_overwrite(runs, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("mine")
    with pytest.raises(InputError, match="--overwrite"):
        write_report(runs[:1], out)
    assert out.read_text() == "mine"
    write_report(runs[:1], out, overwrite=True)
    assert out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_report_command(runs, tmp_path):
    out = tmp_path / "r.html"
    done = petool("report", str(runs[0]), str(runs[1]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr and out.is_file()
    again = petool("report", str(runs[0]), "--out", str(out))
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "--overwrite" in again.stderr
    missing = petool("report", str(tmp_path / "nope"), "--out", str(tmp_path / "x.html"))
    assert missing.returncode == 2


def test_a_suite_directory_run_finds_its_tasks_with_data(tmp_path):
    from petool_test_support import make_tiny_suite

    from petool.suites.directory import export_suite_dir

    suite_dir = export_suite_dir(make_tiny_suite(6), tmp_path / "suite")
    evaluate(load_suite(suite_dir), make_backend("random"), out_dir=tmp_path / "run")
    blind = write_report([tmp_path / "run"], tmp_path / "a.html")
    assert len(blind.warnings) == 1 and "--data" in blind.warnings[0]
    seen = write_report([tmp_path / "run"], tmp_path / "b.html", data=suite_dir)
    assert seen.warnings == [] and seen.n_tasks == 6
    text = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert make_tiny_suite(6).tasks[0].instruction in text
    assert "(suite not loaded)" in (tmp_path / "a.html").read_text(encoding="utf-8")


def test_the_suites_own_verdicts_are_averaged_in_the_scorers_order():
    from test_compare import _run

    from petool.report.html import render_report

    run = _run("m", [True, False, True, False])
    for i, row in enumerate(run.rows):
        row.official = {
            "scenario": "s",
            "APP": 1.0,
            "API": i % 2 == 0,
            "RP": None if i == 0 else 0.0,
            "PP": 0.5,
        }
        row.official |= {"OP": None}  # never given: left out
    text = render_report([run])
    specs = json.loads(re.search(r'id="chart-specs">(.*?)</script>', text, re.S).group(1))
    funnel = [s for s in specs if "verdict" in json.dumps(s)]
    assert len(funnel) == 1 and funnel[0]["encoding"]["x"]["sort"] == ["APP", "API", "RP", "PP"]
    means = {v["verdict"]: v["mean"] for v in funnel[0]["data"]["values"]}
    assert means == {"APP": 1.0, "API": 0.5, "RP": 0.0, "PP": 0.5}
