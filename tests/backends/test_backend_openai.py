"""``openai:`` against a real HTTP server on loopback, through ``petool.run.evaluate``."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import pytest
from backend_helpers import isolated_cache, scripts_for, serve, tiny
from petool_test_support import make_tiny_suite

from petool.backends import openai_backend
from petool.backends.registry import make_backend
from petool.errors import ConfigError
from petool.run import RetryPolicy, evaluate
from petool.schema import SuiteInfo

__all__ = ["isolated_cache", "serve", "tiny"]  # fixtures used by the tests below

FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(params=["http", "sdk+aiohttp", "sdk+httpx"])
def transport(request):
    """Run a test through petool's HTTP client and the SDK on each of its transports."""
    if request.param != "sdk+httpx" and not openai_backend._aiohttp_installed():
        pytest.skip("aiohttp is not installed (pip install 'openai[aiohttp]')")
    if request.param == "sdk+aiohttp" and not openai_backend._aiohttp_transport():
        pytest.skip("this openai SDK has no aiohttp transport")
    return request.param


def _backend(server, **options):
    return make_backend("openai:gpt-4o-mini", base_url=server.base_url, **options)


def test_text_mode_gold_answers_score_one(tiny, serve, tmp_path, transport):
    server = serve(scripts_for(tiny))
    backend = _backend(server, transport=transport)
    result = evaluate(tiny, backend, out_dir=tmp_path / "run", concurrency=4)
    assert result.metrics["overall"]["call_accuracy"] == 1.0
    assert all(p.status == "ok" and p.attempts == 1 and not p.cached for p in result.predictions)
    assert server.total == len(tiny.tasks)
    body = server.bodies[0]
    assert body["temperature"] == 0.0 and body["seed"] == 0 and "tools" not in body
    # usage and cost per task and per run, priced from the table (gpt-4o-mini: 0.15 / 0.60)
    first = result.predictions[0].usage
    assert first.prompt_tokens > 0 and first.completion_tokens > 0
    expected = (first.prompt_tokens * 0.15 + first.completion_tokens * 0.60) / 1e6
    assert first.cost == pytest.approx(expected)
    assert result.metrics["usage"]["cost"] == pytest.approx(
        sum(p.usage.cost for p in result.predictions), abs=1e-6
    )
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    backend = config["backend_config"]
    assert backend["transport"] == transport
    assert backend["model"] == "gpt-4o-mini" and backend["base_url"] == server.base_url
    assert backend["sampling"]["temperature"] == 0.0
    assert backend["price_per_1m_tokens"] == {"input": 0.15, "output": 0.60}
    assert "api_key" not in json.dumps(config)


def test_native_mode_sends_safe_names_and_maps_them_back(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny, native=True))
    backend = _backend(server, tool_calling="native")
    result = evaluate(tiny, backend, out_dir=tmp_path / "run", concurrency=4)
    assert result.metrics["overall"]["call_accuracy"] == 1.0
    body = server.bodies[0]
    names = [f["function"]["name"] for f in body["tools"]]
    assert len(names) == len(tiny.tasks[0].candidates)
    assert all("." not in name for name in names)  # Finance.Cheap.convert is not a valid name
    assert body["tool_choice"] == "auto"
    assert "## Candidate tools" not in body["messages"][-1]["content"]  # tools go to the API
    for pred in result.predictions:
        assert pred.calls[0].tool == "Finance.Cheap.convert"


