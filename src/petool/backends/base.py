"""The backend protocol: how any model (learned ranker, API, local weights) answers tasks.

A backend gets the suite once (``setup``), then batches of tasks (``generate``). It returns
raw output (text, and for native function calling the provider's ``tool_calls``); parsing
and scoring happen elsewhere, so every backend is judged the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from petool.schema import Suite, Task, Usage


@dataclass
class BackendResponse:
    """A backend's answer to one task.

    ``output`` is the raw text. ``tool_calls`` holds native function calls in OpenAI's shape
    (``[{"function": {"name": ..., "arguments": "<json>"}}]``) when the backend used them.
    ``error`` marks a failed item; ``retryable`` says whether the runner may try it again.
    """

    output: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    usage: Usage = field(default_factory=Usage)
    cached: bool = False
    error: str | None = None
    retryable: bool = True
    retry_after: float | None = None
    explanation: dict[str, Any] | None = None  # a ranker's reasons for its choice


class Backend:
    """Base class for backends. Subclasses override ``generate`` (and usually ``setup``).

    ``batch_size``: how many tasks one ``generate`` call takes. ``max_concurrency``: an
    upper bound on concurrent ``generate`` calls that the backend can serve (None: no bound).
    ``generate`` may raise :class:`~petool.errors.BackendError` to fail the whole batch,
    or mark single items with ``BackendResponse.error``.
    """

    name: str = "backend"
    batch_size: int = 1
    max_concurrency: int | None = None

    def setup(self, suite: Suite) -> None:
        """Called once with the suite before any ``generate``."""

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Answer a batch of tasks, one response per task, in order."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """Everything about this backend needed to reproduce a run (goes into config.json)."""
        return {"name": self.name}

    async def aclose(self) -> None:
        """Release resources (HTTP clients, models)."""
