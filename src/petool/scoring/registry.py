"""Scorer names (a suite's ``scorer`` field) to scorer functions.

A scorer is a callable ``scorer(suite, tasks, predictions) -> dict`` returning JSON-able metrics,
where ``predictions`` maps a task id to its :class:`~petool.schema.Prediction` (a task without
one must be scored as missing, not skipped). Names resolve through :mod:`petool.registry`:
registered scorers (``unified`` and each benchmark's official scorer, registered by its
``petool.suites.<benchmark>`` package), ``petool.scorers`` entry points, and — from Python code
only, never from a suite file — a dotted path ``package.module:function``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from petool.registry import Registry
from petool.schema import Prediction, Suite, Task

Scorer = Callable[[Suite, Sequence[Task], Mapping[str, Prediction]], dict[str, Any]]

ENTRY_POINT_GROUP = "petool.scorers"
scorers: Registry[Scorer] = Registry("scorer", group=ENTRY_POINT_GROUP)


def register_scorer(name: str) -> Callable[[Scorer], Scorer]:
    """Decorator: register a scorer function under ``name``."""
    return scorers.register(name)


def available_scorers() -> list[str]:
    """Names of registered and entry-point scorers."""
    return scorers.names()


def get_scorer(name: str, *, trusted: bool = True) -> Scorer:
    """The scorer for a registered name, an entry point, or (``trusted``) a dotted path.

    Raises:
        ConfigError: the name is unknown or the dotted path cannot be loaded.
    """
    return scorers.get(name, trusted=trusted)


#: ``verdicts(suite, tasks, predictions) -> {task_id: {name: value}}``: a benchmark's official
#: judgement of each task (the per-task rows of ``results.jsonl``), registered under the name of
#: its scorer. A scorer without one gets only petool's unified verdicts per task.
TaskVerdicts = Callable[
    [Suite, Sequence[Task], Mapping[str, Prediction]], dict[str, dict[str, Any]]
]
task_verdicts: Registry[TaskVerdicts] = Registry("per-task verdicts")