def test_failed_first_attempts_are_retried_until_every_task_is_answered(serve, tmp_path, transport):
    suite = make_tiny_suite(40)
    ids = [t.id for t in suite.tasks]
    faults = {i: ["500"] for i in ids[:4]} | {i: ["429"] for i in ids[4:6]}
    server = serve(scripts_for(suite, faults=faults), retry_after="0.3")
    started = time.perf_counter()
    backend = _backend(server, transport=transport)
    result = evaluate(suite, backend, out_dir=tmp_path / "run", concurrency=8, retry=FAST_RETRY)
    elapsed = time.perf_counter() - started
    preds = {p.id: p for p in result.predictions}
    assert len(preds) == 40 and all(p.status == "ok" for p in preds.values())
    assert result.metrics["overall"]["backend_errors"] == 0
    for task_id in ids:
        expected = 2 if task_id in faults else 1
        assert preds[task_id].attempts == expected
        assert server.counts[task_id] == expected
    assert elapsed >= 0.3  # the throttled tasks waited for Retry-After


def test_timeout_is_retried(tiny, serve, tmp_path, transport):
    first = tiny.tasks[0].id
    server = serve(scripts_for(tiny, faults={first: ["timeout"]}), slow_s=3.0)
    backend = _backend(server, timeout=0.5, transport=transport)
    result = evaluate(tiny, backend, out_dir=tmp_path / "run", concurrency=4, retry=FAST_RETRY)
    pred = next(p for p in result.predictions if p.id == first)
    assert pred.status == "ok" and pred.attempts == 2
    assert result.metrics["overall"]["backend_errors"] == 0


def test_malformed_body_becomes_a_backend_error_after_retries(tiny, serve, tmp_path, transport):
    bad = tiny.tasks[3].id
    server = serve(scripts_for(tiny, faults={bad: ["malformed"] * 10}))
    retry = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)
    backend = _backend(server, transport=transport)
    result = evaluate(tiny, backend, out_dir=tmp_path / "run", concurrency=4, retry=retry)
    preds = {p.id: p for p in result.predictions}
    assert preds[bad].status == "backend_error" and preds[bad].attempts == 3
    assert "malformed response" in (preds[bad].error or "")
    assert server.counts[bad] == 3
    assert sum(p.status == "ok" for p in preds.values()) == len(tiny.tasks) - 1
    assert result.metrics["overall"]["backend_errors"] == 1


def test_connection_errors_are_retried_then_recorded(tiny, tmp_path, transport):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = make_backend("openai:m", base_url=f"http://127.0.0.1:{port}/v1", transport=transport)
    retry = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.02)
    result = evaluate(tiny, backend, out_dir=tmp_path / "run", limit=2, retry=retry)
    assert all(p.status == "backend_error" and p.attempts == 2 for p in result.predictions)
    assert "connection error" in (result.predictions[0].error or "")


def test_client_errors_are_not_retried(tiny, serve, tmp_path, transport):
    server = serve({})  # no script: the server answers 400 for every request
    backend = _backend(server, transport=transport)
    result = evaluate(tiny, backend, out_dir=tmp_path / "run", concurrency=4, retry=FAST_RETRY)
    assert all(p.status == "backend_error" and p.attempts == 1 for p in result.predictions)
    # the message is the server's own, read from its error body
    assert (result.predictions[0].error or "").startswith("HTTP 400: no script for instruction")
    assert server.total == len(tiny.tasks)


def test_identical_second_run_is_answered_from_the_cache(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny))
    first = evaluate(tiny, _backend(server), out_dir=tmp_path / "one", concurrency=4)
    assert server.total == len(tiny.tasks)
    server.reset_counts()
    second = evaluate(tiny, _backend(server), out_dir=tmp_path / "two", concurrency=4)
    assert server.total == 0
    assert all(p.cached and p.usage.cost == 0 for p in second.predictions)
    assert second.metrics["overall"] == first.metrics["overall"]
    # another sampling parameter is another request; --no-cache always asks the server
    evaluate(tiny, _backend(server, temperature=0.5), out_dir=tmp_path / "three")
    assert server.total == len(tiny.tasks)
    evaluate(tiny, _backend(server, no_cache=True), out_dir=tmp_path / "four")
    assert server.total == 2 * len(tiny.tasks)


def _entry(**fields):
    return {"id": "gpt-4o-mini", "object": "model", **fields}


