"""The unified prompt: one rendering of any suite's task, plus native function definitions.

Styles registered here:

* ``unified`` — a system message with the job and the answer format
  (``{"tool_name": ..., "parameters": {...}}``, or ``{"tool_name": null, "parameters": {}}``
  for no call), then a user message with sections: user profile, environment, interaction
  history (rendered by the user's history mode), candidate tools, request. Empty sections
  are left out, so ``task.without_context()`` renders without history, profile, environment.
* ``unified_native`` — the same context for native function calling: the tools go to the
  API as functions (:func:`tools_as_openai_functions`) and the model abstains by answering
  ``NO_CALL`` instead of calling.
* ``faithful`` — a suite's own prompt: ``task.system_prompt`` as the system message and the
  instruction as the user message (falls back to ``unified`` when the task has none).

Output is deterministic: dicts keep their insertion order, nothing is sorted or sampled.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from petool.prompts.registry import Messages, register_prompt_style
from petool.schema import Interaction, Task, Tool, ToolCall

JOB = (
    "You are a personalized tool assistant. Several candidate tools can serve the user's "
    "request, but they differ in their attributes (price, speed, quality, ads, privacy, ...). "
    "Pick the one tool that fits the request AND this user's preferences, which you infer "
    "from the user's interaction history, profile and environment when they are given.\n"
    "Fill the tool's parameters from the request, and also fill the parameters the user "
    "leaves unsaid when their history, profile or environment implies them (an option they "
    "chose before, a setting that suits their device, network, location or situation). Use "
    "only parameters that the tool defines.\n"
    "Make no call when no tool call should be made, for example when the request violates "
    "an app policy for this user."
)
ANSWER_FORMAT = (
    "Answer with exactly one JSON object and nothing else:\n"
    '{"tool_name": "<name of one candidate tool>", "parameters": {"<name>": <value>, ...}}\n'
    "To make no call, answer:\n"
    '{"tool_name": null, "parameters": {}}'
)
NATIVE_FORMAT = (
    "Call exactly one of the available functions with its arguments. "
    "To make no call, do not call a function and answer with the single word NO_CALL."
)
NO_CALL_ANSWER = '{"tool_name": null, "parameters": {}}'

_OPENAI_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_UNSAFE_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


def render_call(call: ToolCall) -> str:
    """One call in the unified answer format (``app`` included only when set)."""
    body: dict[str, Any] = {"app": call.app} if call.app else {}
    body |= {"tool_name": call.tool, "parameters": call.arguments}
    return _json(body)


def render_answer(calls: Sequence[ToolCall]) -> str:
    """The answer the unified prompt asks for: the target text of training examples.

    Args:
        calls: The gold calls; empty means no call.

    Returns:
        ``{"tool_name": ..., "parameters": ...}`` for one call, a JSON list for several,
        ``{"tool_name": null, "parameters": {}}`` for none. :func:`petool.parsing.parse_output`
        reads every one of them back.
    """
    if not calls:
        return NO_CALL_ANSWER
    if len(calls) == 1:
        return _json({"tool_name": calls[0].tool, "parameters": calls[0].arguments})
    return _json([{"tool_name": c.tool, "parameters": c.arguments} for c in calls])


def _mapping_section(title: str, values: Mapping[str, Any]) -> str:
    lines = [f"- {key}: {_text(value)}" for key, value in values.items()]
    return f"## {title}\n" + "\n".join(lines)


def _history_item(item: Interaction, prefix: str, indent: str) -> list[str]:
    request = f"{prefix}request: {_json(item.instruction)}"
    return [request, f"{indent}call: {render_call(item.call)}"]


def _history_mode(task: Task) -> str:
    if task.user.history_mode is not None:
        return task.user.history_mode
    rated = any(item.rating is not None for item in task.user.history)
    return "rated" if rated else "preferred"


def render_history(task: Task) -> str:
    """The interaction-history section, rendered by the user's history mode ("" if none).

    ``preferred``: the tools this user used; ``rated``: each call with "liked"/"disliked";
    ``chronological``: numbered oldest to newest, later calls reflecting current preferences.
    Without a mode, ``rated`` when any rating is given, else ``preferred``.
    """
    history = task.user.history
    if not history:
        return ""
    mode = _history_mode(task)
    lines = ["## Interaction history"]
    if mode == "chronological":
        lines.append(
            "Past requests of this user and the tools called for them, numbered from oldest "
            "to newest. Preferences change over time: later calls reflect the user's current "
            "preferences."
        )
        ordered = sorted(history, key=lambda item: item.step)
        for number, item in enumerate(ordered, start=1):
            prefix = f"{number}. "
            lines += _history_item(item, prefix, " " * len(prefix))
    elif mode == "rated":
        lines.append(
            "Past requests of this user, the tools called for them, and whether the user "
            "liked the call:"
        )
        words = {1: "liked", -1: "disliked", None: "not rated"}
        for item in history:
            lines += [*_history_item(item, "- ", "  "), f"  rating: {words[item.rating]}"]
    else:
        lines.append("Tools this user used for past requests (calls the user was happy with):")
        for item in history:
            lines += _history_item(item, "- ", "  ")
    return "\n".join(lines)


def render_tool(tool: Tool) -> str:
    """One candidate tool: name, app, description, functionality, attributes, parameters."""
    lines = [f"### {tool.name}"]
    fields: list[tuple[str, Any]] = [
        ("app", tool.app),
        ("description", tool.description),
        ("functionality", tool.functionality),
        ("attributes", tool.attributes),
    ]
    lines += [f"- {label}: {_text(value)}" for label, value in fields if value]
    lines.append(f"- parameters: {_json(tool.parameters)}")
    return "\n".join(lines)


def candidate_tools(task: Task, tools: Mapping[str, Tool]) -> list[Tool]:
    """The task's candidate tools in the task's order (all tools when it lists none)."""
    if not task.candidates:
        return list(tools.values())
    return [tools[name] for name in task.candidates]


def _context_sections(task: Task) -> list[str]:
    sections = []
    if task.user.profile:
        sections.append(_mapping_section("User profile", task.user.profile))
    if task.user.environment:
        sections.append(_mapping_section("Environment", task.user.environment))
    history = render_history(task)
    if history:
        sections.append(history)
    evidence = (task.meta.model_extra or {}).get("ranker_evidence")  # set by ranker+BACKEND
    if isinstance(evidence, str) and evidence:
        sections.append("## Ranker evidence\n" + evidence)
    return sections


@register_prompt_style("unified")
def render_unified(task: Task, tools: Mapping[str, Tool]) -> Messages:
    """The unified prompt: the job and answer format, then context, tools and request."""
    sections = _context_sections(task)
    listed = "\n\n".join(render_tool(tool) for tool in candidate_tools(task, tools))
    sections.append("## Candidate tools\n" + listed)
    sections.append("## Request\n" + task.instruction)
    return [
        {"role": "system", "content": f"{JOB}\n\n{ANSWER_FORMAT}"},
        {"role": "user", "content": "\n\n".join(sections)},
    ]


@register_prompt_style("unified_native")
def render_unified_native(task: Task, tools: Mapping[str, Tool]) -> Messages:
    """The unified prompt for native function calling (tools go to the API, not the text)."""
    sections = [*_context_sections(task), "## Request\n" + task.instruction]
    return [
        {"role": "system", "content": f"{JOB}\n\n{NATIVE_FORMAT}"},
        {"role": "user", "content": "\n\n".join(sections)},
    ]


@register_prompt_style("faithful")
def render_faithful(task: Task, tools: Mapping[str, Tool]) -> Messages:
    """A suite's own prompt (``task.system_prompt``); the unified one when there is none."""
    if task.system_prompt is None:
        return render_unified(task, tools)
    return [
        {"role": "system", "content": task.system_prompt},
        {"role": "user", "content": task.instruction},
    ]


