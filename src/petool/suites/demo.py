"""The built-in ``demo`` suite, shipped inside the package (made by ``petool.synth.demo``)."""

from __future__ import annotations

from pathlib import Path

from petool.schema import Suite
from petool.suites.directory import load_suite_dir
from petool.suites.registry import register_suite

DEMO_DIR = Path(__file__).parent / "data" / "demo"


@register_suite("demo", "petool's own catalog: preferences over tool attributes, 3 history modes")
def load_demo(data: Path | None = None) -> Suite:
    """Load the shipped demo suite (``data`` overrides the directory)."""
    return load_suite_dir(data if data is not None else DEMO_DIR)
