"""Unit tests of model-output parsing: every accepted format, abstention, and failures."""

from __future__ import annotations

import json

import pytest

from petool.parsing import ParseResult, parse_output
from petool.parsing.literal import LiteralError, read_whole
from petool.prompts import render_answer
from petool.schema import ToolCall


def one(result: ParseResult) -> ToolCall:
    assert result.status == "ok", result.error
    assert len(result.calls) == 1, result.calls
    return result.calls[0]


def pairs(result: ParseResult) -> list[tuple[str, dict[str, object]]]:
    assert result.status == "ok", result.error
    return [(c.tool, c.arguments) for c in result.calls]


# --- JSON call objects -------------------------------------------------------------------


def test_unified_json_answer():
    call = one(parse_output('{"tool_name": "X", "parameters": {"a": 1, "b": [1, 2]}}'))
    assert (call.tool, call.arguments, call.app) == ("X", {"a": 1, "b": [1, 2]}, None)


@pytest.mark.parametrize("tool_key", ["tool_name", "name", "tool", "function", "api_name"])
@pytest.mark.parametrize("args_key", ["parameters", "arguments", "args", "params"])
def test_alternative_keys(tool_key, args_key):
    call = one(parse_output(json.dumps({tool_key: "get_weather", args_key: {"city": "Paris"}})))
    assert (call.tool, call.arguments) == ("get_weather", {"city": "Paris"})


def test_arguments_as_json_string_are_decoded():
    text = json.dumps({"name": "f", "arguments": json.dumps({"q": "x", "n": 2})})
    assert one(parse_output(text)).arguments == {"q": "x", "n": 2}


def test_arguments_as_bad_json_string_is_parse_error():
    result = parse_output('{"name": "f", "arguments": "{\\"q\\": "}')
    assert result.status == "parse_error"
    assert "arguments of 'f'" in (result.error or "")


def test_positional_list_arguments_are_parse_error():
    result = parse_output('{"tool_name": "f", "parameters": [1, 2]}')
    assert result.status == "parse_error" and "must be an object" in (result.error or "")


def test_missing_or_null_arguments_mean_none():
    assert one(parse_output('{"tool_name": "f"}')).arguments == {}
    assert one(parse_output('{"tool_name": "f", "parameters": null}')).arguments == {}


def test_app_api_arguments_and_toolspectrum_keys():
    call = one(parse_output('{"app": "Maps", "api": "route", "arguments": {"to": "home"}}'))
    assert (call.app, call.tool, call.arguments) == ("Maps", "route", {"to": "home"})
    text = '{"APP": "Taobao", "API": "search", "params": {"q": "tea"}, "explanation": "cheap"}'
    call = one(parse_output(text))
    assert (call.app, call.tool, call.arguments) == ("Taobao", "search", {"q": "tea"})


def test_list_of_objects_is_several_calls():
    text = '[{"tool_name": "a", "parameters": {"x": 1}}, {"name": "b", "arguments": {}}]'
    assert pairs(parse_output(text)) == [("a", {"x": 1}), ("b", {})]


def test_openai_shaped_objects_and_wrappers_in_text():
    inner = {"type": "function", "function": {"name": "a", "arguments": '{"x": 1}'}}
    assert pairs(parse_output(json.dumps(inner))) == [("a", {"x": 1})]
    assert pairs(parse_output(json.dumps({"tool_calls": [inner, inner]}))) == [("a", {"x": 1})] * 2


def test_call_nested_in_a_wrapper_object():
    text = '{"thought": "the cheap one", "action": {"tool_name": "a", "parameters": {"x": 1}}}'
    assert pairs(parse_output(text)) == [("a", {"x": 1})]
    text = '{"result": [{"note": 1}, {"call": {"name": "b", "arguments": "{}"}}]}'
    assert pairs(parse_output(text)) == [("b", {})]


def test_fenced_json_with_prose_around():
    text = 'Sure, here it is:\n```json\n{"tool_name": "f", "parameters": {"a": "b"}}\n```\nDone.'
    assert pairs(parse_output(text)) == [("f", {"a": "b"})]
    text = 'Answer:\n```\n{"tool_name": "f", "parameters": {}}\n```'
    assert pairs(parse_output(text)) == [("f", {})]


def test_prose_before_and_after_unfenced_json():
    text = 'I will use the cheap one. {"tool_name": "f", "parameters": {"a": 1}} Hope it helps!'
    assert pairs(parse_output(text)) == [("f", {"a": 1})]


