"""SIGKILL during a write load, restart: every acknowledged write is there, none twice."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "serve_load.py"


@pytest.mark.slow
def test_sigkill_keeps_acknowledged_writes_once(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("serve_load", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    result = mod.kill_check(tmp_path / "data", None, after=1.5)
    assert result["acknowledged"] > 0
    assert result["missing"] == 0 and result["duplicates"] == 0, result
