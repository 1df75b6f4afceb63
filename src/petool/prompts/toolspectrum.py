"""The ``toolspectrum`` prompt style: the benchmark's own prompt files, placeholders filled.

ToolSpectrum (BUAA-IRIP-LLM/ToolSpectrum@83585dd) ships one template per scenario,
``prompts/prompt_call_api_persona.txt``, ``prompt_call_api_environment.txt`` and
``prompt_call_api.txt`` (persona & environment), with the placeholders
``<INSTRUCTION_PLACEHOLDER>``, ``<PERSONA_PLACEHOLDER>``, ``<ENVIRONMENT_PLACEHOLDER>`` and
``<TOOLSET_PLACEHOLDER>``. The suite loader keeps the scenario's template text in
``task.meta.prompt_template``; this style fills it in and sends it as one user message (the
templates address the model directly and have no system part).

The repository publishes no inference code, so how the placeholders are filled is petool's
choice, fixed here: the instruction as plain text; persona, environment and toolset as
``json.dumps(value, ensure_ascii=False, indent=4)``. The toolset is the scenario's
``API_description*.json`` rebuilt from the task's candidate tools (all 42), which equals the
file's content: persona prompts show required and personalized arguments, environment
prompts required and environmental ones, the combined prompt all three. The templates are
used verbatim, quirks included: the persona template's answer example contains a stray
``prompt_call_api_persona.txt`` after ``"APP": "APP",`` and every example lacks the comma
before ``"explanation"`` (the scorer reads answers that copy that missing comma).

The answer format the templates ask for is ``{"APP": ..., "API": ..., "params": {...},
"explanation": ...}`` with ``APP``, ``API`` and ``params`` null for no call;
:mod:`petool.scoring.toolspectrum` reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from petool.errors import InputError
from petool.prompts.registry import Messages, register_prompt_style
from petool.schema import Task, Tool

PLACEHOLDER = re.compile(r"<(INSTRUCTION|PERSONA|ENVIRONMENT|TOOLSET)_PLACEHOLDER>")

ROLE_KEYS: dict[str, str] = {
    "required_arguments": "required",
    "personalized_arguments": "personalized",
    "environmental_arguments": "environmental",
}
SCENARIO_ROLES: dict[str, tuple[str, ...]] = {
    "persona": ("required", "personalized"),
    "environment": ("required", "environmental"),
    "persona_environment": ("required", "personalized", "environmental"),
}
JSON_TO_NATIVE: dict[str, str] = {
    "string": "str",
    "boolean": "bool",
    "integer": "int",
    "number": "float",
    "array": "list",
    "object": "dict",
}
NATIVE_TYPE_KEY = "x-toolspectrum-type"  # a property's native type when not the usual one


def api_name(tool: Tool) -> str:
    """The benchmark's API name of a tool (its name without the ``"<app>."`` prefix)."""
    prefix = f"{tool.app}." if tool.app else ""
    return tool.name[len(prefix) :] if prefix and tool.name.startswith(prefix) else tool.name


def native_toolset(tools: Sequence[Tool], roles: Sequence[str]) -> dict[str, Any]:
    """The toolset in the benchmark's own ``API_description`` shape, for the prompt.

    Args:
        tools: tools made by :func:`petool.suites.toolspectrum.load_toolset` (grouped by
            app in first-seen order).
        roles: which argument kinds to show (``required``, ``personalized``,
            ``environmental``): the persona prompt shows no environmental arguments, the
            environment prompt no personalized ones.

    Returns:
        ``{app: {"desc", "policy"?, "APIs": {api: {"desc", "<kind>_arguments": {...}}}}}``.
    """
    out: dict[str, Any] = {}
    for tool in tools:
        app = tool.app or ""
        if app not in out:
            entry: dict[str, Any] = {"desc": tool.attributes.get("app_description", "")}
            if "policy" in tool.attributes:
                entry["policy"] = tool.attributes["policy"]
            entry["APIs"] = {}
            out[app] = entry
        spec: dict[str, Any] = {"desc": tool.description}
        for key, role in ROLE_KEYS.items():
            if role not in roles:
                continue
            names: list[str] = getattr(tool.param_roles, role)
            args: dict[str, str] = {}
            for name in names:
                prop = tool.properties.get(name, {})
                native = prop.get(NATIVE_TYPE_KEY) or JSON_TO_NATIVE.get(
                    str(prop.get("type")), "str"
                )
                args[f"{name} ({native})"] = str(prop.get("description", ""))
            spec[key] = args
        out[app]["APIs"][api_name(tool)] = spec
    return out


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=4)


def _meta(task: Task, key: str) -> Any:
    extra = task.meta.model_extra or {}
    if key not in extra:
        raise InputError(
            f"task '{task.id}': field 'meta.{key}' is missing; the toolspectrum prompt style "
            "needs tasks loaded by the toolspectrum suite"
        )
    return extra[key]


def render_prompt(task: Task, tools: Mapping[str, Tool]) -> str:
    """The filled-in ToolSpectrum prompt of a task.

    Args:
        task: a task of the ``toolspectrum`` suite (``meta.prompt_template``, ``meta.scenario``).
        tools: the suite's tools by name.

    Returns:
        The template with every placeholder replaced (in one pass, so text inside the
        instruction or the persona is never substituted again).

    Raises:
        InputError: the task lacks the template or names an unknown scenario.
    """
    template = _meta(task, "prompt_template")
    scenario = _meta(task, "scenario")
    if not isinstance(template, str) or scenario not in SCENARIO_ROLES:
        raise InputError(f"task '{task.id}': field 'meta.scenario': unknown '{scenario}'")
    listed = [tools[name] for name in task.candidates] if task.candidates else list(tools.values())
    values = {
        "INSTRUCTION": task.instruction,
        "PERSONA": _dump(task.user.profile),
        "ENVIRONMENT": _dump(task.user.environment),
        "TOOLSET": _dump(native_toolset(listed, SCENARIO_ROLES[scenario])),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


@register_prompt_style("toolspectrum")
def render_toolspectrum(task: Task, tools: Mapping[str, Tool]) -> Messages:
    """ToolSpectrum's own prompt as a single user message (see the module docstring)."""
    return [{"role": "user", "content": render_prompt(task, tools)}]
