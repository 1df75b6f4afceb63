"""What a PEToolBench task carries besides petool's own ``TaskMeta`` fields (package-private).

On disk (an exported suite) these stay in the task's ``meta`` as extra keys, so a suite written
out by petool loads again anywhere; the loader builds them through the typed models here,
never as loose dicts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class NativeEntry(BaseModel):
    """The native test entry a task came from, as far as petool keeps it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    entry_id: int | str
    mode_code: str
    func: Any = None
    tool_comb: Any = None
    num_tools_combined: Any = None
    api_id: Any = None


class TaskExtras(BaseModel):
    """PEToolBench's extra ``meta`` fields of a task."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    history_shown: int | None = None
    """How many history items the prompt shows (``history_length`` is the user's whole one)."""
    native: NativeEntry | None = None

    def meta_fields(self) -> dict[str, Any]:
        """The fields as ``TaskMeta`` extra keys (the on-disk form)."""
        return self.model_dump()
