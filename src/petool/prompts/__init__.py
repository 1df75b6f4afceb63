"""Rendering tasks into chat messages: prompt styles by name, the unified prompt, functions.

``render_messages(task, tools, style="unified")`` is the one entry point; suites name their
style in ``SuiteInfo.prompt_style``. Styles register with :func:`register_prompt_style`.
"""

from petool.prompts.registry import (
    Messages,
    PromptStyle,
    get_prompt_style,
    register_prompt_style,
    registered_prompt_styles,
    render_messages,
)
from petool.prompts.unified import (
    render_answer,
    render_call,
    tools_as_openai_functions,
)

__all__ = [
    "Messages",
    "PromptStyle",
    "get_prompt_style",
    "register_prompt_style",
    "registered_prompt_styles",
    "render_answer",
    "render_call",
    "render_messages",
    "tools_as_openai_functions",
]
