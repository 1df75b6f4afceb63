"""Suite transforms: the papers' analyses as pure, seeded functions of a suite's tasks and tools.

* ``history_limit`` — keep only the last N interactions (by ``step``) of each user's history
  (0 empties it); ``meta.history_length`` follows, so the report bins by what the model saw.
* ``mask_attributes`` — the PEToolLLM probe: every tool loses its non-functional attributes
  (``Tool.attributes`` emptied) and the attribute sentences of its description (the
  description becomes the tool's ``functionality``, or its first sentence when it has none), so
  neither the ranker nor any prompt sees price, speed, ads, privacy, ...
* ``shuffle_attributes`` — the other probe: within each functional group (tools with the same
  ``functionality``), the non-functional profiles (attributes and the description's attribute
  sentences) are permuted among the tools with a seeded RNG; the gold stays where it was.
* ``drop_ratings`` — rated → chronological: ratings removed, ``history_mode`` becomes
  ``chronological`` for tasks that were ``rated``.

:class:`SuiteTransforms` is recorded in ``config.json`` (``transforms``); a run resumed with
other transforms is refused. Every function returns new objects and leaves its input as it was.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from petool.schema import Suite, Task, Tool

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class SuiteTransforms(BaseModel):
    """Which transforms a run applies (all off by default: the suite as it is)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    history_limit: int | None = Field(default=None, ge=0, description="last N interactions")
    mask_attributes: bool = False
    shuffle_attributes: bool = False
    drop_ratings: bool = False

    @property
    def active(self) -> bool:
        """Whether any transform is on."""
        return self != SuiteTransforms()

    def __repr__(self) -> str:  # what a resume refusal names
        return repr(self.label())

    def label(self) -> str:
        """A short name (``history=5,masked``; ``as-is`` when none is on)."""
        parts = []
        if self.history_limit is not None:
            parts.append(f"history={self.history_limit}")
        if self.mask_attributes:
            parts.append("masked")
        if self.shuffle_attributes:
            parts.append("shuffled")
        if self.drop_ratings:
            parts.append("no-ratings")
        return ",".join(parts) or "as-is"


def _split_description(description: str) -> tuple[str, str]:
    """(first sentence, the rest): the functional head and the attribute sentences."""
    parts = _SENTENCE.split(description.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def mask_tool(tool: Tool) -> Tool:
    """The tool without its non-functional attributes (see the module docstring)."""
    head, _ = _split_description(tool.description)
    return tool.model_copy(update={"attributes": {}, "description": tool.functionality or head})


def shuffle_tools(tools: Sequence[Tool], seed: int) -> list[Tool]:
    """Permute non-functional profiles among the tools of each functional group (seeded)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, tool in enumerate(tools):
        if tool.functionality:
            groups[tool.functionality].append(i)
    out = list(tools)
    rng = random.Random(f"shuffle-attributes:{seed}")
    for key in sorted(groups):
        members = groups[key]
        if len(members) < 2:
            continue
        profiles: list[tuple[dict[str, Any], str]] = []
        for i in members:
            _, tail = _split_description(tools[i].description)
            profiles.append((dict(tools[i].attributes), tail))
        order = list(range(len(members)))
        rng.shuffle(order)
        for slot, i in enumerate(members):
            attributes, tail = profiles[order[slot]]
            head, _ = _split_description(tools[i].description)
            description = f"{head} {tail}".strip()
            out[i] = tools[i].model_copy(
                update={"attributes": attributes, "description": description}
            )
    return out


def limit_history(task: Task, n: int) -> Task:
    """The task with only the last ``n`` interactions of its user's history."""
    ordered = sorted(task.user.history, key=lambda it: it.step)
    kept = ordered[len(ordered) - n :] if n else []
    user = task.user.model_copy(update={"history": kept})
    meta = task.meta.model_copy(update={"history_length": len(kept)})
    return task.model_copy(update={"user": user, "meta": meta})


def drop_ratings(task: Task) -> Task:
    """The task with its history's ratings removed; a rated task becomes chronological."""
    history = [it.model_copy(update={"rating": None}) for it in task.user.history]
    update: dict[str, Any] = {"history": history}
    if task.user.history_mode == "rated":
        update["history_mode"] = "chronological"
    return task.model_copy(update={"user": task.user.model_copy(update=update)})


def transform_task(task: Task, transforms: SuiteTransforms) -> Task:
    """One task under ``transforms`` (history limit, then ratings)."""
    if transforms.history_limit is not None:
        task = limit_history(task, transforms.history_limit)
    if transforms.drop_ratings:
        task = drop_ratings(task)
    return task


def transform_tools(tools: Sequence[Tool], transforms: SuiteTransforms, seed: int) -> list[Tool]:
    """The toolset under ``transforms`` (masking wins over shuffling: nothing left to permute)."""
    if transforms.mask_attributes:
        return [mask_tool(t) for t in tools]
    if transforms.shuffle_attributes:
        return shuffle_tools(tools, seed)
    return list(tools)


def apply_transforms(
    suite: Suite,
    tasks: Sequence[Task],
    transforms: SuiteTransforms | None,
    seed: int = 0,
) -> tuple[Suite, list[Task]]:
    """The suite (with its transformed toolset and tasks) and the transformed ``tasks``.

    Pure and deterministic: the same suite, transforms and seed give the same result.
    """
    if transforms is None or not transforms.active:
        return suite, list(tasks)
    tools = transform_tools(suite.tools, transforms, seed)
    new_tasks = [transform_task(t, transforms) for t in tasks]
    by_id = {t.id: t for t in new_tasks}
    all_tasks = [by_id.get(t.id) or transform_task(t, transforms) for t in suite.tasks]
    return suite.model_copy(update={"tools": tools, "tasks": all_tasks}), new_tasks
