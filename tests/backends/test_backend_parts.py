"""The parts of the model backends: Retry-After, prices, the response cache, sampling."""

from __future__ import annotations

import email.utils
import json
import sqlite3
import threading
import time

import pytest
from backend_helpers import isolated_cache
from petool_test_support import make_tiny_suite

from petool.backends.cache import (
    ResponseCache,
    default_cache_path,
    identity_text,
    model_identity,
    request_key,
)
from petool.backends.openai_wire import parse_retry_after, read_completion
from petool.backends.pricing import Price, PriceTable, load_price_file
from petool.backends.sampling import SamplingOptions, cut_at_stop, resolve_sampling
from petool.errors import BackendError, ConfigError, InputError
from petool.schema import SuiteInfo

__all__ = ["isolated_cache"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "750", "retry-after": "2"}, 0.75),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after": "100000"}, 120.0),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after": "whenever"}, None),
        ({"retry-after": "nan"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = parse_retry_after({"retry-after": when})
    assert wait is not None and 25 <= wait <= 31


def test_read_completion_keeps_text_tool_calls_and_usage():
    body = {
        "choices": [
            {
                "message": {
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {}}}
                    ],
                }
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3},
    }
    value = read_completion(body)
    assert value["output"] == "" and value["prompt_tokens"] == 12
    assert value["tool_calls"][0]["function"] == {"name": "f", "arguments": "{}"}
    assert read_completion({"choices": [{"message": {"content": "hi"}}]})["completion_tokens"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"choices": []},
        {"choices": "x"},
        {"choices": [{"text": "legacy"}]},
        {"choices": [{"message": {"tool_calls": "f()"}}]},
        {"choices": [{"message": {"tool_calls": [{"id": 1}]}}]},
        [],
        "error",
    ],
)
def test_read_completion_rejects_malformed_bodies(body):
    with pytest.raises(BackendError, match="malformed response") as info:
        read_completion(body)
    assert info.value.retryable


def test_price_lookup_prefixes_providers_and_unknown_models():
    table = PriceTable.load()
    assert table.lookup("gpt-4o") == Price(2.5, 10.0)
    assert table.lookup("gpt-4o-2024-08-06") == Price(2.5, 10.0)
    assert table.lookup("gpt-4o-mini-2024-07-18") == Price(0.15, 0.60)
    assert table.lookup("openai/GPT-4o-mini") == Price(0.15, 0.60)
    assert table.lookup("gpt-4-0613") == Price(30.0, 60.0)
    assert table.lookup("gpt-4omni") is None
    assert table.lookup("my-local-llama") is None
    assert Price(2.0, 8.0).cost(1_000_000, 500_000) == pytest.approx(6.0)


def test_user_prices_from_files_env_and_mappings(tmp_path, monkeypatch):
    json_file = tmp_path / "prices.json"
    json_file.write_text(json.dumps({"my-model": {"input": 1, "output": 2}, "gpt-4o": [1, 1]}))
    yaml_file = tmp_path / "prices.yaml"
    yaml_file.write_text("other-model:\n  input: 0.5\n  output: 1.5\n")
    table = PriceTable.load(json_file)
    assert table.lookup("my-model-v2") == Price(1.0, 2.0) and table.lookup("gpt-4o") == Price(1, 1)
    monkeypatch.setenv("PETOOL_PRICES", str(yaml_file))
    table = PriceTable.load({"third": [3, 3]})
    assert table.lookup("other-model") == Price(0.5, 1.5)
    assert table.lookup("third") == Price(3, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"m": {"input": 1}}', "field 'm'"),
        ('{"m": [1, "x"]}', "field 'm'"),
        ('{"m": {"input": -1, "output": 1}}', "field 'm'"),
        ('["m"]', "expected an object"),
        ('{"m": ', "invalid JSON"),
    ],
)
def test_bad_price_files_name_file_and_field(tmp_path, text, message):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        load_price_file(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InputError, match="cannot read"):
        load_price_file(tmp_path / "missing.json")


def test_cache_location_round_trip_and_key(isolated_cache, tmp_path):
    assert default_cache_path() == isolated_cache / "responses.sqlite"
    assert request_key({"a": 1, "b": [1, 2]}) == request_key({"b": [1, 2], "a": 1})
    assert request_key({"a": 1}) != request_key({"a": 2})
    cache = ResponseCache()
    assert cache.get("k") is None
    cache.put("k", "m", {"output": "x", "tool_calls": None})
    cache.close()
    reopened = ResponseCache(isolated_cache / "responses.sqlite")
    assert reopened.get("k") == {"output": "x", "tool_calls": None} and len(reopened) == 1
    reopened.close()