def test_braces_inside_strings_do_not_confuse_the_scanner():
    text = (
        'Ignore {"note": "not {a call}"} and use '
        '{"tool_name": "y", "parameters": {"s": "a}b{c", "t": "]["}}'
    )
    assert pairs(parse_output(text)) == [("y", {"s": "a}b{c", "t": "]["})]


def test_escaped_quotes_and_unicode():
    text = r'{"tool_name": "f", "parameters": {"q": "say \"hi\"", "e": "caf\u00e9 \ud83d\ude00"}}'
    assert one(parse_output(text)).arguments == {"q": 'say "hi"', "e": "café 😀"}
    text = '{"tool_name": "天气", "parameters": {"城市": "北京", "emoji": "🌧️"}}'
    assert pairs(parse_output(text)) == [("天气", {"城市": "北京", "emoji": "🌧️"})]


def test_single_quoted_pseudo_json_with_python_literals_and_trailing_commas():
    text = "{'tool_name': 'x', 'parameters': {'a': 'it\\'s', 'b': True, 'c': None, 'd': False,},}"
    call = one(parse_output(text))
    assert call.arguments == {"a": "it's", "b": True, "c": None, "d": False}


def test_nested_objects_and_lists():
    args = {"filters": {"price": {"max": 20.5, "min": 0}, "tags": ["a", {"b": [1, [2, 3]]}]}}
    assert one(parse_output(json.dumps({"tool_name": "f", "parameters": args}))).arguments == args


def test_object_left_open_at_the_end_is_closed():
    # PEToolBench's own example answer misses its final brace.
    text = '{"tool_name": "<Search>.<Arxiv>.<Get>", "parameters": {"query": "ml", "limit": 3}'
    assert pairs(parse_output(text)) == [("<Search>.<Arxiv>.<Get>", {"query": "ml", "limit": 3})]


def test_tool_names_prefer_the_first_known_call():
    text = 'Example: {"tool_name": "demo", "parameters": {}}. Real: {"tool_name": "b"}'
    assert pairs(parse_output(text, tool_names=["a", "b"])) == [("b", {})]
    assert pairs(parse_output(text)) == [("demo", {})]
    assert pairs(parse_output(text, tool_names=["zzz"])) == [("demo", {})]


def test_json_answer_wins_over_python_syntax_in_prose():
    text = '{"tool_name": null, "parameters": {}} since get_weather() would break the policy'
    assert parse_output(text, tool_names=["get_weather"]).status == "no_call"
    text = 'I call {"tool_name": "x"} rather than y(a=1)'
    assert pairs(parse_output(text, tool_names=["y"])) == [("x", {})]


def test_app_qualified_names_count_as_known():
    text = '{"APP": "A", "API": "x"} {"APP": "Shop", "API": "search", "params": {}}'
    call = one(parse_output(text, tool_names=["Shop.search"]))
    assert (call.app, call.tool) == ("Shop", "Shop.search")


def test_non_call_json_is_skipped():
    text = 'Schema {"type": "object"} then [1, 2] then {"tool_name": "f", "parameters": {}}'
    assert pairs(parse_output(text)) == [("f", {})]


def test_reasoning_blocks_are_dropped():
    text = '<think>maybe {"tool_name": "bad"}</think>\n{"tool_name": "good", "parameters": {}}'
    assert pairs(parse_output(text)) == [("good", {})]
    text = 'the thinking went on {"tool_name": "bad"}</think>{"tool_name": "good"}'
    assert pairs(parse_output(text)) == [("good", {})]


def test_hermes_tool_call_tags_give_one_call_each():
    text = (
        '<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n'
        '<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call>'
    )
    assert pairs(parse_output(text)) == [("a", {"x": 1}), ("b", {})]


# --- Python call syntax -------------------------------------------------------------------


def test_python_call_with_keyword_arguments():
    text = 'tool_name(a=1, b="x", c=[1, 2], d={"k": True}, e=None, f=-2.5e3)'
    assert pairs(parse_output(text)) == [
        ("tool_name", {"a": 1, "b": "x", "c": [1, 2], "d": {"k": True}, "e": None, "f": -2500.0})
    ]


def test_python_call_with_dotted_name_in_prose_and_fences():
    expected = [("Finance.FxQuick.convert_currency", {"amount": 100, "to": "EUR"})]
    text = "Finance.FxQuick.convert_currency(amount=100, to='EUR')"
    assert pairs(parse_output(text)) == expected
    fenced = f"I'd call:\n```python\n{text}\n```\nThat's all."
    assert pairs(parse_output(fenced)) == expected
    assert pairs(parse_output(f"The call is {text}.")) == expected


