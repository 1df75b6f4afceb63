"""``random``: a uniformly random candidate tool, no parameters (the chance baseline, ~1/k)."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.registry import register_backend
from petool.schema import Task


class RandomBackend(Backend):
    """Picks one of the task's candidates at random; the choice depends on seed and task id."""

    name = "random"
    batch_size = 256

    def __init__(self, seed: int = 0):
        self.seed = seed

    def _rng(self, task: Task) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:{task.id}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Answer each task with a random candidate."""
        out = []
        for task in tasks:
            if not task.candidates:
                text = json.dumps({"tool_name": None, "parameters": {}})
            else:
                tool = self._rng(task).choice(task.candidates)
                text = json.dumps({"tool_name": tool, "parameters": {}})
            out.append(BackendResponse(output=text))
        return out

    def config(self) -> dict[str, Any]:
        """Name and seed."""
        return {"name": self.name, "seed": self.seed}


@register_backend("random")
def make_random(argument: str | None = None, *, seed: int = 0) -> RandomBackend:
    """Factory for ``random`` (``random:SEED`` overrides ``--seed``)."""
    return RandomBackend(seed=int(argument) if argument else seed)
