"""``petool eval --backend openai:MODEL --base-url ...`` as a user runs it: killed and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from backend_helpers import isolated_cache, scripts_for, serve
from petool_test_support import make_tiny_suite

from petool.suites.directory import export_suite_dir

__all__ = ["isolated_cache", "serve"]


def _complete_lines(path) -> list[dict]:
    text = path.read_text() if path.exists() else ""
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


@pytest.mark.slow
def test_sigkill_then_resume_sends_no_second_request_for_finished_tasks(serve, tmp_path):
    n = 150
    suite = make_tiny_suite(n)
    suite_dir = export_suite_dir(suite, tmp_path / "suite")
    server = serve(scripts_for(suite), latency=0.03)
    run = tmp_path / "run"
    args = [
        sys.executable, "-m", "petool", "eval", "--suite", str(suite_dir),
        "--backend", "openai:test-model", "--base-url", server.base_url,
        "--api-key", "sk-test", "--no-cache", "--concurrency", "4", "--out", str(run),
    ]  # fmt: skip
    env = {**os.environ, "PETOOL_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    preds = run / "predictions.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(_complete_lines(preds)) >= 40:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    finished = {p["id"] for p in _complete_lines(preds) if p["status"] != "backend_error"}
    assert 40 <= len(finished) < n, "the kill must land half-way"
    assert all(server.counts[i] == 1 for i in finished)

    resumed = subprocess.run(
        [*args, "--resume", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    for task_id in finished:
        assert server.counts[task_id] == 1, f"{task_id} was asked again after it had finished"
    assert set(server.counts) == {t.id for t in suite.tasks}
    lines = _complete_lines(preds)
    assert len(lines) == n and len({p["id"] for p in lines}) == n
    metrics = json.loads(resumed.stdout)
    assert metrics["overall"]["call_accuracy"] == 1.0
    assert len(finished) <= metrics["run"]["resumed"] < n