def test_python_call_list_is_several_calls():
    assert pairs(parse_output("[f(a=1), g(b=2)]")) == [("f", {"a": 1}), ("g", {"b": 2})]


def test_python_call_without_arguments():
    assert pairs(parse_output("get_time()")) == [("get_time", {})]


def test_python_call_with_positional_arguments_is_parse_error():
    result = parse_output("convert(100, 'EUR')")
    assert result.status == "parse_error" and "positional" in (result.error or "")


def test_python_call_tuple_and_parenthesised_values():
    assert one(parse_output("f(a=(1, 2), b=(3), c=(4,))")).arguments == {
        "a": [1, 2],
        "b": 3,
        "c": [4],
    }


# --- native tool_calls ---------------------------------------------------------------------


def native(arguments: object, name: str = "f") -> list[dict[str, object]]:
    return [{"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}]


@pytest.mark.parametrize("arguments", [{"x": 1}, '{"x": 1}', ' {"x": 1} '])
def test_native_tool_calls_dict_or_string_arguments(arguments):
    assert pairs(parse_output("", native(arguments))) == [("f", {"x": 1})]


@pytest.mark.parametrize("arguments", ["", None, "{}"])
def test_native_tool_calls_without_arguments(arguments):
    assert pairs(parse_output(None, native(arguments))) == [("f", {})]


@pytest.mark.parametrize("arguments", ['{"x": ', "not json", "[1, 2]", "42"])
def test_native_tool_calls_bad_arguments_are_parse_errors(arguments):
    result = parse_output("ignored", native(arguments))
    assert result.status == "parse_error" and result.error and "tool_calls[0]" in result.error


def test_native_tool_calls_several_and_malformed():
    calls = native({"a": 1}, "f") + native({}, "g")
    assert pairs(parse_output(None, calls)) == [("f", {"a": 1}), ("g", {})]
    assert parse_output(None, [{"type": "function", "function": {}}]).status == "parse_error"
    assert parse_output(None, ["oops"]).status == "parse_error"


def test_native_tool_calls_take_precedence_and_empty_list_falls_back_to_text():
    text = '{"tool_name": "from_text"}'
    assert pairs(parse_output(text, native({}, "native"))) == [("native", {})]
    assert pairs(parse_output(text, [])) == [("from_text", {})]


def test_name_map_restores_original_names():
    name_map = {"A_b_c": "A.b c"}
    assert pairs(parse_output(None, native({}, "A_b_c"), name_map=name_map)) == [("A.b c", {})]
    text = '{"tool_name": "zzz"} {"tool_name": "A_b_c"}'
    result = parse_output(text, tool_names=["A.b c"], name_map=name_map)
    assert pairs(result) == [("A.b c", {})]


# --- abstention and failures ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"tool_name": null, "parameters": {}}',
        '{"tool_name": "none", "parameters": {}}',
        '{"tool_name": "NO_CALL"}',
        '{"APP": null, "API": null, "params": null}',
        "[]",
        "```json\n[]\n```",
        "NO_CALL",
        "no call",
        "None",
        "None.",
        "`null`",
        "I cannot call any tool because it violates the app policy.",
        "This request violates the app policy for this user.",
        "No tool should be called for this request.",
        "I won\u2019t use any of the tools here.",
    ],
)
def test_explicit_abstention_is_no_call(text):
    result = parse_output(text)
    assert (result.status, result.calls, result.error) == ("no_call", [], None)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, "<think>hmm</think>  "])
def test_empty_output_is_parse_error(text):
    result = parse_output(text)
    assert result.status == "parse_error" and result.error == "empty output"


@pytest.mark.parametrize(
    "text",
    [
        "Hello! How can I help you today?",
        "The best tool is the cheap converter.",
        "This does not violate the policy.",
        "I don't know which tool to use.",
        "{}",
        "[1, 2, 3]",
        '{"weather": "rainy"}',
        "The answer is {tool_name}.",
    ],
)
def test_prose_or_non_call_output_is_parse_error_not_no_call(text):
    assert parse_output(text).status == "parse_error"


def test_malformed_call_is_parse_error_even_with_a_refusal_sentence():
    text = 'I cannot use any tool. {"tool_name": "f", "parameters": {"a": }}'
    result = parse_output(text)
    assert result.status == "parse_error" and "malformed tool call" in (result.error or "")


