"""Portable numerics: the same float bits from the encoder and numpy on any x86-64 CPU.

The libraries under the ranker pick their kernels by CPU: PyTorch's ATen and oneDNN, MKL,
numpy's SIMD loops and OpenBLAS each run AVX-512 code where the CPU has it and AVX2 code
where it does not. Both are correct, but they round differently (one ulp here and there in
an embedding), and a LambdaRank split threshold lies halfway between two feature values: so a
model trained on an AVX-512 machine differs in its bytes from one trained on the same data and
seed on an AVX2 machine (seen: the shipped model, trained on an AVX2 machine, came out
different in 11,000 lines of trees on an AVX-512 one).

Every one of these libraries reads an environment variable, at load time, that caps its
kernels. :func:`portable_env` gives them: AVX2 with FMA (x86-64-v3, which x86-64 CPUs of the
last decade have) for ATen, oneDNN, numpy and OpenBLAS, and MKL's vendor-independent code
path, so a run under them computes the same bits on all such CPUs, Intel or AMD. The thread
count matters too (PyTorch on one thread rounds differently from two): training fixes
PyTorch's to its ``threads`` setting. The variables must be set before the libraries load,
so in the shell that starts petool::

    eval "$(python -m petool.ranker.numerics)"
    petool ranker train ...

``benchmarks/train_shipped_ranker.sh`` does this (MKL's portable path makes the encoder about
half as fast; training takes a few minutes longer). :func:`numerics_record` says what the
running process computes with; a trained model records it (``training.numerics``).
"""

from __future__ import annotations

import importlib
import os
import platform
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# numpy's dispatch targets that an x86-64-v3 (AVX2 + FMA) CPU runs; later ones are capped
_V3_TARGETS = frozenset(
    {
        "SSE",
        "SSE2",
        "SSE3",
        "SSSE3",
        "SSE41",
        "SSE42",
        "POPCNT",
        "X86_V2",
        "AVX",
        "F16C",
        "FMA3",
        "AVX2",
        "X86_V3",
    }
)
_FIXED_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",  # PyTorch's own vectorized kernels
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN (matmul, linear layers)
    # MKL's conditional numerical reproducibility: one code path on Intel and AMD alike
    # (AVX2 is honoured on Intel only), and STRICT: the same bits whatever the thread count
    "MKL_CBWR": "COMPATIBLE,STRICT",
    "OPENBLAS_CORETYPE": "Haswell",  # numpy's OpenBLAS
}


def _numpy_umath() -> Any:
    try:
        return importlib.import_module("numpy._core._multiarray_umath")  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        return importlib.import_module("numpy.core._multiarray_umath")


def _numpy_dispatch() -> tuple[list[str], list[str]]:
    """numpy's dispatch targets built in, and those this process runs."""
    umath = _numpy_umath()
    built = list(getattr(umath, "__cpu_dispatch__", []))
    features = getattr(umath, "__cpu_features__", {})
    return built, [t for t in built if features.get(t)]


def portable_env() -> dict[str, str]:
    """The environment that caps every kernel choice at AVX2 (empty off x86-64)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return {}
    env = dict(_FIXED_ENV)
    capped = [t for t in _numpy_dispatch()[0] if t not in _V3_TARGETS]
    if capped:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(capped)
    return env


def is_portable() -> bool:
    """Whether this process was started under :func:`portable_env`."""
    return all(os.environ.get(k) == v for k, v in portable_env().items())


def numerics_record() -> dict[str, Any]:
    """What this process computes with: the kernels PyTorch and numpy run, and whether the
    portable caps are in force (recorded in a trained model)."""
    import torch

    return {
        "machine": platform.machine(),
        "portable": is_portable(),
        "torch_cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
        "numpy_dispatch": _numpy_dispatch()[1],
    }


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """PyTorch on ``n`` intra-op threads inside the block (its rounding depends on them)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def export_lines() -> str:
    """``export NAME=value`` lines for a POSIX shell."""
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in portable_env().items())


if __name__ == "__main__":
    print(export_lines())
