"""The ``toolspectrum`` prompt style: the benchmark's own prompt files, placeholders filled.

ToolSpectrum (BUAA-IRIP-LLM/ToolSpectrum@83585dd) ships one template per scenario,
``prompts/prompt_call_api_persona.txt``, ``prompt_call_api_environment.txt`` and
``prompt_call_api.txt`` (persona & environment), with the placeholders
``<INSTRUCTION_PLACEHOLDER>``, ``<PERSONA_PLACEHOLDER>``, ``<ENVIRONMENT_PLACEHOLDER>`` and
``<TOOLSET_PLACEHOLDER>``. The suite loader keeps the scenario's template text in
``task.meta.prompt_template`` (typed by :mod:`petool.suites.toolspectrum.meta`); this style
fills it in and sends it as one user message (the templates address the model directly and
have no system part).

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
:mod:`petool.suites.toolspectrum.scorer` reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from petool.errors import InputError
from petool.prompts.registry import Messages
from petool.schema import Task, Tool
from petool.suites.toolspectrum.meta import TaskExtras
from petool.suites.toolspectrum.scenarios import SCENARIO_ROLES
from petool.suites.toolspectrum.toolset import native_toolset

PLACEHOLDER = re.compile(r"<(INSTRUCTION|PERSONA|ENVIRONMENT|TOOLSET)_PLACEHOLDER>")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=4)


def _missing(task: Task, key: str) -> InputError:
    return InputError(
        f"task '{task.id}': field 'meta.{key}' is missing; the toolspectrum prompt style "
        "needs tasks loaded by the toolspectrum suite"
    )


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
    extras = TaskExtras.of(task)
    template, scenario = extras.prompt_template, extras.scenario
    if template is None:
        raise _missing(task, "prompt_template")
    if scenario is None:
        raise _missing(task, "scenario")
    if scenario not in SCENARIO_ROLES:
        raise InputError(f"task '{task.id}': field 'meta.scenario': unknown '{scenario}'")
    listed = [tools[name] for name in task.candidates] if task.candidates else list(tools.values())
    values = {
        "INSTRUCTION": task.instruction,
        "PERSONA": _dump(task.user.profile),
        "ENVIRONMENT": _dump(task.user.environment),
        "TOOLSET": _dump(native_toolset(listed, SCENARIO_ROLES[scenario])),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def render_toolspectrum(task: Task, tools: Mapping[str, Tool]) -> Messages:
    """ToolSpectrum's own prompt as a single user message (see the module docstring)."""
    return [{"role": "user", "content": render_prompt(task, tools)}]