def test_another_server_behind_the_same_url_and_model_is_asked_not_the_cache(tiny, serve, tmp_path):
    first = serve(scripts_for(tiny), models=[_entry(created=1_700_000_000, owned_by="team-a")])
    port = first.port
    evaluate(tiny, _backend(first), out_dir=tmp_path / "one", concurrency=4)
    assert first.total == len(tiny.tasks) and first.model_listings == 1  # looked up once
    first.stop()
    # another server on the same port: the same model name, other weights, other answers
    other = scripts_for(tiny)
    for script in other.values():
        script.text = "I cannot help with that."
    second = serve(other, port=port, models=[_entry(created=1_700_000_500, owned_by="team-b")])
    assert second.base_url == first.base_url
    backend = _backend(second)
    result = evaluate(tiny, backend, out_dir=tmp_path / "two", concurrency=4)
    assert second.total == len(tiny.tasks)  # every task asked the new server
    assert not any(p.cached for p in result.predictions)
    assert {p.output for p in result.predictions} == {"I cannot help with that."}
    assert backend.stats()["server"] == {
        "models": "listed",
        "entry": {"id": "gpt-4o-mini", "created": 1_700_000_500, "owned_by": "team-b"},
    }
    # the second server again (a restart that lists its model as the time of the answer,
    # as vLLM does, changes nothing): answered from the cache
    second.stop()
    third = serve(other, port=port, models=[_entry(created=1_700_000_500, owned_by="team-b")])
    again = evaluate(tiny, _backend(third), out_dir=tmp_path / "three", concurrency=4)
    assert third.total == 0 and all(p.cached for p in again.predictions)
    assert {p.output for p in again.predictions} == {"I cannot help with that."}


def test_a_listing_stamped_with_the_time_of_the_answer_keys_the_same(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny), models=[_entry(created="now", owned_by="vllm", root="/w")])
    evaluate(tiny, _backend(server), out_dir=tmp_path / "one", concurrency=4)
    server.reset_counts()
    backend = _backend(server)
    evaluate(tiny, backend, out_dir=tmp_path / "two", concurrency=4)
    assert server.total == 0
    stats = backend.stats()
    assert stats["server"]["entry"] == {"id": "gpt-4o-mini", "owned_by": "vllm", "root": "/w"}
    assert (stats["hits"], stats["misses"], stats["bad_rows"]) == (len(tiny.tasks), 0, 0)


def test_bad_cache_rows_are_counted_and_replaced_by_the_fresh_answer(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny))
    path = tmp_path / "c.sqlite"
    evaluate(tiny, _backend(server, cache_path=path), out_dir=tmp_path / "one", concurrency=4)
    with sqlite3.connect(path) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM responses ORDER BY key LIMIT 3")]
        conn.execute("UPDATE responses SET value = '{broken' WHERE key = ?", (keys[0],))
        conn.execute("UPDATE responses SET value = '[1, 2]' WHERE key = ?", (keys[1],))
        wrong = json.dumps({"output": 3, "tool_calls": None})  # an object of the wrong shape
        conn.execute("UPDATE responses SET value = ? WHERE key = ?", (wrong, keys[2]))
    conn.close()
    server.reset_counts()
    backend = _backend(server, cache_path=path)
    result = evaluate(tiny, backend, out_dir=tmp_path / "two", concurrency=4)
    assert server.total == 3  # the three bad rows were asked again, nothing else
    assert all(p.status == "ok" for p in result.predictions)
    assert result.metrics["overall"]["call_accuracy"] == 1.0
    stats = backend.stats()
    assert (stats["bad_rows"], stats["replaced"], stats["hits"]) == (3, 3, len(tiny.tasks) - 3)
    server.reset_counts()
    again = _backend(server, cache_path=path)
    evaluate(tiny, again, out_dir=tmp_path / "three", concurrency=4)
    assert server.total == 0 and again.stats()["bad_rows"] == 0  # replaced for good