def _safe_names(names: Sequence[str]) -> list[str]:
    """A unique OpenAI-valid name for each name; valid unique names stay as they are."""
    reserved = {name for name in names if _OPENAI_NAME.fullmatch(name)}
    used: set[str] = set()
    result = []
    for name in names:
        if _OPENAI_NAME.fullmatch(name) and name not in used:
            safe = name
        else:
            base = _UNSAFE_CHARS.sub("_", name).strip("_")[:64] or "tool"
            safe = base
            attempt = 0
            while safe in used or safe in reserved:
                digest = hashlib.sha1(f"{name}#{attempt}".encode()).hexdigest()[:8]
                safe = f"{base[: 64 - len(digest) - 1]}_{digest}"
                attempt += 1
        used.add(safe)
        result.append(safe)
    return result


def _function_description(tool: Tool, safe: str) -> str:
    parts = [tool.description] if tool.description else []
    if safe != tool.name:
        parts.append(f"Tool name: {tool.name}")
    if tool.app:
        parts.append(f"App: {tool.app}")
    if tool.functionality and tool.functionality != tool.description:
        parts.append(f"Functionality: {tool.functionality}")
    if tool.attributes:
        parts.append(f"Attributes: {_json(tool.attributes)}")
    return "\n".join(parts)


def tools_as_openai_functions(
    tools: Sequence[Tool],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Tools as OpenAI function definitions, with names made valid for the API.

    Names that break OpenAI's ``^[a-zA-Z0-9_-]{1,64}$`` (dots, spaces, brackets, too long)
    get a safe unique name; the description then states the original name.

    Args:
        tools: The tools to offer.

    Returns:
        The ``[{"type": "function", "function": {...}}]`` list, and a map from every safe
        name to its tool's original name (pass it to ``parse_output(name_map=...)``).
    """
    safe_names = _safe_names([tool.name for tool in tools])
    functions: list[dict[str, Any]] = []
    mapping: dict[str, str] = {}
    for tool, safe in zip(tools, safe_names, strict=True):
        parameters = copy.deepcopy(tool.parameters)
        parameters.setdefault("type", "object")
        parameters.setdefault("properties", {})
        function = {
            "name": safe,
            "description": _function_description(tool, safe),
            "parameters": parameters,
        }
        functions.append({"type": "function", "function": function})
        mapping[safe] = tool.name
    return functions, mapping
