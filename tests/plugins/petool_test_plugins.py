"""Backends for tests, loaded by dotted path (``petool_test_plugins:slow_oracle``).

They also exercise the plugin path: petool finds them without any registration.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.oracle import gold_answer_text
from petool.errors import BackendError
from petool.schema import Task


class SlowOracle(Backend):
    """The oracle, one task at a time, sleeping ``PETOOL_TEST_DELAY`` seconds per task."""

    name = "slow-oracle"
    batch_size = 1

    def __init__(self, delay: float):
        self.delay = delay

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        await asyncio.sleep(self.delay)
        return [BackendResponse(output=gold_answer_text(t)) for t in tasks]


def slow_oracle(argument: str | None = None, **options: Any) -> SlowOracle:
    return SlowOracle(float(os.environ.get("PETOOL_TEST_DELAY", "0.02")))


class Flaky(Backend):
    """Fails the first ``fail_first`` attempts of every task whose index is a multiple of
    ``every``: as a raised batch error or as a per-item error; counts calls per task id."""

    name = "flaky"
    batch_size = 4

    def __init__(
        self, every: int = 3, fail_first: int = 1, per_item: bool = False, retryable: bool = True
    ):
        self.every = every
        self.fail_first = fail_first
        self.per_item = per_item
        self.retryable = retryable
        self.calls: dict[str, int] = {}

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        out = []
        for t in tasks:
            self.calls[t.id] = self.calls.get(t.id, 0) + 1
            index = int(t.id.rsplit("-", 1)[1])
            failing = index % self.every == 0 and self.calls[t.id] <= self.fail_first
            if failing and not self.per_item:
                raise BackendError(f"injected failure for {t.id}", retryable=self.retryable)
            if failing:
                out.append(BackendResponse(error="injected item failure", retryable=self.retryable))
            else:
                out.append(BackendResponse(output=gold_answer_text(t)))
        return out


class Broken(Backend):
    """A backend with a bug: raises a plain exception."""

    name = "broken"

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        raise ZeroDivisionError("bug in backend")
