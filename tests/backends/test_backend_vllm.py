"""``vllm:``: a clear error without vLLM; a real run on a GPU machine that has it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from backend_helpers import isolated_cache
from petool_test_support import make_tiny_suite

from petool.backends.registry import make_backend
from petool.backends.vllm_backend import _lora_limit, adapter_rank
from petool.errors import ConfigError
from petool.suites.directory import export_suite_dir

__all__ = ["isolated_cache"]

HAS_VLLM = importlib.util.find_spec("vllm") is not None


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_without_vllm_the_backend_says_how_to_install_it():
    with pytest.raises(ConfigError, match=r"pip install 'petool\[vllm\]'") as info:
        make_backend("vllm:some/model", tensor_parallel_size=2)
    assert "\n" not in str(info.value)


@pytest.mark.slow
@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_without_vllm_the_cli_exits_2_with_one_line(tmp_path):
    suite_dir = export_suite_dir(make_tiny_suite(3), tmp_path / "suite")
    r = subprocess.run(
        [
            *(sys.executable, "-m", "petool", "eval", "--suite", str(suite_dir)),
            *("--backend", "vllm:some/model", "--out", str(tmp_path / "run")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PETOOL_DEBUG": ""},
    )
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "petool[vllm]" in lines[0]


def test_lora_rank_limits(tmp_path):
    (tmp_path / "adapter_config.json").write_text(json.dumps({"r": 24}))
    assert adapter_rank(tmp_path) == 24
    assert _lora_limit(24) == 32 and _lora_limit(8) == 8 and _lora_limit(64) == 64
    with pytest.raises(ConfigError, match="larger than vLLM supports"):
        _lora_limit(1024)
    with pytest.raises(ConfigError, match="adapter config"):
        adapter_rank(tmp_path / "missing")


@pytest.mark.slow
@pytest.mark.skipif(
    not (HAS_VLLM and _has_cuda()),
    reason="needs vLLM (pip install 'petool[vllm]') and a CUDA GPU"
    + ("" if HAS_VLLM else "; vLLM is not installed"),
)
def test_tiny_model_runs_through_vllm_with_a_lora_adapter(tmp_path):
    from tiny_llama import build_tiny_llama, make_lora_adapter

    from petool.prompts import render_messages
    from petool.run import evaluate

    suite = make_tiny_suite(6)
    tools = suite.tool_index()
    corpus = [m["content"] for t in suite.tasks for m in render_messages(t, tools)]
    model = build_tiny_llama(tmp_path / "model", corpus, hidden_size=256)
    adapter = make_lora_adapter(model, tmp_path / "lora")
    backend = make_backend(f"vllm:{model}", adapter=str(adapter), max_new_tokens=12)
    result = evaluate(suite, backend, out_dir=tmp_path / "run")
    assert {p.status for p in result.predictions} <= {"ok", "no_call", "parse_error"}
    assert result.metrics["overall"]["backend_errors"] == 0
    assert all(p.usage.prompt_tokens > 100 for p in result.predictions)
