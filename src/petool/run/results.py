"""``results.jsonl``: one line per task with its gold, its prediction and every verdict.

A row (:class:`ResultRow`) holds what a reader needs to inspect one task without the suite:
its id, split, history mode, history length and category; the gold calls and the predicted
calls; the parse status and the error message; petool's unified verdicts (tool, parameters,
call, abstention) with the error-taxonomy label; and, for a suite with an official scorer,
that scorer's own verdicts of the task (``official``: PEToolBench's tool / parameters,
ToolSpectrum's APP / API / RP / PP / OP, PTBench's platform / tool / parameter columns).
``petool eval`` writes it beside predictions.jsonl; ``petool score`` writes the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from petool.io import write_jsonl
from petool.schema import NO_MODE, Prediction, Suite, Task, ToolCall
from petool.scoring.registry import task_verdicts
from petool.scoring.taxonomy import ErrorLabel, Status, task_outcome
from petool.scoring.unified import history_length


class ResultRow(BaseModel):
    """One task's outcome (a line of results.jsonl)."""

    id: str
    split: str
    mode: str
    history_length: int
    category: str
    gold: list[ToolCall] = Field(description="empty: no call is right")
    predicted: list[ToolCall] = Field(default_factory=list)
    status: Status = Field(description="ok, no_call, parse_error, backend_error or missing")
    error_message: str | None = None
    tool_correct: bool
    parameters_correct: bool
    call_correct: bool
    abstention_expected: bool
    abstained: bool
    error: ErrorLabel | None = Field(description="the taxonomy label; None when right")
    official: dict[str, Any] | None = Field(
        default=None, description="the suite's own scorer's verdicts of this task"
    )
    trial: int | None = Field(default=None, description="the trial (runs with --trials K > 1)")


def result_rows(
    suite: Suite,
    tasks: Sequence[Task],
    predictions: Mapping[str, Prediction],
    trial: int | None = None,
) -> Iterator[ResultRow]:
    """The rows of ``tasks`` (a task without a prediction is ``missing``, never skipped)."""
    tools = suite.tool_index()
    verdicts_of = task_verdicts.find(suite.info.scorer)
    official = verdicts_of(suite, tasks, predictions) if verdicts_of is not None else {}
    for task in tasks:
        prediction = predictions.get(task.id)
        outcome = task_outcome(task, prediction, tools)
        yield ResultRow(
            id=task.id,
            split=task.meta.split,
            mode=task.mode or NO_MODE,
            history_length=history_length(task),
            category=task.meta.category,
            gold=list(task.gold),
            predicted=list(prediction.calls) if prediction is not None else [],
            status=outcome["status"],
            error_message=prediction.error if prediction is not None else None,
            tool_correct=outcome["tool_correct"],
            parameters_correct=outcome["params_correct"],
            call_correct=outcome["call_correct"],
            abstention_expected=not task.gold,
            abstained=outcome["status"] == "no_call",
            error=outcome["error"],
            official=official.get(task.id),
            trial=trial,
        )


def write_results(
    path: str | Path,
    suite: Suite,
    tasks: Sequence[Task],
    predictions: Sequence[Prediction],
    trials: int = 1,
) -> Path:
    """Write results.jsonl for ``tasks`` (the first prediction of an id counts); return it.

    With ``trials`` > 1 there is one row per (task, trial), trial by trial, each with its
    ``trial``; a single-trial run's rows carry none.
    """
    if trials == 1:
        by_id: dict[str, Prediction] = {}
        for p in predictions:
            by_id.setdefault(p.id, p)
        write_jsonl(path, result_rows(suite, tasks, by_id))
        return Path(path)

    def rows() -> Iterator[ResultRow]:
        for trial in range(trials):
            mine: dict[str, Prediction] = {}
            for p in predictions:
                if p.trial == trial:
                    mine.setdefault(p.id, p)
            yield from result_rows(suite, tasks, mine, trial)

    write_jsonl(path, rows())
    return Path(path)
