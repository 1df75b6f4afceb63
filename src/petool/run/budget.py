"""``--cost-limit USD``: stop a paid run before it would spend more than the limit.

:class:`CostGuard` is asked before each batch goes to the backend. It counts what the run has
spent (resumed predictions included, so a resumed run's limit is on the whole run), what the
batches in flight may spend, and estimates a batch's cost as its size times the dearest task
seen so far (cost from the price table, :class:`~petool.schema.Usage.cost`) with a margin
(:data:`MARGIN`: a later prompt may be longer than any seen). Until a first priced answer is
seen only one request, of one task, is in flight, so the estimate exists before the run fans
out. A batch whose estimate would pass the limit is not sent: its tasks stay missing, the run
is ``partial`` and resumable (``petool eval --resume --cost-limit HIGHER``).

The first request of a run (one task) is sent without an estimate: a limit below one task's
cost can be passed by that one task, and only by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from petool.backends.base import BackendResponse

#: the estimate of a task is the dearest task seen so far times this
MARGIN = 1.25


class CostGuard:
    """Spending of one run against a limit in US dollars (see the module docstring)."""

    def __init__(self, limit: float, spent: float = 0.0) -> None:
        self.limit = limit
        self.spent = spent
        self.reserved = 0.0
        self.in_flight = 0
        self.per_task: float | None = None
        self.stopped: str | None = None
        self._changed = asyncio.Event()

    def message(self, estimate: float) -> str:
        """Why the run stopped."""
        return (
            f"cost limit ${self.limit:g} reached: spent ${self.spent:.6f}, the next batch would"
            f" cost about ${estimate:.6f}"
        )

    async def reserve(self, n: int) -> float | None:
        """The estimate reserved for a batch of ``n`` tasks, or None: do not send it."""
        while self.per_task is None and self.in_flight and self.stopped is None:
            self._changed.clear()
            await self._changed.wait()
        if self.stopped is not None:
            return None
        estimate = (self.per_task or 0.0) * MARGIN * n
        if self.spent >= self.limit or self.spent + self.reserved + estimate > self.limit:
            self.stopped = self.message(estimate)
            self._changed.set()
            return None
        self.reserved += estimate
        self.in_flight += 1
        return estimate

    def settle(self, estimate: float, responses: Sequence[BackendResponse]) -> None:
        """A reserved batch came back (what it cost replaces the estimate)."""
        self.reserved -= estimate
        self.in_flight -= 1
        self.spent += sum(r.usage.cost for r in responses)
        fresh = [r for r in responses if not r.cached and r.error is None]
        paid = [r.usage.cost for r in fresh if r.usage.cost > 0]
        if paid:
            self.per_task = max(self.per_task or 0.0, *paid)
        elif fresh and self.per_task is None:
            self.per_task = 0.0  # answered and free (an unpriced model)
        self._changed.set()
