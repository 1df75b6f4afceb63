"""``petool report``: a self-contained HTML file of real runs, checked in headless Chromium."""

from __future__ import annotations

import json
import os
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


_STATUS = re.compile(r'<pre id="report-status"[^>]*>([^<]*)</pre>')


def _dump_when_done(uri: str, tries: int = 3) -> subprocess.CompletedProcess[str]:
    """``--dump-dom`` of a page once its script has written its status.

    Virtual time waits for the page's timers, not for real asynchronous work such as
    inflating compressed task data (``DecompressionStream``); on a busy machine the DOM can be
    dumped before that ends. The dump is taken again then (the status stays empty on every
    try when the page never finishes, and the caller's assertion fails).
    """
    dom = _chromium("--dump-dom", uri)
    for _ in range(tries - 1):
        status = _STATUS.search(dom.stdout)
        if dom.returncode != 0 or (status is not None and status.group(1)):
            break
        dom = _chromium("--dump-dom", uri)
    return dom


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
    dom = _dump_when_done(out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    status = _STATUS.search(dom.stdout)
    assert status is not None and status.group(1), "the page's script never finished"
    state = json.loads(status.group(1))
    assert isinstance(state.pop("ms"), int)  # when the page was done, since navigation
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
    kept = os.environ.get("PETOOL_TEST_ARTIFACTS")  # CI: a folder it uploads
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(kept) / "report.png")


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


def _trial_run(label: str, per_trial: list[list[bool]], explain: bool = False):
    """A constructed run with one row per (task, trial), and trials in its metrics."""
    from test_compare import _run

    from petool.run.record import Metrics, TrialSummary

    run = _run(label, per_trial[0])
    rows = []
    for trial, verdicts in enumerate(per_trial):
        for row, ok in zip(_run(label, verdicts).rows, verdicts, strict=True):
            rows.append(row.model_copy(update={"trial": trial}))
            assert row.call_correct == ok
    run.rows = rows
    overall = {"n": len(per_trial[0]), "tool_accuracy": 0.5, "call_accuracy": 0.5}
    run.metrics = Metrics.model_validate(
        {
            "suite": "demo",
            "backend": label,
            "overall": overall,
            "trials": TrialSummary(
                k=len(per_trial),
                seeds=list(range(len(per_trial))),
                std={"overall": {"tool_accuracy": 0.0123, "call_accuracy": 0.0123}},
            ),
        }
    )
    if explain:
        run.explanations = {
            ("t1", 2): {
                "choice": "A",
                "runner_up": "B<x>",
                "abstain_probability": 0.0312,
                "reasons": [
                    {"feature": "attribute_preference", "value": 0.8, "contribution": 1.25},
                    {"feature": "habit", "value": 3, "contribution": 0.5},
                    "not a reason",
                ],
                "extra": [1, 2, 3],
            },
            ("t2", 0): {"reasons": None},  # odd shapes are shown as far as they go
        }
    return run


def _task_data(text: str) -> dict:
    import base64
    import gzip

    packed = re.search(r'id="task-data-gz">(.*?)</script>', text, re.S)
    if packed is not None:
        return json.loads(gzip.decompress(base64.b64decode(packed.group(1))))
    return json.loads(re.search(r'id="task-data">(.*?)</script>', text, re.S).group(1))


def test_large_task_data_is_embedded_compressed_and_reads_the_same():
    from petool.report.html import render_report

    run = _trial_run("m", [[True, False, True, False]] * 3, explain=True)
    plain = render_report([run])
    packed = render_report([run], compress_over=0)
    assert 'id="task-data"' in plain and 'id="task-data-gz"' not in plain
    assert 'id="task-data"' not in packed and 'id="task-data-gz"' in packed
    assert _task_data(packed) == _task_data(plain)
    assert packed == render_report([run], compress_over=0)  # the same bytes every time


def test_the_browser_keeps_each_trial_and_the_explanation():
    from petool.report.html import render_report

    run = _trial_run("m", [[True, False, True, False]] * 3, explain=True)
    text = render_report([run], grid=None)
    data = _task_data(text)
    assert data["trials"] == [0, 1, 2] and len(data["runs"][0]["rows"]) == 12
    strings = data["strings"]
    by_trial = {(data["tasks"][r[0]]["id"], r[6]): r for r in data["runs"][0]["rows"]}
    explained = by_trial[("t1", 2)][7]
    assert strings[explained[0]] == "A" and strings[explained[1]] == "B<x>"
    assert explained[2] == 0.0312
    assert [[strings[r[0]], strings[r[1]], r[2]] for r in explained[3]] == [
        ["attribute_preference", "0.8", 1.25],
        ["habit", "3", 0.5],
    ]
    odd = by_trial[("t2", 0)][7]
    assert strings[odd[0]] == "–" and odd[2] is None and odd[3] == []
    assert by_trial[("t1", 0)][7] == -1  # no explanation for that trial
    assert "50.0 ± 1.2" in text  # the summary: mean ± std over trials


def test_the_grid_is_a_section_of_the_report():
    from test_compare import _run

    from petool.report.html import render_report

    grid = {
        "metric": "tool_accuracy",
        "histories": ["0", "all"],
        "rows": {"as-is": {"0": 0.3, "all": 0.9}, "masked": {"0": 0.3, "all": None}},
    }
    text = render_report([_run("m", [True, False])], grid=grid)
    nav = re.search(r"<nav>(.*?)</nav>", text).group(1)
    assert nav.startswith('<a href="#grid">Analysis grid</a><a href="#summary">')
    assert text.index('<h2 id="grid">Analysis grid</h2>') < text.index('<h2 id="summary">')
    section = text[text.index('<h2 id="grid">') : text.index('<h2 id="summary">')]
    assert "<td>30.0</td><td>90.0</td>" in section and "<td>–</td>" in section
    specs = json.loads(re.search(r'id="chart-specs">(.*?)</script>', text, re.S).group(1))
    heat = specs[0]  # the grid's chart comes first
    assert heat["layer"][0]["mark"]["type"] == "rect"
    assert len(heat["data"]["values"]) == 3  # the cell not run is not drawn


@pytest.mark.slow
def test_trials_explanations_grid_and_compressed_data_render_in_chromium(tmp_path):
    from petool.report.html import render_report

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    grid = {"metric": "tool_accuracy", "histories": ["0", "all"],
            "rows": {"as-is": {"0": 0.3, "all": 0.9}}}  # fmt: skip
    runs = [
        _trial_run("b", [[True, True, True, False]] * 3, explain=True),
        _trial_run("a", [[True, False, True, False]] * 3),
    ]
    out = tmp_path / "r.html"  # the task data compressed: the page inflates it itself
    out.write_text(render_report(runs, grid=grid, compress_over=0), encoding="utf-8")
    dom = _dump_when_done(out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    status = _STATUS.search(dom.stdout)
    assert status is not None and status.group(1), "the page's script never finished"
    state = json.loads(status.group(1))
    assert state["errors"] == [] and state["rendered"] == state["charts"] >= 6
    assert 'id="page-info">12 tasks' in dom.stdout and "· trial 2" in dom.stdout
    # run "b" is shown first: its one explanation drawn, escaped, with its reasons
    drawn = "<p><b>explanation</b> chose <code>A</code> over <code>B&lt;x&gt;</code>"
    assert dom.stdout.count(drawn) == 1 and "<td>attribute_preference</td>" in dom.stdout
    assert "<td>+1.250</td>" in dom.stdout and "abstain probability 0.031" in dom.stdout
    assert dom.stdout.count('<option value="2">2</option>') == 1  # the trial filter
