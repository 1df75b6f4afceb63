"""Registered suites by name, plus suites given as a directory.

``load_suite("demo")`` loads a registered suite; ``load_suite("path/to/dir")`` a directory.
Each benchmark's package registers a loader ``loader(data_dir: Path | None) -> Suite``;
third-party suites come through the ``petool.suites`` entry-point group, or — typed by the
user — as a dotted path ``package.module:loader``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from petool.errors import InputError
from petool.registry import Registry
from petool.schema import Suite
from petool.suites.directory import is_suite_dir, load_suite_dir

SuiteLoader = Callable[[Path | None], Suite]

suites: Registry[SuiteLoader] = Registry("suite", group="petool.suites")


def register_suite(name: str, description: str = "") -> Callable[[SuiteLoader], SuiteLoader]:
    """Decorator: register a suite loader under ``name``."""
    return suites.register(name, description=description)


def registered_suites() -> dict[str, str]:
    """Registered suite names and their one-line descriptions."""
    return suites.descriptions()


def load_suite(
    name_or_dir: str | Path, data: str | Path | None = None, *, lenient: bool = False
) -> Suite:
    """Load a registered suite by name, a suite directory by path, or (typed by the user) a
    loader given as ``package.module:loader``. ``lenient``: a suite directory's referential
    problems become counted warnings (``suite.load_warnings``) instead of stopping."""
    key = str(name_or_dir)
    loader = suites.find(key)
    if loader is not None:
        return loader(Path(data) if data is not None else None)
    if is_suite_dir(key):
        return load_suite_dir(key, lenient=lenient)
    if Path(key).exists():
        raise InputError(f"{key}: not a suite directory (no suite.json inside)")
    if ":" in key and "/" not in key and "\\" not in key:  # package.module:loader
        loaded = suites.get(key, trusted=True)(Path(data) if data is not None else None)
        if not isinstance(loaded, Suite):
            raise InputError(f"suite '{key}': the loader returned {type(loaded).__name__}")
        return loaded
    known = ", ".join(suites.names())
    raise InputError(f"unknown suite '{key}' (registered: {known}; or a suite directory)")
