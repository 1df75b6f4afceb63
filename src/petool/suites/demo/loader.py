"""The shipped demo suite: a suite directory inside the package (written by
``petool.synth.demo``, which regenerates it byte for byte)."""

from __future__ import annotations

from pathlib import Path

from petool.schema import Suite
from petool.suites.directory import load_suite_dir

NAME = "demo"
DESCRIPTION = "petool's own catalog: preferences over tool attributes, 3 history modes"
DEMO_DIR = Path(__file__).parent / "data"
"""The suite directory (``suite.json``, ``tools.jsonl``, ``tasks.jsonl``), package data."""


def load_demo(data: Path | None = None) -> Suite:
    """Load the shipped demo suite (``data`` overrides the directory)."""
    return load_suite_dir(data if data is not None else DEMO_DIR)
