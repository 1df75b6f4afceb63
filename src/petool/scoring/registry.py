"""Scorer names (a suite's ``scorer`` field, ``--scorer``) to scorer functions.

A scorer is a callable ``scorer(suite, tasks, predictions) -> dict`` returning JSON-able metrics,
where ``predictions`` maps a task id to its :class:`~petool.schema.Prediction` (a task without
one must be scored as missing, not skipped). A name is resolved, in order:

1. a scorer registered with :func:`register_scorer` (``unified`` is built in);
2. a dotted path ``package.module:function`` (a user's own scorer, no registration needed);
3. a module of this package with that name, ``petool.scoring.<name>``, which registers itself
   on import (how the per-benchmark official scorers are found);
4. an entry point of the ``petool.scorers`` group (third-party plugins).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

from petool.errors import ConfigError
from petool.schema import Prediction, Suite, Task

Scorer = Callable[[Suite, Sequence[Task], Mapping[str, Prediction]], dict[str, Any]]

ENTRY_POINT_GROUP = "petool.scorers"
_REGISTRY: dict[str, Scorer] = {}
_BUILTIN_MODULES = {"unified": "petool.scoring.unified"}
_MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_NOT_SCORERS = {
    "registry",
    "taxonomy",
    "values",
    "ptbench_lexer",
    "ptbench_native",
    "ptbench_nodes",
    "ptbench_parse",
    "ptbench_resolve",
}


def register_scorer(name: str) -> Callable[[Scorer], Scorer]:
    """Decorator: register a scorer function under ``name``.

    Args:
        name: the name suites and the CLI refer to it by.

    Returns:
        A decorator that registers the function and returns it unchanged.
    """

    def deco(scorer: Scorer) -> Scorer:
        _REGISTRY[name] = scorer
        return scorer

    return deco


def _load_dotted(path: str) -> Scorer:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"scorer '{path}': cannot import module '{module_name}' ({exc})"
        ) from None
    scorer = getattr(module, attr, None)
    if not callable(scorer):
        raise ConfigError(f"scorer '{path}': module '{module_name}' has no function '{attr}'")
    return scorer


def _import_own_module(name: str) -> None:
    """Import ``petool.scoring.<name>`` if it exists, so that it registers itself."""
    module = _BUILTIN_MODULES.get(name)
    if module is None:
        if not _MODULE_NAME.fullmatch(name) or name in _NOT_SCORERS:
            return
        module = f"petool.scoring.{name}"
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:  # the module exists but one of its imports is missing
            raise ConfigError(f"scorer '{name}': {exc}") from None


def _from_entry_points(name: str) -> Scorer | None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            scorer: Scorer = ep.load()
            return scorer
    return None


def available_scorers() -> list[str]:
    """Names of registered, built-in and entry-point scorers."""
    for name in _BUILTIN_MODULES:
        _import_own_module(name)
    names = set(_REGISTRY) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def get_scorer(name: str) -> Scorer:
    """The scorer for a name or a dotted path ``package.module:function``.

    Args:
        name: a registered name (``unified``, a benchmark's official scorer), a dotted path,
            or the name of a ``petool.scorers`` entry point.

    Returns:
        The scorer callable.

    Raises:
        ConfigError: the name is unknown or the dotted path cannot be loaded.
    """
    name = name.strip()
    if not name:
        raise ConfigError("scorer name is empty; try 'unified'")
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        return _load_dotted(name)
    _import_own_module(name)
    if name in _REGISTRY:
        return _REGISTRY[name]
    found = _from_entry_points(name)
    if found is not None:
        return found
    known = ", ".join(available_scorers())
    raise ConfigError(f"unknown scorer '{name}' (known: {known}; or package.module:function)")
