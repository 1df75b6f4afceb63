"""``oracle``: answers every task with its gold call (a test backend: scores 1.0 everywhere).

A task whose candidates were restricted by a backend in front of it (``meta.restricted_candidates``,
set by ``ranker+oracle``) is answered from that list only: the gold when its tools are all
listed, else the first listed candidate without arguments (so the chain's oracle measures
whether the gold survived the restriction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.registry import register_backend
from petool.schema import Task, ToolCall


def call_to_answer(call: ToolCall) -> dict[str, Any]:
    """A call in the unified answer format ``{"tool_name": ..., "parameters": ...}``."""
    answer: dict[str, Any] = {"tool_name": call.tool, "parameters": call.arguments}
    if call.app is not None:
        answer["app"] = call.app
    return answer


def gold_answer_text(task: Task) -> str:
    """The gold answer of a task rendered in the unified format (a list for several calls)."""
    if not task.gold:
        return json.dumps({"tool_name": None, "parameters": {}})
    if len(task.gold) == 1:
        return json.dumps(call_to_answer(task.gold[0]), ensure_ascii=False)
    return json.dumps([call_to_answer(c) for c in task.gold], ensure_ascii=False)


class OracleBackend(Backend):
    """Returns the gold answer of each task as text, through the normal parser."""

    name = "oracle"
    batch_size = 256

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Answer with the gold call of each task."""
        return [BackendResponse(output=_restricted_answer(t)) for t in tasks]


def _restricted_answer(task: Task) -> str:
    """The gold answer, unless the task's restricted candidate list lacks a gold tool."""
    restricted = (task.meta.model_extra or {}).get("restricted_candidates")
    listed = set(task.candidates)
    if not restricted or not task.gold or all(c.tool in listed for c in task.gold):
        return gold_answer_text(task)
    first = task.candidates[0] if task.candidates else None
    return json.dumps({"tool_name": first, "parameters": {}})


@register_backend("oracle")
def make_oracle(argument: str | None = None) -> OracleBackend:
    """Factory for ``oracle`` (no options of its own)."""
    return OracleBackend()