def test_known_positional_call_blocks_abstention_but_unknown_prose_call_does_not():
    assert parse_output("I cannot call any tool, f(1).", tool_names=["f"]).status == "parse_error"
    text = "I cannot call any tool here (see note(1))."
    assert parse_output(text, tool_names=["f"]).status == "no_call"


def test_empty_tool_name_is_parse_error():
    assert parse_output('{"tool_name": "  ", "parameters": {}}').status == "parse_error"


def test_never_raises_on_odd_input():
    for text in ["{" * 5000, "[" * 5000 + "]" * 5000, "f(" * 3000, '{"a": "\\ud800"}', "\x00{"]:
        assert parse_output(text).status in {"ok", "no_call", "parse_error"}
    assert parse_output(123).status == "parse_error"


def test_result_is_frozen_and_has_first_call():
    result = parse_output('{"tool_name": "f"}')
    assert result.call == ToolCall(tool="f")
    with pytest.raises(AttributeError):
        result.status = "no_call"
    assert parse_output("NO_CALL").call is None


def test_rendered_answers_parse_back():
    calls = [ToolCall(tool="a.b", arguments={"x": [1, {"y": None}]}), ToolCall(tool="c")]
    assert parse_output(render_answer(calls[:1])).calls == calls[:1]
    assert parse_output(render_answer(calls)).calls == calls
    assert parse_output(render_answer([])).status == "no_call"


# --- the literal reader --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'a\\nb\\t\\x41\\u00e9\\U0001F600\\101'", "a\nb\tAé😀A"),
        ('"""multi\nline "quoted" """', 'multi\nline "quoted" '),
        ("{a: 1, 'b': 2, 3: [.5, 5., +1, 1e3]}", {"a": 1, "b": 2, "3": [0.5, 5.0, 1, 1000.0]}),
        ("[true, false, null, True, False, None]", [True, False, None, True, False, None]),
        ('{"a": 1, // comment\n "b": /* x */ 2 # py\n}', {"a": 1, "b": 2}),
        ('"unknown \\q escape"', "unknown \\q escape"),
    ],
)
def test_literal_reader_values(text, value):
    assert read_whole(text) == value


@pytest.mark.parametrize("text", ["[1, 2", "{'a' 1}", "1 2", "abc", "[1,,2]", "'open", "1.2.3"])
def test_literal_reader_rejects(text):
    with pytest.raises(LiteralError):
        read_whole(text)


def test_literal_reader_depth_limit():
    with pytest.raises(LiteralError, match="nested deeper"):
        read_whole("[" * 200 + "]" * 200)


def test_app_and_api_become_the_qualified_tool_name_when_known():
    from petool.parsing import parse_output

    text = '{"APP": "Shop", "API": "getProductList", "params": {"q": "tea"}}'
    res = parse_output(text, tool_names=["Shop.getProductList", "Other.getProductList"])
    assert res.status == "ok" and res.calls[0].tool == "Shop.getProductList"
    assert parse_output(text).calls[0].tool == "getProductList"


def test_native_arguments_past_the_cap_are_a_parse_error_not_a_read():
    from petool.parsing.output import MAX_ARGUMENTS

    args = json.dumps({"q": "x" * (MAX_ARGUMENTS + 1)})
    calls = [{"type": "function", "function": {"name": "a", "arguments": args}}]
    result = parse_output("", calls, tool_names=["a"])
    assert result.status == "parse_error" and "over the" in (result.error or "")


def test_a_windows_path_in_an_answer_keeps_its_backslashes():
    text = 'Saved to "C:\\Users\\me". {"tool_name": "a", "parameters": {"p": "C:\\Users"}}'
    result = parse_output(text, None, tool_names=["a"])
    assert result.status == "ok" and result.calls[0].arguments == {"p": "C:\\Users"}


def test_unclosed_reasoning_tags_are_read_once_not_per_tag():
    # 490 KB of unclosed <think> tags took over 90 s through a lazy block pattern
    text = "<think>" * 70_000 + '{"tool_name": "a", "parameters": {}}'
    assert parse_output(text, None, tool_names=["a"]).status == "ok"
    closed = "<think>plan: call b</think> ok " + '{"tool_name": "a", "parameters": {}}'
    assert parse_output(closed, None, tool_names=["a", "b"]).calls[0].tool == "a"
