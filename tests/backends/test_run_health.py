"""Run health as a user meets it: a dead server, a bad key, a flaky server, empty filters."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from backend_helpers import isolated_cache, scripts_for, serve
from petool_test_support import make_tiny_suite

from petool.run.health import FailureWatch, error_cause, run_health, unfixable
from petool.schema import Prediction
from petool.suites.directory import export_suite_dir

__all__ = ["isolated_cache", "serve"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _eval(tmp_path, suite_dir, base_url, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable, "-m", "petool", "eval", "--suite", str(suite_dir),
        "--backend", "openai:test-model", "--base-url", base_url, "--api-key", "sk-test",
        "--no-cache", "--out", str(tmp_path / "run"), *extra,
    ]  # fmt: skip
    env = {**os.environ, "PETOOL_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.slow
def test_a_dead_server_fails_the_run_within_30_s_with_one_line(tmp_path):
    suite_dir = export_suite_dir(make_tiny_suite(200), tmp_path / "suite")
    started = time.monotonic()
    r = _eval(tmp_path, suite_dir, f"http://127.0.0.1:{_closed_port()}/v1")
    assert time.monotonic() - started < 30
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    (line,) = _error_lines(r.stderr)
    assert "connection refused" in line and "of 200 tasks" in line
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "failed"
    assert metrics["health"]["stopped_early"] == "connection refused"


@pytest.mark.slow
def test_a_persistent_401_stops_after_the_first_calls_and_says_401(serve, tmp_path):
    suite = make_tiny_suite(120)
    faults = {t.id: ["401"] * 10 for t in suite.tasks}
    server = serve(scripts_for(suite, faults=faults))
    suite_dir = export_suite_dir(suite, tmp_path / "suite")
    r = _eval(tmp_path, suite_dir, server.base_url, "--concurrency", "4")
    assert r.returncode == 1, r.stderr
    (line,) = _error_lines(r.stderr)
    assert "401" in line
    assert sum(server.counts.values()) <= 20  # not 120 requests, nor 120 x 5 retries


@pytest.mark.slow
def test_a_server_failing_one_first_attempt_in_ten_still_completes(serve, tmp_path):
    suite = make_tiny_suite(60)
    faults = {t.id: ["500"] for i, t in enumerate(suite.tasks) if i % 10 == 0}
    server = serve(scripts_for(suite, faults=faults))
    suite_dir = export_suite_dir(suite, tmp_path / "suite")
    r = _eval(tmp_path, suite_dir, server.base_url, "--json")
    assert r.returncode == 0, r.stderr
    metrics = json.loads(r.stdout)
    assert metrics["status"] == "complete" and metrics["health"]["answered"] == 60
    assert metrics["overall"]["tool_accuracy"] == 1.0
    assert metrics["run_dir"] == str(tmp_path / "run")


def test_a_filter_matching_no_task_is_one_line_exit_2(tmp_path):
    suite = make_tiny_suite(6)
    for task in suite.tasks:
        task.user.history_mode = None
    suite_dir = export_suite_dir(suite, tmp_path / "suite")
    args = [sys.executable, "-m", "petool", "eval", "--suite", str(suite_dir), "--backend",
            "oracle", "--mode", "rated", "--out", str(tmp_path / "run")]  # fmt: skip
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no task matches" in r.stderr
    assert "history modes: none" in r.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("message", "cause", "fixable"),
    [
        ("HTTP 401: invalid API key", "authentication failed (HTTP 401/403)", False),
        ("HTTP 404: model 'x' not found", "model or endpoint not found (HTTP 404)", False),
        (
            "connection error: ClientConnectorDNSError: Name or service not known",
            "host name does not resolve (DNS)",
            False,
        ),
        (
            "connection error: ConnectionRefusedError: [Errno 111] Connection refused",
            "connection refused",
            False,
        ),
        ("timeout after 60 s", "timeout", True),
        ("HTTP 503: overloaded", "server error (HTTP 5xx)", True),
        ("ValueError: something odd\nmore", "ValueError: something odd", True),
    ],
)
def test_error_causes(message, cause, fixable):
    assert error_cause(message) == cause
    assert unfixable(cause) is not fixable


def test_the_watch_trips_only_on_one_unfixable_cause_from_the_start():
    watch = FailureWatch(calls=4)
    for _ in range(4):
        watch.observe("HTTP 401: bad key")
    assert watch.tripped == "authentication failed (HTTP 401/403)"
    answered_once = FailureWatch(calls=4)
    answered_once.observe(None)
    for _ in range(10):
        answered_once.observe("HTTP 401: bad key")
    assert answered_once.tripped is None
    fixable = FailureWatch(calls=4)
    for _ in range(4):
        fixable.observe("HTTP 500: oops")
    assert fixable.tripped is None


def test_run_health_statuses():
    suite = make_tiny_suite(4)
    ok = [Prediction(id=t.id, output="x") for t in suite.tasks]
    err = [Prediction(id=t.id, status="backend_error", error="HTTP 500: x") for t in suite.tasks]
    assert run_health(suite.tasks, ok).status == "complete"
    assert run_health(suite.tasks, ok[:3]).status == "partial"
    assert run_health(suite.tasks, [*ok[:3], err[3]]).status == "partial"
    assert run_health(suite.tasks, [*ok[:1], *err[1:]]).status == "failed"
    assert run_health(suite.tasks, err).errors_by_cause == {"server error (HTTP 5xx)": 4}
