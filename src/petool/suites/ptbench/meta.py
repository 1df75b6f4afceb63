"""PTBench's own task fields, typed, and where its rules come from.

The loader keeps, beside the schema's fields, a record's position (``meta.index``) and its
native ``answer``, ``platforms``, ``tools``, ``query_params``, ``profile_params`` and
profile kind (``meta.native``). On disk they stay in the task's meta extras, so a suite
exported to a directory keeps loading and scoring; in code they are read only through
:func:`ptbench_fields`, which validates them once into :class:`PTBenchFields`.

Why the gold answer is kept twice — typed (``Task.gold``) and native (``native.answer``): the
official scorer judges the record's ``[platform, [{function: {param: accepted}}]]`` exactly,
and the typed gold cannot always give it back. A parameter whose accepted list is empty has
no place in ``ToolCall.arguments``; an accepted value that is not a list (a bare string, which
their ``include`` iterates by characters) becomes a one-value list; an answer without functions
loses its platform. So the scorer reads ``native.answer`` where the loader kept it, and rebuilds
the answer from the typed gold only for a task without it (one of another suite).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from petool.io import parse_record
from petool.schema import Task

SOURCE = "hyfshadow/PTBench@9678ecc80b3b39fa9694f25662c44bf4245f0486"
RAW_PROFILE = "raw"  # native.profile_kind: the profile was not a JSON object


class PTBenchNative(BaseModel):
    """A record's native fields (what the official scorer and the prompt style read)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    answer: list[Any] | None = None
    platforms: Any = None
    tools: Any = None
    query_params: list[str] | None = None
    profile_params: list[str] | None = None
    profile_kind: str | None = None

    @property
    def has_context(self) -> bool:
        """Whether the record's ``platforms`` and ``tools`` are kept (even when null)."""
        return {"platforms", "tools"} <= self.model_fields_set


class PTBenchFields(BaseModel):
    """A task's PTBench fields: its position in the split's file and its native fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    index: int = 0
    native: PTBenchNative = Field(default_factory=PTBenchNative)


def ptbench_fields(task: Task) -> PTBenchFields:
    """The PTBench fields of ``task`` (all defaults for a task of another suite).

    Raises:
        InputError: they are malformed (one line naming the task and the field).
    """
    return parse_record(task.meta.model_extra or {}, PTBenchFields, f"task '{task.id}': meta")
