"""Scoring: the scorer registry, petool's unified metrics, the error taxonomy, value matching.

``get_scorer(suite.info.scorer)(suite, tasks, predictions)`` scores a run; each benchmark's
official scorer lives in its package ``petool.suites.<benchmark>``, which registers it with
:func:`register_scorer` (nothing here imports a benchmark).
"""

from petool.scoring.registry import Scorer, available_scorers, get_scorer, register_scorer
from petool.scoring.taxonomy import (
    ERROR_LABELS,
    ErrorLabel,
    TaskOutcome,
    classify_error,
    task_outcome,
)
from petool.scoring.unified import score_tasks, score_unified
from petool.scoring.values import arguments_match, values_match

__all__ = [
    "ERROR_LABELS",
    "ErrorLabel",
    "Scorer",
    "TaskOutcome",
    "arguments_match",
    "available_scorers",
    "classify_error",
    "get_scorer",
    "register_scorer",
    "score_tasks",
    "score_unified",
    "task_outcome",
    "values_match",
]
