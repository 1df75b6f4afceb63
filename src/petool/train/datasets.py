"""SFT and DPO training data from a suite, in the shapes TRL expects.

Prompts are rendered exactly as evaluation renders them (:func:`petool.prompts.render_messages`
in the suite's prompt style) and the target is :func:`petool.prompts.render_answer`, which
:func:`petool.parsing.parse_output` reads back. Rows are TRL's *conversational* shapes:

* SFT, ``prompt_completion`` (default): ``prompt`` = the rendered messages, ``completion`` =
  ``[{"role": "assistant", "content": answer}]`` (loss on the answer only, as the paper's
  LLaMA-Factory recipe); ``messages``: the same as one conversation (loss on every token);
* DPO: ``prompt``, ``chosen``, ``rejected`` — chosen is the gold (preferred) call, rejected
  is one of the :data:`REJECTION_KINDS` drawn with the configured mix.

Every row also has ``id`` (the task id); DPO rows have ``rejection`` (the kind). With
``tool_calling="native"`` the prompt is the suite style's native variant, a ``tools`` column
holds the candidate tools as a JSON string (per-row tools), and answers are assistant
``tool_calls`` with JSON-string arguments (no call: the text ``NO_CALL``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from petool.errors import InputError
from petool.prompts import render_answer, render_messages
from petool.prompts.native import native_tools, style_for
from petool.schema import Suite, Task, Tool, ToolCall

REJECTION_KINDS = ("preference", "functionality", "parameters")
NATIVE_NO_CALL = "NO_CALL"
_DROP = object()  # a rejected value meaning: leave the argument out


@dataclass
class PairSummary:
    """What the DPO builder made: the requested mix and the pairs it could make."""

    mix: dict[str, float]
    pairs_per_task: int
    tasks: int = 0
    pairs: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REJECTION_KINDS, 0))
    skipped_no_call: int = 0
    skipped_no_rejection: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The summary for the run record."""
        return {
            "mix": self.mix,
            "pairs_per_task": self.pairs_per_task,
            "tasks": self.tasks,
            "pairs": self.pairs,
            "by_kind": self.by_kind,
            "skipped_no_call": self.skipped_no_call,
            "skipped_no_rejection": self.skipped_no_rejection,
        }


def resolve_style(suite: Suite, prompt_style: str | None, tool_calling: str) -> str:
    """The prompt style the evaluation of this suite uses (the native variant if native)."""
    return style_for(prompt_style or suite.info.prompt_style, tool_calling)


def native_tools_json(task: Task, tools: Mapping[str, Tool]) -> str:
    """The task's candidate tools as function schemas (as the ``hf:`` backend sends them)."""
    return json.dumps(native_tools(task, dict(tools)), ensure_ascii=False)


def answer_message(calls: Sequence[ToolCall], tool_calling: str = "text") -> dict[str, Any]:
    """The assistant message answering with ``calls`` (empty: no call)."""
    if tool_calling != "native":
        return {"role": "assistant", "content": render_answer(calls)}
    if not calls:
        return {"role": "assistant", "content": NATIVE_NO_CALL}
    tool_calls = [
        {
            "type": "function",
            "function": {
                "name": c.tool,
                "arguments": json.dumps(c.arguments, ensure_ascii=False),
            },
        }
        for c in calls
    ]
    return {"role": "assistant", "content": "", "tool_calls": tool_calls}


def _prompt_row(
    task: Task, tools: Mapping[str, Tool], style: str, tool_calling: str
) -> dict[str, Any]:
    row: dict[str, Any] = {"id": task.id, "prompt": render_messages(task, tools, style=style)}
    if tool_calling == "native":
        row["tools"] = native_tools_json(task, tools)
    return row


