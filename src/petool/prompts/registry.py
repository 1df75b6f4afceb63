"""Prompt styles by name: how a Task becomes chat messages.

A style is a function ``render(task, tools) -> [{"role": ..., "content": ...}, ...]``
registered with :func:`register_prompt_style`. petool's own styles register when their module
is imported (the unified ones here, each benchmark's in its ``petool.suites.<benchmark>``
package); third-party styles come through the ``petool.prompts`` entry-point group, or — from
the command line or Python code, never from a suite file — as ``package.module:function``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from petool.errors import InputError
from petool.registry import Registry
from petool.schema import Task, Tool

Messages = list[dict[str, str]]
PromptStyle = Callable[[Task, Mapping[str, Tool]], Messages]

prompt_styles: Registry[PromptStyle] = Registry("prompt style", group="petool.prompts")


def register_prompt_style(name: str) -> Callable[[PromptStyle], PromptStyle]:
    """Decorator: register a prompt style under ``name``."""
    return prompt_styles.register(name)


def registered_prompt_styles() -> list[str]:
    """The names of all registered prompt styles, sorted."""
    return prompt_styles.names()


def get_prompt_style(name: str, *, trusted: bool = True) -> PromptStyle:
    """The prompt style registered as ``name``, or (``trusted``) ``package.module:function``.

    Raises:
        ConfigError: No such style (the message lists the registered ones).
    """
    return prompt_styles.get(name, trusted=trusted)


def render_messages(
    task: Task, tools: Mapping[str, Tool], *, style: str = "unified"
) -> list[dict[str, str]]:
    """Render a task as chat messages in the given prompt style.

    Args:
        task: The task (instruction, user context, candidate tool names).
        tools: The suite's tools by name (``Suite.tool_index()``).
        style: A registered style name or ``package.module:function``.

    Returns:
        Chat messages, each ``{"role": ..., "content": ...}``.

    Raises:
        ConfigError: Unknown style.
        InputError: A candidate of the task is not among ``tools``.
    """
    missing = [name for name in task.candidates if name not in tools]
    if missing:
        raise InputError(
            f"task '{task.id}': field 'candidates': unknown tool '{missing[0]}'"
            f" ({len(missing)} not in the toolset)"
        )
    return get_prompt_style(style)(task, tools)