def test_cache_is_safe_across_threads(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")

    def work(n: int) -> None:
        for i in range(50):
            cache.put(f"{n}-{i}", "m", {"i": i})
            assert cache.get(f"{n}-{i}") == {"i": i}

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 200


def test_damaged_cache_entry_is_a_miss_and_unusable_file_is_a_config_error(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    cache.put("k", "m", {"a": 1})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE responses SET value = '{broken'")
    assert cache.get("k") is None
    not_a_db = tmp_path / "junk.sqlite"
    not_a_db.write_text("this is not a database" * 100)
    with pytest.raises(ConfigError, match="--no-cache"):
        ResponseCache(not_a_db).get("k")


def test_model_identity_keeps_the_stable_fields_of_the_models_entry():
    listing = {
        "data": [
            {"id": "other", "created": 1},
            {
                "id": "m",
                "created": 1_000,
                "owned_by": "vllm",
                "root": "/weights",
                "max_model_len": 4096,
                "permission": [{"id": "modelperm-random", "created": 5}],
                "meta": {"n_params": 7, "nested": {"x": 1}},
            },
        ]
    }
    assert model_identity(listing, "m", server_time=10_000) == {
        "models": "listed",
        "entry": {
            "id": "m",
            "created": 1_000,
            "owned_by": "vllm",
            "root": "/weights",
            "max_model_len": 4096,
            "meta": {"n_params": 7},
        },
    }
    # a "created" at the server's own clock is the time of the answer: left out
    stamped = model_identity(listing, "m", server_time=1_030)
    assert "created" not in stamped["entry"]
    assert model_identity(listing, "absent") == {"models": "unlisted"}
    assert model_identity(["not", "a", "listing"], "m") == {"models": "unreadable"}
    assert identity_text({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'


def test_cache_rows_a_check_rejects_are_bad_rows_and_replaced(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("k", "m", {"output": 1})
    assert cache.get("k", valid=lambda v: isinstance(v["output"], str)) is None
    assert cache.get("k", valid=lambda v: v["missing"]) is None  # a check that raises: bad
    assert cache.stats() == {"hits": 0, "misses": 2, "bad_rows": 2, "replaced": 0}
    cache.put("k", "m", {"output": "x"})
    assert cache.get("k", valid=lambda v: isinstance(v["output"], str)) == {"output": "x"}
    assert cache.stats() == {"hits": 1, "misses": 2, "bad_rows": 2, "replaced": 1}
    cache.close()


def test_sampling_defaults_suite_values_and_user_options():
    suite = make_tiny_suite(1)
    assert resolve_sampling(suite, "unified") == SamplingOptions()
    assert SamplingOptions().greedy and SamplingOptions().seed == 0
    suite.info = SuiteInfo(name="t", sampling={"temperature": 0.1, "max_new_tokens": 256})
    faithful = resolve_sampling(suite, "faithful")
    assert (faithful.temperature, faithful.max_new_tokens) == (0.1, 256)
    assert resolve_sampling(suite, "unified").temperature == 0.0  # only the faithful prompt
    mine = resolve_sampling(suite, "faithful", temperature=0.0, top_p=0.5, seed=3, stop="\n\n")
    assert (mine.temperature, mine.top_p, mine.seed, mine.stop) == (0.0, 0.5, 3, ("\n\n",))
    assert mine.as_dict()["stop"] == ["\n\n"]
    suite.info = SuiteInfo(name="t", sampling={"temperature": "hot"})
    with pytest.raises(ConfigError, match=r"sampling\.temperature"):
        resolve_sampling(suite, "faithful")
    with pytest.raises(ConfigError, match="top-p"):
        SamplingOptions(top_p=0)
    with pytest.raises(ConfigError, match="max-new-tokens"):
        SamplingOptions(max_new_tokens=0)


def test_cut_at_stop():
    assert cut_at_stop("abc###def", ["###"]) == "abc"
    assert cut_at_stop("a\n\nb<|end|>", ["<|end|>", "\n\n"]) == "a"
    assert cut_at_stop("plain", []) == "plain"


def test_http_client_takes_the_proxy_from_the_environment_once(monkeypatch):
    from petool.backends.openai_http import ChatCompletionsHTTP, env_proxy

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("https://api.example.com/v1/chat/completions") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert env_proxy("https://api.example.com/v1/chat/completions") == "http://proxy.internal:3128"
    assert env_proxy("http://127.0.0.1:8000/v1/chat/completions") is None
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")
    client = ChatCompletionsHTTP("https://api.example.com/v1/", "sk-x", timeout=5, connections=8)
    assert client.url == "https://api.example.com/v1/chat/completions"
    assert client.proxy == "http://proxy.internal:3128"
    assert client.headers["Authorization"] == "Bearer sk-x"
    assert client.headers["OpenAI-Organization"] == "org-1"
