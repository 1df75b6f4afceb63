"""``hf:`` on a tiny Llama-style model built in the test (random weights, trained tokenizer)."""

from __future__ import annotations

import asyncio
import json

import pytest
from backend_helpers import isolated_cache
from petool_test_support import make_tiny_suite
from tiny_llama import build_tiny_llama, make_lora_adapter

from petool.backends.registry import make_backend
from petool.errors import ConfigError
from petool.prompts import render_messages
from petool.run import evaluate

__all__ = ["isolated_cache"]

pytest.importorskip("transformers")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def suite():
    return make_tiny_suite(6)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, suite):
    tools = suite.tool_index()
    corpus = [m["content"] for t in suite.tasks for m in render_messages(t, tools)]
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), corpus)


@pytest.fixture(scope="module")
def adapter_dir(tmp_path_factory, model_dir):
    return make_lora_adapter(model_dir, tmp_path_factory.mktemp("lora"))


def test_whole_suite_runs_through_generation_parsing_and_scoring(suite, model_dir, tmp_path):
    backend = make_backend(f"hf:{model_dir}", max_new_tokens=12, batch_size=4)
    result = evaluate(suite, backend, out_dir=tmp_path / "run", concurrency=4)
    assert len(result.predictions) == len(suite.tasks)
    assert {p.status for p in result.predictions} <= {"ok", "no_call", "parse_error"}
    assert result.metrics["overall"]["backend_errors"] == 0
    for pred in result.predictions:
        assert pred.usage.prompt_tokens > 100 and 1 <= pred.usage.completion_tokens <= 12
        assert pred.usage.cost == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())["backend_config"]
    assert config["device"] == "cpu" and config["dtype"] == "float32"
    assert config["model"] == str(model_dir) and config["chat_template"] is True


def test_left_padded_batches_give_the_same_answers_as_single_prompts(suite, model_dir):
    backend = make_backend(f"hf:{model_dir}", max_new_tokens=8)
    backend.setup(suite)
    tasks = [suite.tasks[0], suite.tasks[2]]  # prompts of different lengths
    prompts = [backend.prompts.prompt(backend.tokenizer, t) for t in tasks]
    lengths = [len(backend.tokenizer(p, add_special_tokens=False).input_ids) for p in prompts]
    assert lengths[0] != lengths[1]
    batched = backend._generate_sync(prompts)
    alone = [backend._generate_sync([p])[0] for p in prompts]
    assert [r.output for r in batched] == [r.output for r in alone]
    assert [r.usage.prompt_tokens for r in batched] == lengths


def test_stop_strings_cut_the_answer(suite, model_dir):
    plain = make_backend(f"hf:{model_dir}", max_new_tokens=12)
    plain.setup(suite)
    text = asyncio.run(plain.generate(suite.tasks[:1]))[0].output
    assert len(text) > 2
    stop = text[2:4]
    cut = make_backend(f"hf:{model_dir}", max_new_tokens=12, stop=[stop])
    cut.setup(suite)
    answer = asyncio.run(cut.generate(suite.tasks[:1]))[0].output
    assert answer == text[: text.index(stop)]


def test_adapter_is_loaded_and_changes_the_logits(suite, model_dir, adapter_dir, tmp_path):
    import torch

    base = make_backend(f"hf:{model_dir}")
    tuned = make_backend(f"hf:{model_dir}", adapter=str(adapter_dir))
    base.setup(suite)
    tuned.setup(suite)
    assert type(tuned.model).__name__.startswith("Peft")
    inputs = base.tokenizer(["convert 10 dollars to EUR"], return_tensors="pt")
    with torch.inference_mode():
        a = base.model(**inputs).logits
        b = tuned.model(**inputs).logits
    assert not torch.allclose(a, b, atol=1e-4)
    result = evaluate(suite, tuned, out_dir=tmp_path / "run", limit=2)
    assert result.metrics["overall"]["backend_errors"] == 0
    assert tuned.config()["adapter"] == str(adapter_dir)


def test_unusable_models_and_options_are_one_line_config_errors(suite, model_dir, tmp_path):
    missing = make_backend(f"hf:{tmp_path / 'nothing-here'}")
    with pytest.raises(ConfigError, match="no model folder") as info:
        missing.setup(suite)
    assert "\n" not in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="cannot load the model") as info:
        make_backend(f"hf:{tmp_path / 'empty'}").setup(suite)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=r"adapter_config\.json"):
        make_backend(f"hf:{model_dir}", adapter=str(tmp_path))
    with pytest.raises(ConfigError, match="dtype"):
        make_backend(f"hf:{model_dir}", dtype="int3")
    with pytest.raises(ConfigError, match="needs a model"):
        make_backend("hf:")
    native = make_backend(f"hf:{model_dir}", tool_calling="native")
    with pytest.raises(ConfigError, match="does not take tools"):
        native.setup(suite)


def test_a_hub_id_offline_fails_at_once_with_one_line(monkeypatch, tmp_path):
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # an empty cache
    backend = make_backend("hf:petool-test-org/no-such-model")
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        backend.load()
    assert time.monotonic() - started < 10
    message = str(err.value)
    assert "\n" not in message and "HF_HUB_OFFLINE" in message and "hf:/path/to/model" in message


def test_a_missing_adapter_is_said_to_not_exist(model_dir, tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        make_backend(f"hf:{model_dir}", adapter=str(tmp_path / "no-adapter"))
