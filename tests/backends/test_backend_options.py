"""Backend options: each backend takes the options it declares and refuses any other."""

from __future__ import annotations

import sys

import pytest
from petool_test_support import make_tiny_suite, petool

from petool.backends.random_backend import RandomBackend
from petool.backends.ranker_backend import RankerBackend
from petool.backends.registry import COMMON_OPTIONS, backend_options, make_backend
from petool.errors import ConfigError
from petool.ranker import RankerConfig
from petool.suites.directory import export_suite_dir


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        (
            "oracle",
            {"temperature": 0.9},
            "backend 'oracle' takes no option 'temperature' (it takes: seed, concurrency)",
        ),
        (
            "oracle",
            {"temperature": 0.9, "adapter": "/nonexistent"},
            "backend 'oracle' takes no options 'temperature', 'adapter'"
            " (it takes: seed, concurrency)",
        ),
        (
            "random",
            {"max_new_tokens": 12},
            "backend 'random' takes no option 'max_new_tokens' (it takes: seed, concurrency)",
        ),
        (
            "ranker:half_life=3",
            {"base_url": "http://localhost:8000/v1"},
            "backend 'ranker' takes no option 'base_url'"
            " (it takes: seed, concurrency, device, config)",
        ),
        (
            "openai:m",
            {"base_url": "http://127.0.0.1:9/v1", "device": "cuda"},
            "backend 'openai' takes no option 'device' (it takes: seed, concurrency, base_url,",
        ),
        (
            "hf:some/model",
            {"tensor_parallel_size": 2},
            "backend 'hf' takes no option 'tensor_parallel_size' (it takes: seed, concurrency,"
            " adapter, device,",
        ),
    ],
)
def test_an_option_the_backend_does_not_take_is_one_line(spec, options, message):
    with pytest.raises(ConfigError) as caught:
        make_backend(spec, seed=0, concurrency=8, **options)
    text = str(caught.value)
    assert text.startswith(message) and "\n" not in text


def test_declared_options_still_work_and_none_means_not_given():
    assert isinstance(make_backend("oracle", seed=3, concurrency=64, temperature=None), object)
    rand = make_backend("random", seed=7, concurrency=8)
    assert isinstance(rand, RandomBackend) and rand.seed == 7
    assert make_backend("random:5", seed=7).config()["seed"] == 5
    ranker = make_backend("ranker:sharpness=2", seed=1, device="cpu", config=RankerConfig())
    assert isinstance(ranker, RankerBackend)
    assert (ranker.config()["sharpness"], ranker.config()["seed"]) == (2.0, 1)
    openai = make_backend("openai:m", base_url="http://127.0.0.1:9/v1", temperature=0.5, seed=2)
    assert openai.config()["sampling"]["temperature"] == 0.5
    openai.setup(make_tiny_suite(1))  # no request is sent


def test_the_options_each_backend_declares():
    assert backend_options("oracle") == COMMON_OPTIONS == ("seed", "concurrency")
    assert backend_options("random") == ("seed", "concurrency")
    assert backend_options("ranker") == ("seed", "concurrency", "device", "config")
    openai = backend_options("openai:gpt-4o")
    assert openai is not None and {"temperature", "transport", "no_cache"} <= set(openai)
    hf = backend_options("hf:x")
    assert hf is not None and "adapter" in hf and "base_url" not in hf
    vllm = backend_options("vllm:x")
    assert vllm is not None and "tensor_parallel_size" in vllm and "device" not in vllm


def test_a_plugin_factory_with_keyword_options_takes_anything():
    assert backend_options("petool_test_plugins:slow_oracle") is None
    backend = make_backend(
        "petool_test_plugins:slow_oracle", seed=0, concurrency=4, temperature=0.9, whatever=1
    )
    assert backend.name == "slow-oracle"


@pytest.fixture
def suite_dir(tmp_path):
    return export_suite_dir(make_tiny_suite(6), tmp_path / "suite")


def test_cli_refuses_an_option_the_backend_does_not_take(suite_dir, tmp_path):
    run = tmp_path / "run"
    args = ("eval", "--suite", str(suite_dir), "--out", str(run))
    r = petool(*args, "--backend", "oracle", "--temperature", "0.9", "--adapter", "/nonexistent")
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "backend 'oracle' takes no options 'temperature', 'adapter'" in err
    assert "(it takes: seed, concurrency)" in err and not run.exists()
    r = petool(*args, "--backend", "random", "--seed", "3", "--concurrency", "2", "--json")
    assert r.returncode == 0, r.stderr


def test_cli_names_the_closest_backend_for_a_typo(suite_dir):
    r = petool("eval", "--suite", str(suite_dir), "--backend", "openia:gpt-4o")
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "unknown backend 'openia' (registered: " in err
    assert err.endswith("did you mean 'openai'?)")


def test_a_missing_extra_is_one_line_naming_it(tmp_path, monkeypatch):
    from petool.backends import openai_backend
    from petool.backends.pricing import load_price_file

    prices = tmp_path / "prices.yaml"
    prices.write_text("my-model: {input: 1, output: 2}\n")
    assert load_price_file(prices)["my-model"].output == 2
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
    with pytest.raises(ConfigError, match=r"needs PyYAML: pip install 'petool\[openai\]'$"):
        load_price_file(prices)
    monkeypatch.setattr(openai_backend, "_aiohttp_installed", lambda: False)
    with pytest.raises(ConfigError, match=r"needs aiohttp: pip install 'petool\[openai\]'$"):
        make_backend("openai:m", base_url="http://127.0.0.1:9/v1", transport="http")
