"""Prompt styles by name: how a Task becomes chat messages.

A style is a function ``render(task, tools) -> [{"role": ..., "content": ...}, ...]``
registered with :func:`register_prompt_style`. Built-in styles live in the modules of this
package (every ``petool.prompts.*`` module is imported on first lookup, so a suite's own
style only has to register itself); third-party styles come through the ``petool.prompts``
entry-point group or as a dotted path ``package.module:function``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from petool.errors import ConfigError, InputError
from petool.schema import Task, Tool

Messages = list[dict[str, str]]
PromptStyle = Callable[[Task, Mapping[str, Tool]], Messages]

_REGISTRY: dict[str, PromptStyle] = {}
_loaded = False


def register_prompt_style(name: str) -> Callable[[PromptStyle], PromptStyle]:
    """Decorator: register a prompt style under ``name``.

    Args:
        name: The style's name, as used in ``SuiteInfo.prompt_style`` and ``--prompt-style``.

    Returns:
        A decorator that registers the function and returns it unchanged.
    """

    def deco(style: PromptStyle) -> PromptStyle:
        _REGISTRY[name] = style
        return style

    return deco


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    package = importlib.import_module("petool.prompts")
    for info in pkgutil.iter_modules(package.__path__, "petool.prompts."):
        if info.name != __name__:
            importlib.import_module(info.name)
    for ep in entry_points(group="petool.prompts"):
        if ep.name not in _REGISTRY:
            _REGISTRY[ep.name] = ep.load()
    _loaded = True


def registered_prompt_styles() -> list[str]:
    """The names of all registered prompt styles, sorted."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def get_prompt_style(name: str) -> PromptStyle:
    """The prompt style registered as ``name``, or loaded from ``package.module:function``.

    Raises:
        ConfigError: No such style (the message lists the registered ones).
    """
    _ensure_loaded()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            style = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"prompt style '{name}': cannot load it ({exc})") from None
        if not callable(style):
            raise ConfigError(f"prompt style '{name}': not a function")
        return style
    known = ", ".join(sorted(_REGISTRY))
    raise ConfigError(f"unknown prompt style '{name}' (registered: {known}; or module:function)")


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
