"""Native tool calling, shared by the model backends and training: the prompt style a suite's
style becomes when the tools go to the API or chat template (``tools=``), and the task's
candidate tools as function schemas with their original names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from petool.prompts.unified import tools_as_openai_functions
from petool.schema import Task, Tool

NATIVE_STYLES = {"unified": "unified_native"}
"""The native-calling variant of a prompt style (a style not listed is its own variant)."""


def style_for(style: str, tool_calling: str) -> str:
    """The prompt style a run uses: ``style``, or its native variant for ``native`` calling."""
    return NATIVE_STYLES.get(style, style) if tool_calling == "native" else style


def native_tools(task: Task, tools: Mapping[str, Tool]) -> list[dict[str, Any]]:
    """The task's candidate tools (all tools if it names none) as function schemas with their
    original names (a chat template takes any name; the API's safe names are not needed)."""
    chosen = [tools[name] for name in task.candidates] if task.candidates else list(tools.values())
    functions, name_map = tools_as_openai_functions(chosen)
    for function in functions:
        function["function"]["name"] = name_map[function["function"]["name"]]
    return functions
