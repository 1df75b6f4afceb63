"""The CLI end to end, as a user runs it: subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from petool_test_support import PLUGINS, make_tiny_suite, petool

from petool.suites.directory import export_suite_dir


@pytest.fixture
def suite_dir(tmp_path):
    return export_suite_dir(make_tiny_suite(30), tmp_path / "suite")


def test_eval_json_contract(suite_dir, tmp_path):
    r = petool(
        "eval",
        "--suite",
        str(suite_dir),
        "--backend",
        "oracle",
        "--out",
        str(tmp_path / "run"),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert {"suite", "backend", "n", "overall", "by_mode"} <= set(m)
    for group in [m["overall"], *m["by_mode"].values()]:
        assert group["tool_accuracy"] == 1.0 and group["parameter_accuracy"] == 1.0
    assert set(m["by_mode"]) == {"preferred", "rated", "chronological"}


def test_table_output_and_rescoring(suite_dir, tmp_path):
    run = tmp_path / "run"
    r = petool("eval", "--suite", str(suite_dir), "--backend", "random", "--out", str(run))
    assert r.returncode == 0, r.stderr
    assert "tool acc" in r.stdout and "overall" in r.stdout
    s = petool(
        "score",
        "--suite",
        str(suite_dir),
        "--predictions",
        str(run / "predictions.jsonl"),
        "--json",
    )
    assert s.returncode == 0, s.stderr
    rescored = json.loads(s.stdout)
    original = json.loads((run / "metrics.json").read_text())
    assert rescored["overall"] == original["overall"]
    assert rescored["by_mode"] == original["by_mode"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"id": "x", "instruction": ', r"tasks.jsonl:3: invalid JSON"),
        ('{"id": "x"}', r"tasks.jsonl:3: field 'instruction': missing required field"),
        (
            '{"id": "x", "instruction": "hi", "gold": [{"tool": 5}]}',
            r"tasks.jsonl:3: field 'gold.0.tool'",
        ),
    ],
)
def test_broken_suite_line_exits_2_with_one_line(suite_dir, tmp_path, line, expected):
    tasks = suite_dir / "tasks.jsonl"
    lines = tasks.read_text().splitlines()
    lines[2] = line
    tasks.write_text("\n".join(lines) + "\n")
    r = petool(
        "eval", "--suite", str(suite_dir), "--backend", "oracle", "--out", str(tmp_path / "run")
    )
    assert r.returncode == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert expected in err and "Traceback" not in err


def test_usage_errors_exit_2(suite_dir, tmp_path):
    r = petool("eval", "--suite", str(suite_dir), "--backend", "no-such-backend")
    assert r.returncode == 2 and "unknown backend" in r.stderr
    r = petool("eval", "--suite", str(tmp_path / "missing"))
    assert r.returncode == 2 and "unknown suite" in r.stderr
    r = petool("eval", "--mode", "sideways", "--suite", str(suite_dir))
    assert r.returncode == 2 and "--mode" in r.stderr
    r = petool("eval", "--limit", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path):
    suite_dir = export_suite_dir(make_tiny_suite(150), tmp_path / "suite")
    run = tmp_path / "run"
    args = [
        "eval",
        "--suite",
        str(suite_dir),
        "--backend",
        "petool_test_plugins:slow_oracle",
        "--concurrency",
        "4",
        "--out",
        str(run),
    ]
    env = {**os.environ, "PYTHONPATH": str(PLUGINS), "PETOOL_TEST_DELAY": "0.03"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "petool", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    preds = run / "predictions.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if preds.exists() and preds.read_text().count("\n") >= 40:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = preds.read_text().count("\n")
    assert 40 <= done_before < 150, "the kill must land half-way"
    r = petool(*args, "--resume", "--json", env={"PETOOL_TEST_DELAY": "0"})
    assert r.returncode == 0, r.stderr
    ids = [json.loads(x)["id"] for x in preds.read_text().splitlines()]
    assert len(ids) == 150 and len(set(ids)) == 150
    resumed = json.loads(r.stdout)
    full = petool(
        "eval",
        "--suite",
        str(suite_dir),
        "--backend",
        "oracle",
        "--out",
        str(tmp_path / "full"),
        "--json",
    )
    uninterrupted = json.loads(full.stdout)
    for key in ("n", "overall", "by_mode", "by_history_length", "by_category", "errors"):
        assert resumed[key] == uninterrupted[key]


def test_suites_list_and_export(tmp_path):
    r = petool("suites")
    assert r.returncode == 0, r.stderr
    assert "demo" in r.stdout
    r = petool("suites", "export", "demo", str(tmp_path / "demo"))
    assert r.returncode == 0, r.stderr
    assert {p.name for p in (tmp_path / "demo").iterdir()} >= {
        "suite.json",
        "tools.jsonl",
        "tasks.jsonl",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("scorer", "os:system"), ("prompt_style", "os:system"), ("scorer", "petool_evil_mod:f")],
)
def test_a_suite_file_naming_code_is_refused_before_any_import(tmp_path, suite_dir, field, value):
    info = json.loads((suite_dir / "suite.json").read_text())
    info[field] = value
    (suite_dir / "suite.json").write_text(json.dumps(info))
    marker = tmp_path / "imported"
    (tmp_path / "petool_evil_mod.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\ndef f(*a): return {{}}\n"
    )
    run = tmp_path / "run"
    args = ("--suite", str(suite_dir), "--backend", "oracle", "--limit", "2", "--out", str(run))
    r = petool("eval", *args, env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{PLUGINS}"})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert f"field '{field}'" in lines[0] and value in lines[0] and "registered:" in lines[0]
    assert not marker.exists() and not run.exists()


def _one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_bad_output_paths_are_one_line_exit_2(tmp_path, suite_dir):
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me")
    base = ("eval", "--suite", str(suite_dir), "--backend", "oracle", "--limit", "2")
    assert "not a directory" in _one_error_line(petool(*base, "--out", str(a_file)))
    assert "is a file" in _one_error_line(petool(*base, "--out", str(a_file / "sub")))
    assert "not a directory" in _one_error_line(petool(*base, "--out", "/dev/null"))
    assert "cannot create" in _one_error_line(petool(*base, "--out", "/proc/petool/run"))
    line = _one_error_line(petool("suites", "export", "demo", str(a_file)))
    assert "not a directory" in line
    assert a_file.read_text() == "keep me"


def test_debug_keeps_the_exit_code(tmp_path, suite_dir):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    r = petool("eval", "--suite", str(suite_dir), "--out", str(a_file), env={"PETOOL_DEBUG": "1"})
    assert r.returncode == 2 and "Traceback" in r.stderr


def test_nothing_is_overwritten_or_mixed(tmp_path, suite_dir):
    other = tmp_path / "other-suite"
    export_suite_dir(make_tiny_suite(3), other)
    before = {p.name: p.read_bytes() for p in other.iterdir()}
    run = ("eval", "--suite", str(suite_dir), "--backend", "oracle", "--limit", "2")
    assert "--overwrite" in _one_error_line(petool(*run, "--out", str(other)))
    assert "--overwrite" in _one_error_line(petool("suites", "export", "demo", str(other)))
    assert {p.name: p.read_bytes() for p in other.iterdir()} == before
    r = petool("suites", "export", "demo", str(other), "--overwrite")
    assert r.returncode == 0, r.stderr
    assert len((other / "tasks.jsonl").read_text().splitlines()) == 1920  # all splits
    r = petool(*run, "--out", str(other), "--overwrite")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in other.iterdir()) == [
        ".petool-run.lock",
        "config.json",
        "metrics.json",
        "predictions.jsonl",
        "results.jsonl",
    ]


def test_resume_of_a_missing_or_empty_run_directory_simply_starts(tmp_path, suite_dir):
    run = tmp_path / "never-started"
    r = petool("eval", "--suite", str(suite_dir), "--backend", "oracle", "--limit", "3",
               "--resume", "--out", str(run))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert len((run / "predictions.jsonl").read_text().splitlines()) == 3


def test_synth_export_and_train_never_overwrite_a_foreign_folder(tmp_path):
    other = tmp_path / "exported"
    export_suite_dir(make_tiny_suite(3), other)
    before = {p.name: p.read_bytes() for p in other.iterdir()}
    corpus = tmp_path / "suite"
    export_suite_dir(make_tiny_suite(3), corpus)
    line = _one_error_line(petool("synth", "--corpus", str(corpus), "--out", str(other)))
    assert "--overwrite" in line and str(other) in line
    line = _one_error_line(petool("export", "--suite", str(corpus), "--split", "test",
                                  "--out", str(other)))  # fmt: skip
    assert "--overwrite" in line
    assert {p.name: p.read_bytes() for p in other.iterdir()} == before
    r = petool("export", "--suite", str(corpus), "--split", "test", "--format", "trl",
               "--kind", "sft", "--out", str(other), "--overwrite")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in other.iterdir()) == ["sft.jsonl"]


def test_train_names_overwrite_for_a_used_output_dir(tmp_path):
    from petool.errors import ConfigError
    from petool.train.checks import check_output_dir

    used = tmp_path / "run"
    used.mkdir()
    (used / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="--overwrite"):
        check_output_dir(used, resume=False)
    assert check_output_dir(used, resume=False, overwrite=True) == used
    assert list(used.iterdir()) == []


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT delivered and handled by default, as in a user's shell. A worker
    of the test run can have it ignored or blocked (a library's helper process that it
    started, such as a resource tracker, leaves that behind), and a child inherits both."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_keeps_what_finished_and_prints_the_resume_command(tmp_path):
    suite_dir = export_suite_dir(make_tiny_suite(150), tmp_path / "suite")
    run = tmp_path / "run"
    args = ["eval", "--suite", str(suite_dir), "--backend", "petool_test_plugins:slow_oracle",
            "--concurrency", "2", "--out", str(run)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(PLUGINS), "PETOOL_TEST_DELAY": "0.05"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "petool", *args],
        env=env,
        preexec_fn=_ctrl_c_as_in_a_terminal,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    preds = run / "predictions.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if preds.exists() and preds.read_text().count("\n") >= 10:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert f"--resume --out {run}" in stderr and "interrupted" in stderr
    finished = preds.read_text().count("\n")
    assert 10 <= finished < 150
    r = petool(*args, "--resume", "--json", env={"PETOOL_TEST_DELAY": "0"})
    assert r.returncode == 0, r.stderr
    assert len(preds.read_text().splitlines()) == 150


def test_tables_say_what_their_rows_and_columns_are(tmp_path):
    from rich.console import Console

    from petool.report.table import print_metrics

    suite = make_tiny_suite(6)
    for task in suite.tasks:
        task.user.history_mode = None
    metrics = {
        "suite": "s",
        "backend": "b",
        "status": "failed",
        "overall": {"n": 6, "tool_accuracy": 0.5, "backend_errors": 3, "parse_errors": 1},
        "by_mode": {"none": {"n": 6}},
        "by_scenario": {"persona": {"n": 6, "APP": 0.5}},
    }
    console = Console(record=True, width=160)
    print_metrics(metrics, console)
    text = console.export_text()
    assert "backend err" in text and "parse err" in text
    assert "│ none" not in text and "overall" in text
    assert "petool's unified metrics" in text and "┃ scenario ┃" in text
    assert "status: failed" in text and "docs/metrics.md" in text
