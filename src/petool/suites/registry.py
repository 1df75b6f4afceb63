"""Registered suites by name, plus suites given as a directory.

``load_suite("demo")`` loads a registered suite; ``load_suite("path/to/dir")`` a directory.
Adapters for public benchmarks register a loader ``loader(data_dir: Path | None) -> Suite``.
Third-party suites come through the ``petool.suites`` entry-point group.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from petool.errors import InputError
from petool.schema import Suite
from petool.suites.directory import is_suite_dir, load_suite_dir

SuiteLoader = Callable[[Path | None], Suite]

_REGISTRY: dict[str, SuiteLoader] = {}
_DESCRIPTIONS: dict[str, str] = {}
_BUILTIN_MODULES = (
    "petool.suites.demo",
    "petool.suites.petoolbench",
    "petool.suites.toolspectrum",
    "petool.suites.ptbench",
)
_builtins_loaded = False


def register_suite(name: str, description: str = "") -> Callable[[SuiteLoader], SuiteLoader]:
    """Decorator: register a suite loader under ``name``."""

    def deco(loader: SuiteLoader) -> SuiteLoader:
        _REGISTRY[name] = loader
        _DESCRIPTIONS[name] = description
        return loader

    return deco


def _ensure_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group="petool.suites"):
        if ep.name not in _REGISTRY:
            _REGISTRY[ep.name] = ep.load()
            _DESCRIPTIONS[ep.name] = "(plugin)"
    _builtins_loaded = True


def registered_suites() -> dict[str, str]:
    """Registered suite names and their one-line descriptions."""
    _ensure_builtins()
    return {name: _DESCRIPTIONS.get(name, "") for name in sorted(_REGISTRY)}


def load_suite(name_or_dir: str | Path, data: str | Path | None = None) -> Suite:
    """Load a registered suite by name or a suite directory by path."""
    _ensure_builtins()
    key = str(name_or_dir)
    if key in _REGISTRY:
        return _REGISTRY[key](Path(data) if data is not None else None)
    if is_suite_dir(key):
        return load_suite_dir(key)
    if Path(key).exists():
        raise InputError(f"{key}: not a suite directory (no suite.json inside)")
    known = ", ".join(sorted(_REGISTRY))
    raise InputError(f"unknown suite '{key}' (registered: {known}; or a suite directory)")