def sft_rows(
    suite: Suite,
    tasks: Sequence[Task],
    *,
    prompt_style: str | None = None,
    tool_calling: str = "text",
    sft_format: str = "prompt_completion",
) -> list[dict[str, Any]]:
    """SFT rows: each task's prompt -> its gold answer.

    Args:
        suite: the suite (tools and prompt style).
        tasks: the training tasks.
        prompt_style: overrides the suite's style.
        tool_calling: ``text`` or ``native``.
        sft_format: ``prompt_completion`` or ``messages``.

    Returns:
        One row per task, in TRL's conversational shape.
    """
    tools = suite.tool_index()
    style = resolve_style(suite, prompt_style, tool_calling)
    rows = []
    for task in tasks:
        row = _prompt_row(task, tools, style, tool_calling)
        answer = answer_message(task.gold, tool_calling)
        if sft_format == "messages":
            row["messages"] = [*row.pop("prompt"), answer]
        else:
            row["completion"] = [answer]
        rows.append(row)
    return rows


def _rng(seed: int, task_id: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{task_id}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _preferred(task: Task) -> str:
    return task.meta.preferred_tool or task.gold[0].tool


def _restrict(arguments: Mapping[str, Any], tool: Tool | None) -> dict[str, Any]:
    if tool is None or not tool.properties:
        return dict(arguments)
    return {k: v for k, v in arguments.items() if k in tool.properties}


def preference_rejections(task: Task) -> list[list[ToolCall]]:
    """The same call on each functionally equal, non-preferred candidate (the paper's pairs)."""
    gold = task.gold[0]
    preferred = {gold.tool, _preferred(task)}
    candidates = set(task.candidates) if task.candidates else None
    others = [
        name
        for name in task.meta.functional_group
        if name not in preferred and (candidates is None or name in candidates)
    ]
    return [
        [gold.model_copy(update={"tool": name, "app": None}), *task.gold[1:]] for name in others
    ]


def functionality_rejections(task: Task, tools: Mapping[str, Tool]) -> list[list[ToolCall]]:
    """A call of each candidate that does another job (outside the functional group)."""
    gold = task.gold[0]
    group = set(task.meta.functional_group) | {gold.tool, _preferred(task)}
    names = [name for name in task.candidates if name not in group]
    return [
        [ToolCall(tool=name, arguments=_restrict(gold.arguments, tools.get(name)))]
        for name in names
    ]


def _personal_arguments(task: Task, tool: Tool | None, gold: ToolCall) -> list[str]:
    personal = [*task.meta.profile_params, *task.meta.environment_params]
    if tool is not None:
        roles = tool.param_roles
        personal += [*roles.personalized, *roles.environmental, *roles.profile]
    chosen = [name for name in gold.arguments if name in personal]
    return chosen or list(gold.arguments)


def _wrong_value(name: str, value: Any, schema: Mapping[str, Any], gold: ToolCall) -> list[Any]:
    """Other values for one argument that the gold call does not accept."""
    accepted = gold.accepted_values(name)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return [v for v in enum if v not in accepted]
    if isinstance(value, bool):
        return [not value] if (not value) not in accepted else []
    if isinstance(value, int):
        return [v for v in (value + 1, value - 1) if v not in accepted][:1]
    if isinstance(value, float):
        other = value * 2 if value else 1.0
        return [other] if other not in accepted else []
    return []


def parameter_rejections(task: Task, tools: Mapping[str, Tool]) -> list[list[ToolCall]]:
    """The preferred call with one personalized argument wrong (or left out when optional)."""
    gold = task.gold[0]
    tool = tools.get(gold.tool)
    required = set(tool.required) if tool is not None else set()
    results: list[list[ToolCall]] = []
    for name in _personal_arguments(task, tool, gold):
        schema = tool.properties.get(name, {}) if tool is not None else {}
        values: list[Any] = _wrong_value(name, gold.arguments[name], schema, gold)
        if not values and name not in required:
            values = [_DROP]
        for value in values:
            arguments = dict(gold.arguments)
            if value is _DROP:
                del arguments[name]
            else:
                arguments[name] = value
            call = ToolCall(tool=gold.tool, app=gold.app, arguments=arguments)
            results.append([call, *task.gold[1:]])
    return results


def rejections(task: Task, tools: Mapping[str, Tool], kind: str) -> list[list[ToolCall]]:
    """Every rejected answer of one kind for a task (empty when the kind does not apply)."""
    if not task.gold:
        return []
    if kind == "preference":
        found = preference_rejections(task)
    elif kind == "functionality":
        found = functionality_rejections(task, tools)
    elif kind == "parameters":
        found = parameter_rejections(task, tools)
    else:
        raise ValueError(f"unknown rejection kind '{kind}'")
    chosen = render_answer(task.gold)
    return [calls for calls in found if render_answer(calls) != chosen]


def _draw(
    options: dict[str, list[list[ToolCall]]], mix: Mapping[str, float], n: int, rng: random.Random
) -> list[tuple[str, list[ToolCall]]]:
    """Up to ``n`` distinct rejections: a kind by weight, then one of its answers."""
    pools = {kind: list(found) for kind, found in options.items() if found and mix.get(kind, 0)}
    drawn: list[tuple[str, list[ToolCall]]] = []
    while pools and len(drawn) < n:
        kinds = sorted(pools)
        kind = rng.choices(kinds, weights=[mix[k] for k in kinds])[0]
        pool = pools[kind]
        drawn.append((kind, pool.pop(rng.randrange(len(pool)))))
        if not pool:
            del pools[kind]
    return drawn


def dpo_rows(
    suite: Suite,
    tasks: Sequence[Task],
    *,
    mix: Mapping[str, float] | None = None,
    pairs_per_task: int = 1,
    seed: int = 0,
    prompt_style: str | None = None,
    tool_calling: str = "text",
) -> tuple[list[dict[str, Any]], PairSummary]:
    """DPO rows: chosen = the gold (preferred) call, rejected drawn from the mix.

    Args:
        suite: the suite (tools and prompt style).
        tasks: the training tasks.
        mix: weight per kind of :data:`REJECTION_KINDS` (default: only ``preference``).
        pairs_per_task: distinct rejections per task (fewer when fewer exist).
        seed: the draw is a function of the seed and the task id only.
        prompt_style: overrides the suite's style.
        tool_calling: ``text`` or ``native``.

    Returns:
        The rows and a summary (requested mix, pairs made by kind, tasks skipped).

    Raises:
        InputError: no task yields a pair of the requested kinds.
    """
    weights = dict(mix) if mix is not None else {"preference": 1.0}
    unknown = [k for k in weights if k not in REJECTION_KINDS]
    if unknown:
        raise ValueError(f"unknown rejection kind '{unknown[0]}'")
    tools = suite.tool_index()
    style = resolve_style(suite, prompt_style, tool_calling)
    summary = PairSummary(mix=weights, pairs_per_task=pairs_per_task, tasks=len(tasks))
    rows: list[dict[str, Any]] = []
    for task in tasks:
        if not task.gold:
            summary.skipped_no_call += 1
            continue
        options = {k: rejections(task, tools, k) for k, w in weights.items() if w > 0}
        drawn = _draw(options, weights, pairs_per_task, _rng(seed, task.id))
        if not drawn:
            summary.skipped_no_rejection += 1
            continue
        base = _prompt_row(task, tools, style, tool_calling)
        chosen = [answer_message(task.gold, tool_calling)]
        for kind, calls in drawn:
            rows.append(
                {
                    **base,
                    "chosen": chosen,
                    "rejected": [answer_message(calls, tool_calling)],
                    "rejection": kind,
                }
            )
            summary.by_kind[kind] += 1
    summary.pairs = len(rows)
    if not rows:
        kinds = ", ".join(k for k, w in weights.items() if w > 0)
        raise InputError(
            f"suite '{suite.name}': none of {len(tasks)} tasks yields a preference pair of kind"
            f" {kinds} (preference pairs need meta.functional_group with a non-preferred"
            " candidate); set --rejected-functionality or --rejected-parameters"
        )
    return rows, summary


def to_dataset(rows: Sequence[Mapping[str, Any]]) -> Any:
    """The rows as a ``datasets.Dataset`` (imports ``datasets``)."""
    try:
        from datasets import Dataset
    except ImportError:
        from petool.errors import ConfigError

        raise ConfigError(
            "training needs the datasets library: pip install 'petool[train]'"
        ) from None
    return Dataset.from_list([dict(r) for r in rows])
