"""What a ToolSpectrum task carries besides petool's own ``TaskMeta`` fields (package-private).

On disk (an exported suite) these stay in the task's ``meta`` as extra keys, so a suite written
out by petool loads again anywhere. Inside this package they are written and read only through
:class:`TaskExtras`: the loader builds it, the prompt style and the scorer validate it once per
task with :meth:`TaskExtras.of`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from petool.io import parse_record
from petool.schema import Task


class TaskExtras(BaseModel):
    """ToolSpectrum's extra ``meta`` fields of a task (all optional: a hand-made task may lack
    them; the reader that needs one says so)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    scenario: str | None = None
    index: int | None = Field(default=None, description="0-based position in the scenario file")
    prompt_template: str | None = Field(
        default=None, description="the scenario's prompt template, verbatim"
    )
    native: dict[str, Any] = Field(
        default_factory=dict, description="``evaluation_result`` of the record, when present"
    )

    def meta_fields(self) -> dict[str, Any]:
        """The fields as ``TaskMeta`` extra keys (the on-disk form)."""
        return self.model_dump()

    @classmethod
    def of(cls, task: Task) -> TaskExtras:
        """The task's ToolSpectrum fields, validated.

        Raises:
            InputError: a field has the wrong type (one line naming the task and the field).
        """
        return parse_record(task.meta.model_extra or {}, cls, f"task '{task.id}': meta")
