"""The unified prompt, the faithful style, the style registry and OpenAI function names."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from petool.errors import ConfigError, InputError
from petool.parsing import parse_output
from petool.prompts import (
    get_prompt_style,
    register_prompt_style,
    registered_prompt_styles,
    registry,
    render_messages,
    tools_as_openai_functions,
)
from petool.schema import Interaction, Suite, Task, Tool, ToolCall

SECTIONS = ("## User profile", "## Environment", "## Interaction history")
OPENAI_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def rich_task(suite: Suite, mode: str) -> Task:
    task = suite.tasks[0].model_copy(deep=True)
    task.user.history_mode = mode
    task.user.profile = {"age": 34, "Preferences": ["cheap apps", "no ads"]}
    task.user.environment = {"Weather": "Snowy", "Network Condition": "4G"}
    task.user.history = [
        Interaction(
            instruction="older request",
            call=ToolCall(tool="Finance.Pricey.convert", arguments={"amount": 1, "to": "USD"}),
            rating=-1,
            step=0,
        ),
        Interaction(
            instruction="newer request",
            call=ToolCall(tool="Finance.Cheap.convert", arguments={"amount": 2, "to": "EUR"}),
            rating=1,
            step=1,
        ),
    ]
    return task


def render(task: Task, suite: Suite, style: str = "unified") -> tuple[str, str]:
    messages = render_messages(task, suite.tool_index(), style=style)
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[0]["content"], messages[1]["content"]


def test_all_sections_for_a_task_with_context(tiny_suite):
    task = rich_task(tiny_suite, "preferred")
    _, user = render(task, tiny_suite)
    for section in (*SECTIONS, "## Candidate tools", "## Request"):
        assert section in user
    order = [user.index(s) for s in (*SECTIONS, "## Candidate tools", "## Request")]
    assert order == sorted(order)
    assert user.rstrip().endswith(task.instruction)
    assert "- age: 34" in user and '- Preferences: ["cheap apps", "no ads"]' in user
    assert "- Weather: Snowy" in user and '- request: "newer request"' in user


def test_candidate_tools_show_every_field(tiny_suite):
    task = rich_task(tiny_suite, "preferred")
    _, user = render(task, tiny_suite)
    tools = user.split("## Candidate tools\n", 1)[1]
    for tool in tiny_suite.tools:
        assert f"### {tool.name}" in tools
        assert f"- app: {tool.app}" in tools
        assert f"- description: {tool.description}" in tools
        assert f"- functionality: {tool.functionality}" in tools
        assert f"- attributes: {json.dumps(tool.attributes)}" in tools
        assert f"- parameters: {json.dumps(tool.parameters)}" in tools
    positions = [tools.index(f"### {name}") for name in task.candidates]
    assert positions == sorted(positions)


def test_empty_tool_fields_are_left_out(tiny_suite):
    tools = {"bare": Tool(name="bare")}
    task = Task(id="t", instruction="do it", candidates=["bare"])
    _, user = render_messages(task, tools)[1].values()
    assert user == '## Candidate tools\n### bare\n- parameters: {"type": "object", ' + (
        '"properties": {}, "required": []}\n\n## Request\ndo it'
    )


def test_all_tools_when_the_task_lists_no_candidates(tiny_suite):
    task = Task(id="t", instruction="do it")
    _, user = render(task, tiny_suite)
    assert all(f"### {tool.name}" in user for tool in tiny_suite.tools)


def test_only_candidates_are_listed(tiny_suite):
    task = rich_task(tiny_suite, "preferred").model_copy(
        update={"candidates": ["Finance.News.news", "Finance.Cheap.convert"]}
    )
    _, user = render(task, tiny_suite)
    tools = user.split("## Candidate tools\n", 1)[1]
    assert "### Finance.Pricey.convert" not in tools
    assert tools.index("### Finance.News.news") < tools.index("### Finance.Cheap.convert")


def test_without_context_has_no_context_sections(tiny_suite):
    _, user = render(rich_task(tiny_suite, "rated").without_context(), tiny_suite)
    for section in SECTIONS:
        assert section not in user
    assert user.startswith("## Candidate tools")


def test_history_modes_render_differently(tiny_suite):
    users = {
        mode: render(rich_task(tiny_suite, mode), tiny_suite)[1]
        for mode in ("preferred", "rated", "chronological")
    }
    assert len(set(users.values())) == 3
    assert "Tools this user used" in users["preferred"]
    assert "rating:" not in users["preferred"] and "1. " not in users["preferred"]
    assert "rating: disliked" in users["rated"] and "rating: liked" in users["rated"]
    chrono = users["chronological"]
    assert "oldest to newest" in chrono and "current preferences" in chrono
    assert chrono.index('1. request: "older request"') < chrono.index('2. request: "newer')


def test_chronological_orders_by_step(tiny_suite):
    task = rich_task(tiny_suite, "chronological")
    task.user.history.reverse()
    _, user = render(task, tiny_suite)
    assert '1. request: "older request"' in user and '2. request: "newer request"' in user


def test_answer_format_instruction_and_job(tiny_suite):
    system, _ = render(rich_task(tiny_suite, "rated"), tiny_suite)
    assert '{"tool_name": null, "parameters": {}}' in system
    assert '"tool_name"' in system and '"parameters"' in system
    for words in ("preferences", "history", "profile", "environment", "policy"):
        assert words in system


def test_rendering_is_deterministic(tiny_suite):
    task = rich_task(tiny_suite, "chronological")
    again = Task.model_validate_json(task.model_dump_json())
    assert render_messages(task, tiny_suite.tool_index()) == render_messages(
        again, tiny_suite.tool_index()
    )


def test_history_calls_use_the_answer_format(tiny_suite):
    _, user = render(rich_task(tiny_suite, "preferred"), tiny_suite)
    line = next(x for x in user.splitlines() if "call: " in x).split("call: ", 1)[1]
    assert parse_output(line).calls[0].tool == "Finance.Pricey.convert"


def test_unknown_candidate_is_input_error(tiny_suite):
    task = tiny_suite.tasks[0].model_copy(update={"candidates": ["Nope.tool"]})
    with pytest.raises(InputError, match="candidates"):
        render_messages(task, tiny_suite.tool_index())


def test_faithful_style(tiny_suite):
    task = rich_task(tiny_suite, "preferred").model_copy(update={"system_prompt": "SUITE PROMPT"})
    assert render_messages(task, tiny_suite.tool_index(), style="faithful") == [
        {"role": "system", "content": "SUITE PROMPT"},
        {"role": "user", "content": task.instruction},
    ]
    bare = task.without_context()
    assert render_messages(bare, tiny_suite.tool_index(), style="faithful") == render_messages(
        bare, tiny_suite.tool_index()
    )


def test_native_style_leaves_tools_to_the_api(tiny_suite):
    system, user = render(rich_task(tiny_suite, "rated"), tiny_suite, style="unified_native")
    assert "## Candidate tools" not in user and "## Interaction history" in user
    assert "NO_CALL" in system and parse_output("NO_CALL").status == "no_call"


def test_registry_custom_styles_and_errors(tiny_suite, monkeypatch):
    assert {"unified", "faithful", "unified_native"} <= set(registered_prompt_styles())
    monkeypatch.setattr(registry.prompt_styles, "_objects", dict(registry.prompt_styles._objects))

    @register_prompt_style("test-echo")
    def echo(task, tools):
        return [{"role": "user", "content": task.id}]

    assert get_prompt_style("test-echo") is echo
    task = tiny_suite.tasks[0]
    messages = render_messages(task, tiny_suite.tool_index(), style="test-echo")
    assert messages == [{"role": "user", "content": task.id}]
    dotted = get_prompt_style("petool.prompts.unified:render_unified")
    assert dotted(task, tiny_suite.tool_index()) == render_messages(task, tiny_suite.tool_index())
    with pytest.raises(ConfigError, match="unknown prompt style"):
        get_prompt_style("no-such-style")
    with pytest.raises(ConfigError, match="cannot load"):
        get_prompt_style("no_such_module_xyz:f")


def make_tool(name: str) -> Tool:
    return Tool(name=name, description=f"does {name}", attributes={"ads": False})


def test_openai_functions_keep_valid_names_and_map_invalid_ones():
    names = ["ok_name", "Finance.Fx.convert", "<Sports>.<Ice Hockey>.<Daily List-Live>", "x" * 80]
    functions, mapping = tools_as_openai_functions([make_tool(n) for n in names])
    safe = [f["function"]["name"] for f in functions]
    assert safe[0] == "ok_name"
    assert all(OPENAI_NAME.fullmatch(s) for s in safe) and len(set(safe)) == 4
    assert [mapping[s] for s in safe] == names
    assert functions[1]["type"] == "function"
    assert functions[1]["function"]["parameters"]["type"] == "object"
    assert "Tool name: Finance.Fx.convert" in functions[1]["function"]["description"]
    assert '"ads": false' in functions[1]["function"]["description"]
    call = [{"type": "function", "function": {"name": safe[2], "arguments": "{}"}}]
    assert parse_output(None, call, name_map=mapping).calls[0].tool == names[2]


def test_openai_names_avoid_collisions_with_valid_names():
    names = ["a.b", "a_b", "a b"]
    functions, mapping = tools_as_openai_functions([make_tool(n) for n in names])
    safe = [f["function"]["name"] for f in functions]
    assert safe[1] == "a_b" and len(set(safe)) == 3
    assert [mapping[s] for s in safe] == names


@settings(deadline=None, max_examples=200)
@given(st.lists(st.text(min_size=1, max_size=90), min_size=1, max_size=8, unique=True))
def test_openai_name_mapping_round_trips(names):
    functions, mapping = tools_as_openai_functions([make_tool(n) for n in names])
    safe = [f["function"]["name"] for f in functions]
    assert all(OPENAI_NAME.fullmatch(s) for s in safe)
    assert len(set(safe)) == len(names)
    assert [mapping[s] for s in safe] == names
    for name, safe_name in zip(names, safe, strict=True):
        if OPENAI_NAME.fullmatch(name):
            assert safe_name == name
