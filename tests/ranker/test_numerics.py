"""Portable numerics: the environment that makes the encoder compute the same bits on any
x86-64 CPU, checked in real child processes (the variables act only when libraries load)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from petool.ranker.numerics import export_lines, portable_env

x86_only = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="the caps are for x86-64"
)

_RECORD = (
    "import json; from petool.ranker.numerics import numerics_record as r; print(json.dumps(r()))"
)
_ENCODE = """
import hashlib, numpy as np
from petool.embedding import get_embedder
from petool.ranker.numerics import torch_threads
with torch_threads(2):
    v = get_embedder().encode(["buy shares of a healthcare stock", "fresh groceries", "a taxi"])
print(hashlib.sha256(np.asarray(v).tobytes()).hexdigest())
"""


def _native_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in portable_env()}


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@x86_only
def test_the_export_lines_set_every_cap_for_a_shell() -> None:
    env = portable_env()
    assert {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR", "OPENBLAS_CORETYPE"} <= set(
        env
    )
    assert env["MKL_CBWR"] == "COMPATIBLE,STRICT"
    shell = subprocess.run(
        ["sh", "-c", f"{export_lines()}\nenv"], capture_output=True, text=True, check=True
    )
    for key, value in env.items():
        assert f"{key}={value}" in shell.stdout.splitlines()


@x86_only
def test_a_process_under_the_caps_runs_avx2_kernels_and_says_so() -> None:
    native = json.loads(_run(_RECORD, _native_env()))
    capped = json.loads(_run(_RECORD, {**_native_env(), **portable_env()}))
    assert native["portable"] is False
    assert capped["portable"] is True
    assert capped["torch_cpu_capability"] in ("AVX2", "DEFAULT")  # DEFAULT: a CPU without AVX2
    assert not any(t.startswith(("AVX512", "X86_V4")) for t in capped["numpy_dispatch"])


@x86_only
@pytest.mark.slow
def test_under_the_caps_the_encoder_bits_do_not_depend_on_the_thread_pool() -> None:
    env = {**_native_env(), **portable_env()}
    one = _run(_ENCODE, {**env, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    three = _run(_ENCODE, {**env, "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"})
    assert one == three
