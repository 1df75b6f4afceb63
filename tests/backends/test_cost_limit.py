"""--cost-limit against the loopback OpenAI-compatible server with prices: stop, then resume."""

from __future__ import annotations

import json

from backend_helpers import isolated_cache, scripts_for, serve, tiny
from typer.testing import CliRunner

from petool.backends.registry import make_backend
from petool.cli import app
from petool.run import evaluate
from petool.suites.directory import export_suite_dir

__all__ = ["isolated_cache", "serve", "tiny"]


def _backend(server):
    return make_backend("openai:gpt-4o-mini", base_url=server.base_url, no_cache=True)


def test_a_run_stops_before_the_limit_and_resumes_with_a_higher_one(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny))
    full = evaluate(tiny, _backend(server), out_dir=tmp_path / "full", concurrency=4)
    total = full.metrics["usage"]["cost"]
    assert total > 0 and server.total == len(tiny.tasks)
    server.reset_counts()
    limit = total / 2
    run = tmp_path / "run"
    res = evaluate(tiny, _backend(server), out_dir=run, concurrency=4, cost_limit=limit)
    spent = res.metrics["usage"]["cost"]
    assert 0 < spent <= limit  # stopped before passing the limit
    assert res.metrics["status"] == "partial" and res.metrics["health"]["missing"] > 0
    assert "cost limit" in res.metrics["run"]["stopped"]
    asked = server.total
    assert asked == len(res.predictions) < len(tiny.tasks)
    server.reset_counts()
    again = evaluate(
        tiny, _backend(server), out_dir=run, concurrency=4, cost_limit=total * 2, resume=True
    )
    assert again.metrics["status"] == "complete" and "stopped" not in again.metrics["run"]
    assert server.total == len(tiny.tasks) - asked  # only the missing tasks were asked
    ids = [json.loads(x)["id"] for x in (run / "predictions.jsonl").read_text().splitlines()]
    assert sorted(ids) == sorted(t.id for t in tiny.tasks)
    assert again.metrics["overall"] == full.metrics["overall"]
    assert again.metrics["usage"]["cost"] <= total * 2


def test_cli_exit_code_and_resume_line(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny))
    suite_dir = export_suite_dir(tiny, tmp_path / "suite")
    base = [
        "eval", "--suite", str(suite_dir), "--backend", "openai:gpt-4o-mini",
        "--base-url", server.base_url, "--api-key", "sk-test", "--no-cache",
    ]  # fmt: skip
    runner = CliRunner()
    out = tmp_path / "run"
    first = runner.invoke(app, [*base, "--cost-limit", "0.0002", "--out", str(out)])
    assert first.exit_code == 1, first.output
    assert "stopped: cost limit $0.0002 reached" in first.output
    assert "--resume --out" in first.output and "Traceback" not in first.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "partial" and metrics["usage"]["cost"] <= 0.0002
    assert metrics["health"]["answered"] == 1  # one task (~$0.000116) fits, two would not
    done = runner.invoke(app, [*base, "--cost-limit", "1", "--resume", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert json.loads((out / "metrics.json").read_text())["status"] == "complete"
    config = json.loads((out / "config.json").read_text())
    assert config["cost_limit"] == 1.0
