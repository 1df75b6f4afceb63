"""PTBench's own prompt and answer format: the ``ptbench`` prompt style (:func:`render_ptbench`).

The prompt is the one of hyfshadow/PTBench ``src/predict_api.py`` (the same text as
``src/template.py``), commit 9678ecc80b3b39fa9694f25662c44bf4245f0486: a system message
built from the record's ``user_profile``, ``platforms`` and ``tools`` (inserted with Python's
``str.format``, so dicts and lists appear as Python writes them), then the query as the user
message. Models answer ``platform:[func1(param1_name = param1_value, ...), func2...]``.

Their open-model runner (``src/predict_oss.py``) samples with temperature 0.1 and at most 128
new tokens; their API runner uses the provider's defaults.

:func:`render_answer` writes calls in that answer format (what a perfect model answers), and
:func:`python_literal` a JSON value as the Python literal their parser reads back unchanged.
"""

from __future__ import annotations

import keyword
import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from petool.prompts.registry import Messages
from petool.schema import Task, Tool, ToolCall
from petool.suites.ptbench.meta import RAW_PROFILE, ptbench_fields

PROMPT_TEMPLATE = (
    "You are given a user profile:{profile}. \n"
    "Here is some platforms:{platforms}. \n"
    "Here is some apis under the platforms:{tools}.\n"
    "The user will give you a query. Based on the profile, try to solve the query by using the "
    "platforms and apis. The platform you choose should fit the user profile or the needs of "
    "the user's query. All the necessary information are provided in the user profile. DO NOT "
    "ask the user for further information. \n"
    "You should respond in the format of {format} No other text MUST be included."
)
ANSWER_FORMAT = "platform:[func1(param1_name = param1_value, param2...), func2...]"


def render_system_prompt(profile: Any, platforms: Any, tools: Any) -> str:
    """PTBench's system prompt from a record's native ``user_profile``, ``platforms``, ``tools``."""
    return PROMPT_TEMPLATE.format(
        profile=profile, platforms=platforms, tools=tools, format=ANSWER_FORMAT
    )


def _tool_entry(tool: Tool) -> dict[str, Any]:
    app = tool.app or ""
    name = tool.name[len(app) + 1 :] if app and tool.name.startswith(app + ".") else tool.name
    return {"name": name, "description": tool.description, "parameters": tool.properties}


def _derived_context(task: Task, tools: Mapping[str, Tool]) -> tuple[list[str], dict[str, Any]]:
    """Platforms and APIs from the candidate tools (for tasks that are not PTBench's own)."""
    by_app: dict[str, list[dict[str, Any]]] = {}
    for name in task.candidates:
        tool = tools[name]
        by_app.setdefault(tool.app or "", []).append(_tool_entry(tool))
    return list(by_app), dict(by_app)


def render_ptbench(task: Task, tools: Mapping[str, Tool]) -> Messages:
    """PTBench's prompt: the record's rendered system prompt (or one rebuilt from the task's
    profile, platforms and APIs, e.g. after ``without_context()``) and the query."""
    system = task.system_prompt
    if system is None:
        native = ptbench_fields(task).native
        profile: Any = task.user.profile
        if native.profile_kind == RAW_PROFILE:
            profile = profile.get("text", "")
        if native.has_context:
            platforms, apis = native.platforms, native.tools
        else:
            platforms, apis = _derived_context(task, tools)
        system = render_system_prompt(profile, platforms, apis)
    return [{"role": "system", "content": system}, {"role": "user", "content": task.instruction}]


def python_literal(value: Any) -> str:
    """A JSON-like value as Python source that PTBench's parser reads back as the same value."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "float('nan')"  # no literal exists; reads back as a string
        return repr(value).replace("inf", "1e309")
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        items = (f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def _key(platform: str) -> str:
    plain = (
        platform.isidentifier()
        and not keyword.iskeyword(platform)
        and unicodedata.normalize("NFKC", platform) == platform
    )
    return platform if plain else repr(platform)


def render_answer(calls: Sequence[ToolCall], platform: str | None = None) -> str:
    """Calls in PTBench's answer format ``platform:[func(param=value, ...), ...]``.

    Tool names ``"<platform>.<function>"`` lose their platform prefix. A platform that is not
    a plain identifier is written quoted (their parser accepts a literal key). Parameter names
    are written as they are: a name that is a Python keyword (``from``) cannot be expressed in
    this format at all.

    Args:
        calls: the calls; they share one platform (the first call's ``app`` unless given).
        platform: the platform to write.

    Returns:
        The answer text.

    Raises:
        ValueError: no platform is known.
    """
    platform = platform or (calls[0].app if calls else None)
    if not platform:
        raise ValueError("a PTBench answer needs a platform")
    parts = []
    for call in calls:
        app = call.app or platform
        name = call.tool[len(app) + 1 :] if call.tool.startswith(app + ".") else call.tool
        args = ", ".join(f"{k}={python_literal(v)}" for k, v in call.arguments.items())
        parts.append(f"{name}({args})")
    return f"{_key(platform)}:[{', '.join(parts)}]"
