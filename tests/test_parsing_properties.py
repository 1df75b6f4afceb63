"""Property tests of parsing: it never raises, and every rendered call parses back to itself."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from petool.parsing import parse_output
from petool.parsing.abstain import is_none_name
from petool.parsing.literal import read_whole
from petool.schema import ToolCall

FAST = settings(deadline=None, max_examples=200)
STATUSES = {"ok", "no_call", "parse_error"}

tool_names = st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,15}(\.[A-Za-z_][A-Za-z0-9_]{0,15}){0,2}", fullmatch=True
).filter(lambda name: not is_none_name(name))
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_arguments = st.dictionaries(st.text(max_size=10), json_values, max_size=5)
python_arguments = st.dictionaries(identifiers, json_values, max_size=5)
prose = st.text(alphabet="abcdefghij KLMNOP.,!?:;-\n", max_size=60)
tricky_text = st.text(
    alphabet="{}[]()\"'\\:,=` \n#/*.abcfnoltuTrueFalsNone0123456789_", max_size=80
)


def same(a: Any, b: Any) -> bool:
    """Equal values with equal types (1 is not True, 1.0 is a float)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


def parsed_back(text: str, name: str, arguments: dict[str, Any]) -> bool:
    result = parse_output(text)
    assert result.status == "ok", (text, result.error)
    assert len(result.calls) == 1
    call = result.calls[0]
    return call.tool == name and same(call.arguments, arguments)


@FAST
@given(st.text())
def test_arbitrary_text_never_raises(text):
    result = parse_output(text)
    assert result.status in STATUSES
    assert (result.status == "ok") == bool(result.calls)
    assert (result.status == "parse_error") == (result.error is not None)


@FAST
@given(tricky_text, st.lists(tool_names, max_size=3) | st.none())
def test_brace_and_quote_soup_never_raises(text, names):
    result = parse_output(text, tool_names=names)
    assert result.status in STATUSES
    assert all(isinstance(call, ToolCall) for call in result.calls)


@FAST
@given(st.lists(json_values, max_size=3))
def test_arbitrary_native_tool_calls_never_raise(tool_calls):
    assert parse_output(None, tool_calls).status in STATUSES


@FAST
@given(json_values)
def test_literal_reader_agrees_with_json(value):
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert same(read_whole(text), json.loads(text))


@FAST
@given(tool_names, json_arguments, st.booleans())
def test_json_call_round_trip(name, arguments, ascii_only):
    text = json.dumps({"tool_name": name, "parameters": arguments}, ensure_ascii=ascii_only)
    assert parsed_back(text, name, arguments)


@FAST
@given(tool_names, json_arguments, prose, prose)
def test_fenced_json_with_prose_round_trip(name, arguments, before, after):
    body = json.dumps({"tool_name": name, "parameters": arguments}, indent=2)
    assert parsed_back(f"{before}\n```json\n{body}\n```\n{after}", name, arguments)
    assert parsed_back(f"{before} {body} {after}", name, arguments)


@FAST
@given(tool_names, python_arguments, prose)
def test_python_call_round_trip(name, arguments, before):
    text = f"{name}({', '.join(f'{key}={value!r}' for key, value in arguments.items())})"
    assert parsed_back(text, name, arguments)
    assert parsed_back(f"{before}\n```python\n{text}\n```", name, arguments)


@FAST
@given(tool_names, json_arguments)
def test_native_call_round_trip(name, arguments):
    function = {"name": name, "arguments": json.dumps(arguments)}
    result = parse_output(None, [{"type": "function", "function": function}])
    assert result.status == "ok"
    assert result.calls[0].tool == name and same(result.calls[0].arguments, arguments)