def test_a_server_that_cannot_be_identified_is_asked_uncached(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny))
    backend = _backend(server)
    answers = iter([OSError("connection refused")])

    def flaky_listing():
        error = next(answers, None)
        if error is not None:
            raise error
        return 404, b"", None

    backend._get_models = flaky_listing
    backend.setup(tiny)

    async def ask(tasks):
        out = [await backend.generate([t]) for t in tasks]
        await backend.aclose()
        return out

    first = asyncio.run(ask(tiny.tasks[:2]))
    assert not any(r[0].cached for r in first) and backend.stats()["uncached"] == 2
    assert backend.stats()["server"] is None and len(backend.cache) == 0  # nothing stored
    backend._identity_next_try = 0.0  # the retry interval has passed
    asyncio.run(ask(tiny.tasks[:2]))
    assert backend.stats()["server"] == {"models": "HTTP 404"} and len(backend.cache) == 2


def test_requests_run_concurrently(serve, tmp_path):
    suite = make_tiny_suite(24)
    server = serve(scripts_for(suite), latency=0.25)
    started = time.perf_counter()
    evaluate(suite, _backend(server, no_cache=True), out_dir=tmp_path / "run", concurrency=24)
    assert time.perf_counter() - started < 24 * 0.25 / 3  # one at a time would take 6 s


def test_faithful_suite_sampling_and_explicit_options(serve, tmp_path):
    suite = make_tiny_suite(3)
    suite.info = SuiteInfo(name="tiny", prompt_style="faithful", sampling={"temperature": 0.1})
    for task in suite.tasks:
        task.system_prompt = "Answer with JSON."
    server = serve(scripts_for(suite))
    evaluate(suite, _backend(server), out_dir=tmp_path / "a")
    assert {b["temperature"] for b in server.bodies} == {0.1}
    assert server.bodies[0]["messages"][0]["content"] == "Answer with JSON."
    server.reset_counts()
    backend = _backend(server, temperature=0.0, top_p=0.9, max_new_tokens=64, seed=7)
    evaluate(suite, backend, out_dir=tmp_path / "b", seed=7)
    body = server.bodies[0]
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (
        0.0,
        0.9,
        64,
        7,
    )


def test_options_that_cannot_work_are_config_errors(monkeypatch):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_backend("openai:gpt-4o")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    official = make_backend("openai:gpt-4o")
    assert official.config()["base_url"] == "https://api.openai.com/v1"
    suite = make_tiny_suite(1)
    official.setup(suite)
    request, _ = official.build_request(suite.tasks[0])
    assert request["max_completion_tokens"] == 512 and "max_tokens" not in request
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
    assert make_backend("openai:gpt-4o").config()["base_url"] == "http://127.0.0.1:9/v1"
    assert official.config()["transport"].startswith("sdk+")  # OpenAI's API: through the SDK
    local = make_backend("openai:m", base_url="http://127.0.0.1:9/v1")
    assert local.config()["transport"] == "http"  # any other server: petool's HTTP client
    assert (
        make_backend("openai:m", base_url="http://127.0.0.1:9/v1", transport="sdk")
        .config()["transport"]
        .startswith("sdk+")
    )
    with pytest.raises(ConfigError, match="transport"):
        make_backend("openai:gpt-4o", transport="grpc")
    with pytest.raises(ConfigError, match="tool-calling"):
        make_backend("openai:gpt-4o", tool_calling="json")
    with pytest.raises(ConfigError, match="temperature"):
        make_backend("openai:gpt-4o", temperature=-1)
    with pytest.raises(ConfigError, match="timeout"):
        make_backend("openai:gpt-4o", timeout=0)
    with pytest.raises(ConfigError, match="model name"):
        make_backend("openai:")
    # options meant for other backends are refused, naming the ones it takes
    with pytest.raises(ConfigError, match=r"backend 'openai' takes no options 'adapter', 'dev"):
        make_backend("openai:gpt-4o", adapter="x", device="cpu")
