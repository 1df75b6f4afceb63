"""PTBench's official scorer: every expected number below was derived by hand from the rules of
hyfshadow/PTBench ``src/test_acc.py``, ``src/test_error.py``, ``src/parse.py``, ``src/overall.py``
(commit 9678ecc), not by running petool."""

from __future__ import annotations

import ast
import json
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from petool.backends.oracle import gold_answer_text
from petool.parsing import parse_output
from petool.schema import Prediction, Suite, SuiteInfo, Task, ToolCall
from petool.scoring.registry import get_scorer
from petool.suites.ptbench import load_ptbench
from petool.suites.ptbench.answer import (
    MAX_ANSWER_CHARS,
    PTBenchFormatError,
    PTBenchSyntaxError,
    parse_answer,
    parse_expression,
    unparse,
)
from petool.suites.ptbench.loader import record_task
from petool.suites.ptbench.prompt import python_literal, render_answer
from petool.suites.ptbench.scorer import ERROR_KEYS, include, score_ptbench
from petool.suites.ptbench.tools import Toolset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ptbench"
FOOD = {
    "user_profile": {"name": "Lily", "work_address": "Springfield General Hospital"},
    "platforms": {"UberEats": "fast", "DoorDash": "many", "Grubhub": "cheap"},
    "tools": {},
    "query": "Order me a hamburger from KFC to my workplace.",
    "answer": [
        "UberEats",
        [
            {
                "order_food": {
                    "restaurant": ["KFC"],
                    "item": ["hamburger"],
                    "delivery_address": [
                        "Springfield General Hospital",
                        "Springfield General Hospital, Main St",
                    ],
                }
            }
        ],
    ],
    "query_params": ["restaurant", "item"],
    "profile_params": ["delivery_address"],
}
RIGHT = 'restaurant="KFC", item="hamburger", delivery_address="Springfield General Hospital"'


def _suite(*records: dict[str, Any], split: str = "untrained_user") -> Suite:
    toolset = Toolset()
    tasks = [
        record_task(Path("data.json"), split, i, rec, toolset) for i, rec in enumerate(records)
    ]
    info = SuiteInfo(name="ptbench", scorer="ptbench", prompt_style="ptbench")
    return Suite(info=info, tools=toolset.tools(), tasks=tasks)


def _score(suite: Suite, outputs: list[str | None]) -> dict[str, Any]:
    predictions = {
        t.id: Prediction(id=t.id, output=o)
        for t, o in zip(suite.tasks, outputs, strict=True)
        if o is not None
    }
    return score_ptbench(suite, suite.tasks, predictions)


def _record(answer: list[Any], query: list[str], profile: list[str]) -> dict[str, Any]:
    return {**FOOD, "answer": answer, "query_params": query, "profile_params": profile}


# (output, (format, platform, names, param names, values, overall), query hits, profile hits,
#  the error category counted, or "format" for a format failure)
FOOD_CASES: dict[str, tuple[str, tuple[int, ...], int, int, str | None]] = {
    "correct": (f"UberEats:[order_food({RIGHT})]", (1, 1, 1, 1, 1, 1), 2, 1, None),
    "single quotes": (
        "UberEats:[order_food(restaurant='KFC', item='hamburger',"
        " delivery_address='Springfield General Hospital')]",
        (1, 1, 1, 1, 1, 1),
        2,
        1,
        None,
    ),
    "quoted platform": (f"'UberEats':[order_food({RIGHT})]", (1, 1, 1, 1, 1, 1), 2, 1, None),
    "one call, no list": (f"UberEats:order_food({RIGHT})", (1, 1, 1, 1, 1, 1), 2, 1, None),
    "values in another case, an alternative": (
        'UberEats:[order_food(restaurant="kfc", item="HAMBURGER",'
        ' delivery_address="springfield general hospital, main st")]',
        (1, 1, 1, 1, 1, 1),
        2,
        1,
        None,
    ),
    "positional arguments ignored": (
        f'UberEats:[order_food("x", 1, {RIGHT})]',
        (1, 1, 1, 1, 1, 1),
        2,
        1,
        None,
    ),
    # the platform is judged alone and has no error category
    "wrong platform": (f"DoorDash:[order_food({RIGHT})]", (1, 0, 1, 1, 1, 0), 2, 1, None),
    "platform in another case": (f"ubereats:[order_food({RIGHT})]", (1, 0, 1, 1, 1, 0), 2, 1, None),
    # order_meal is not gold (extra) and order_food is absent (missing): "func_wrong_error"
    "wrong function": (
        f"UberEats:[order_meal({RIGHT})]",
        (1, 1, 0, 0, 0, 0),
        0,
        0,
        "func_wrong_error",
    ),
    # an extra function only: counted as "func_missing_error" (their "lack", seen from the gold)
    "extra function": (
        f'UberEats:[order_food({RIGHT}), track_order(order_id="1")]',
        (1, 1, 0, 0, 0, 0),
        2,
        1,
        "func_missing_error",
    ),
    "no function": ("UberEats:[]", (1, 1, 0, 0, 0, 0), 0, 0, "func_excessive_error"),
    "extra parameter": (
        f"UberEats:[order_food({RIGHT}, tip=2)]",
        (1, 1, 1, 0, 0, 0),
        2,
        1,
        "param_missing_error",
    ),
    "missing parameter": (
        'UberEats:[order_food(restaurant="KFC", item="hamburger")]',
        (1, 1, 1, 0, 0, 0),
        2,
        0,
        "param_excessive_error",
    ),
    "wrong value": (
        'UberEats:[order_food(restaurant="KFC", item="cheeseburger",'
        ' delivery_address="Springfield General Hospital")]',
        (1, 1, 1, 1, 0, 0),
        1,
        1,
        "value_error",
    ),
    # a duplicated call counts its parameters twice and costs nothing
    "duplicated call": (
        f"UberEats:[order_food({RIGHT}), order_food({RIGHT})]",
        (1, 1, 1, 1, 1, 1),
        4,
        2,
        None,
    ),
    # an int is compared as first_accepted + 0.01: against a string that raises
    "a number where a string is expected": (
        'UberEats:[order_food(restaurant="KFC", item=1, delivery_address="x")]',
        (0,) * 6,
        0,
        0,
        "format",
    ),
    "a float where a string is expected": (
        'UberEats:[order_food(restaurant="KFC", item=1.5, delivery_address="x")]',
        (1, 1, 1, 1, 0, 0),
        1,
        0,
        "value_error",
    ),
    "unparseable text": (
        "I would order a hamburger from KFC on UberEats.",
        (0,) * 6,
        0,
        0,
        "format",
    ),
    "prose before": (f"Sure! UberEats:[order_food({RIGHT})]", (0,) * 6, 0, 0, "format"),
    "prose on the next line": (
        f"UberEats:[order_food({RIGHT})]\nThis orders your burger.",
        (0,) * 6,
        0,
        0,
        "format",
    ),
    "code fence": (f"```\nUberEats:[order_food({RIGHT})]\n```", (0,) * 6, 0, 0, "format"),
    "comment on the last line": (
        f"UberEats:[order_food({RIGHT})] # done",
        (0,) * 6,
        0,
        0,
        "format",
    ),
    "comment then a new line": (
        f"UberEats:[order_food({RIGHT})] # done\n",
        (1, 1, 1, 1, 1, 1),
        2,
        1,
        None,
    ),
    "empty output": ("", (0,) * 6, 0, 0, "format"),
    "JSON with prose": (
        'Answer: {"tool_name": "UberEats.order_food", "parameters": {}}',
        (0,) * 6,
        0,
        0,
        "format",
    ),
    "platform with a space": (f"Uber Eats:[order_food({RIGHT})]", (0,) * 6, 0, 0, "format"),
    "keyword as parameter name": ('UberEats:[order_food(from="KFC")]', (0,) * 6, 0, 0, "format"),
    "a set value": (
        'UberEats:[order_food(restaurant={"KFC"}, item="hamburger")]',
        (0,) * 6,
        0,
        0,
        "format",
    ),
}


@pytest.mark.parametrize("case", sorted(FOOD_CASES))
def test_food_cases(case: str) -> None:
    output, flags, query_hits, profile_hits, error = FOOD_CASES[case]
    result = _score(_suite(FOOD), [output])
    keys = ("format", "platforms", "tool_names", "tool_param_names", "tool_param_values", "overall")
    assert tuple(result[k] for k in keys) == tuple(float(f) for f in flags)
    assert result["query_params"] == query_hits / 2
    assert result["profile_params"] == profile_hits / 1
    expected = {k: int(k == error) for k in ERROR_KEYS}
    assert {k: result[k] for k in ERROR_KEYS} == expected
    assert result["format_errors"] == int(error == "format")
    assert result["split"] == "untrained_user" and result["n"] == 1


TRAVEL = _record(
    [
        "Expedia",
        [
            {"search_flights": {"destination": ["Chicago"], "origin": ["Boston"]}},
            {"book_hotel": {"city": ["Chicago"], "nights": [2]}},
        ],
    ],
    ["destination", "city", "nights"],
    ["origin"],
)


@pytest.mark.parametrize(
    ("output", "flags", "hits", "error"),
    [
        (
            'Expedia:[book_hotel(nights=2, city="chicago"),'
            ' search_flights(origin="Boston", destination="Chicago")]',
            (1, 1, 1, 1, 1, 1),
            (3, 1),
            None,
        ),
        (  # a gold call missing: "func_excessive_error" (their "excess", seen from the gold)
            'Expedia:[search_flights(origin="Boston", destination="Chicago")]',
            (1, 1, 0, 0, 0, 0),
            (1, 1),
            "func_excessive_error",
        ),
        (  # both: one wrong, one right
            'Expedia:[search_flight(origin="Boston", destination="Chicago"),'
            ' book_hotel(city="Chicago", nights=2)]',
            (1, 1, 0, 0, 0, 0),
            (2, 0),
            "func_wrong_error",
        ),
        (  # a tuple of calls works like a list
            'Expedia:(search_flights(origin="Boston", destination="Chicago"),'
            ' book_hotel(city="Chicago", nights=2.0))',
            (1, 1, 1, 1, 1, 1),
            (3, 1),
            None,
        ),
    ],
)
def test_several_calls(
    output: str, flags: tuple[int, ...], hits: tuple[int, int], error: str | None
) -> None:
    result = _score(_suite(TRAVEL), [output])
    keys = ("format", "platforms", "tool_names", "tool_param_names", "tool_param_values", "overall")
    assert tuple(result[k] for k in keys) == tuple(float(f) for f in flags)
    assert (result["query_params"], result["profile_params"]) == (hits[0] / 3, hits[1] / 1)
    assert {k: result[k] for k in ERROR_KEYS} == {k: int(k == error) for k in ERROR_KEYS}


def _value_case(param: str, accepted: list[Any], written: str) -> dict[str, Any]:
    record = _record(["P", [{"f": {param: accepted}}]], [param], [])
    return _score(_suite(record), [f"P:[f({param}={written})]"])


@pytest.mark.parametrize(
    ("accepted", "written", "outcome"),
    [
        # numbers: an int within 0.01 of the FIRST accepted value; floats must be equal
        ([50], "50", "right"),
        ([50], "50.0", "right"),
        ([49.995], "50", "right"),
        ([50], "50.004", "wrong"),
        ([51, 50], "50", "wrong"),
        ([51, 50], "50.0", "right"),
        ([3.5], "3.5", "right"),
        ([3.5], "4", "wrong"),
        ([3.5], "'3.5'", "format"),  # a string against a non-string accepted value raises
        ([50], "-50", "wrong"),
        ([-50], "-50", "right"),
        ([-5], "+5", "right"),  # any unary operator negates its literal
        ([2], "1 + 1", "right"),  # theirs evaluates arithmetic
        ([2], "2 ** 1 * 1", "right"),
        ([2], "x + 1", "format"),
        # booleans: "true"/"false" (strings or bare names) read as JSON booleans
        ([True], "True", "right"),
        ([True], "true", "right"),
        ([True], "'true'", "right"),
        ([True], "'True'", "format"),  # str.lower() on the accepted bool raises
        ([True], "1", "right"),  # an int within 0.01 of True
        ([False], "0", "right"),
        ([False], "false", "right"),
        (["true"], "'true'", "wrong"),  # read as True, which is not the string "true"
        (["yes", "no"], "'YES'", "right"),
        # strings: case-insensitive, any accepted value
        (["Paris"], "Paris", "right"),  # a bare name is its text
        (["Paris"], "'PARIS'", "right"),
        (["Paris"], "' Paris'", "wrong"),
        # lists: case-insensitive sets, order and repeats ignored
        ([["jazz", "lo-fi"]], "['Lo-Fi', 'jazz']", "right"),
        ([["jazz", "lo-fi"]], "['jazz', 'jazz', 'lo-fi']", "right"),
        ([["jazz", "lo-fi"]], "['jazz']", "wrong"),
        ([["jazz", "lo-fi"], ["jazz"]], "['JAZZ']", "right"),
        ([["jazz", "lo-fi"]], "'jazz'", "format"),
        ([[1, 2]], "[1, 2]", "format"),  # list items must be strings
        (["ab", "c"], "['b', 'a']", "right"),  # a flat accepted list: each string's letters
        # nested objects: equal as Python values (case-sensitive inside)
        ([{"color": "black", "size": "M"}], "{'size': 'M', 'color': 'black'}", "right"),
        ([{"color": "black", "size": "M"}], '{"color": "Black", "size": "M"}', "wrong"),
        ([{"color": "black"}], "Filter(color='black')", "wrong"),  # a call is {name: args}
        ([{"Filter": {"color": "black"}}], "Filter(color='black')", "right"),
        (["now()"], "now( )", "right"),  # a call without keywords is its source text
        ([None], "None", "right"),
        ([None], "null", "format"),  # the string "null" against a None raises
    ],
)
def test_value_rules(accepted: list[Any], written: str, outcome: str) -> None:
    result = _value_case("p", accepted, written)
    expected = {"right": (1.0, 1.0, 0), "wrong": (1.0, 0.0, 0), "format": (0.0, 0.0, 1)}[outcome]
    assert (result["format"], result["overall"], result["format_errors"]) == expected
    assert result["value_error"] == int(outcome == "wrong")


@pytest.mark.parametrize(
    ("pred", "accepted", "expected"),
    [
        ("true", [True], True),
        ("false", [0], True),  # False == 0
        ("true", "abc", TypeError),
        (True, [1], True),
        ("A", ["a", "b"], True),
        ("A", "xa", True),  # a string accepted value is iterated by characters
        ("A", [1], AttributeError),
        (["A", "b"], [["B", "a"]], True),
        (["A"], [[1]], AttributeError),
        (3, [3.005], True),
        (3, [3.02], False),
        (3, [], IndexError),
        (3, ["3"], TypeError),
        (3.0, [3], True),
        (None, [None], True),
        ((1, 2), [[1, 2]], False),
    ],
)
def test_include(pred: Any, accepted: Any, expected: Any) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected):
            include(pred, accepted)
    else:
        assert include(pred, accepted) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A:[f(a=1)]", ("A", [{"f": {"a": 1}}])),
        ("'A' : [ f ( a = 1 , ) , ]", ("A", [{"f": {"a": 1}}])),
        ("1:[f()]", (1, [{"f": {}}])),
        ("A:[]", ("A", [])),
        ("A:{f(a=1)}", ("A", [{"f": {"a": 1}}])),
        ("A:[f(a=1)], B:[g()]", ("A", [{"f": {"a": 1}}])),  # only the first item counts
        ("A:[x.y.f(a=1)]", ("A", [{"x.y.f": {"a": 1}}])),
        ("A:[f(**kw)]", ("A", [{"f": {None: "kw"}}])),
        ("A:[f(a=1, a=2)]", ("A", [{"f": {"a": 2}}])),
        (
            "A:[f(a=-True, b=not 1, c=~2, d=+3, e=-1.5)]",
            ("A", [{"f": dict(a=-1, b=-1, c=-2, d=-3, e=-1.5)}]),
        ),
        (
            "A:[f(a=..., b=None, c=(1,), d=(), e=[1, [2]])]",
            ("A", [{"f": dict(a="...", b=None, c=(1,), d=(), e=[1, [2]])}]),
        ),
        (
            "A:[f(a={'k': [1, {'z': None}]}, b={1: 2, 1: 3})]",
            ("A", [{"f": dict(a={"k": [1, {"z": None}]}, b={1: 3})}]),
        ),
        ("A:[f(a=g(x=1, y=h(z=2)))]", ("A", [{"f": {"a": {"g": {"x": 1, "y": {"h": {"z": 2}}}}}}])),
        (
            "A:[f(a=datetime.now( tz ), b=g(1,'x',[2],{'k':-1},(3,)))]",
            ("A", [{"f": {"a": "datetime.now(tz)", "b": "g(1, 'x', [2], {'k': -1}, (3,))"}}]),
        ),
        (
            "A:[f(a=x[0], b=x[1:2], c=x[1, 2])]",
            ("A", [{"f": {"a": "x[0]", "b": "x[1:2]", "c": "x[(1, 2)]"}}]),
        ),
        (
            "A:[f(a='it\\'s', b=\"q\\\"\", c='\\x41\\101\\u00e9\\N{BULLET}\\q', d=r'\\d')]",
            ("A", [{"f": dict(a="it's", b='q"', c="AAé•\\q", d="\\d")}]),
        ),
        (
            "A:[f(a='a' \"b\" '''c''', b=b'\\x41', c=u'x')]",
            ("A", [{"f": dict(a="abc", b=b"A", c="x")}]),
        ),
        (
            "A:[f(a=0x1F, b=0o17, c=0b11, d=1_000, e=1e3, g=.5, h=5., i=2j, j=00)]",
            ("A", [{"f": dict(a=31, b=15, c=3, d=1000, e=1000.0, g=0.5, h=5.0, i=2j, j=0)}]),
        ),
        (
            "A:[f(a=[1, 2] * 2, b='ab' + 'c', c=7 // 2, d=(1 if 0 else 2) + 1)]",
            ("A", [{"f": dict(a=[1, 2, 1, 2], b="abc", c=3, d=3)}]),
        ),
        ("A:[f(a=1)] # a comment\n", ("A", [{"f": {"a": 1}}])),
        ("A:[f(a=1,\r\n b=2)] \\\n", ("A", [{"f": {"a": 1, "b": 2}}])),
        ("美团:[f(名字='x')]", ("美团", [{"f": {"名字": "x"}}])),
    ],
)
def test_parse_answer(text: str, expected: tuple[Any, list[Any]]) -> None:
    assert repr(parse_answer(text)) == repr(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "A:[f(a=1)] # comment",
        "A:[f(a=1)]\nmore",
        "Sure! A:[f(a=1)]",
        "A:[f(a=1)",
        "A:[f(a=1)]}",
        "A:[1]",
        "A:[f(a=1), 2]",
        "A:f",
        "A.b:[f(a=1)]",
        "A B:[f(a=1)]",
        '{"platform": "A", "functions": []}',
        "A:[f(a=--1)]",
        "A:[f(a=-x)]",
        "A:[f(a=-'x')]",
        "A:[f(a={1, 2})]",
        "A:[f(a=1 < 2)]",
        "A:[f(a=x.y)]",
        "A:[f(a=[*b])]",
        "A:[f(a={[1]: 2})]",
        "A:[f(a=1 / 0)]",
        "A:[f(a='a' - 1)]",
        "A:[f(a=len('x') + 1)]",
        "A:[f(a=9 ** 9 ** 9)]",
        "A:[f(x=1, 2)]",
        "A:[f(**k, *a)]",
        "A:[f(class=1)]",
        "A:[f(a=0123)]",
        "A:[f(a=1abc)]",
        "A:[f(a='\\xZZ')]",
        "A:[f(a='unterminated)]",
        "A:[f(a='a' b'b')]",
        "A:[f(a=b'é')]",
        "A:[f(a=f'x')]",
        "A:[f(a=lambda: 1)]",
        "A:[f(a=[x for x in y])]",
        "A:[f(a=1);]",
        "A:[f(a=1\u00a0)]",
        "A:[f(a='\x00')]",
    ],
)
def test_parse_answer_fails(text: str) -> None:
    with pytest.raises(PTBenchFormatError):
        parse_answer(text)


SYNTAX_SAMPLES = [
    "{a: [f(x=1)]}",
    "{a: [f(x=1)], b: lambda: 0}",
    "{a: 1}.keys()",
    "{a: 1}, {b: 2}",
    "{a: 1}\n, 2",
    "{a: [f(x=1) # c\n]}",
    "{a: f(1, *b, x=2, **c)}",
    "{a: f(x=1, 2)}",
    "{a: f(**c, *b)}",
    "{a: f(**c, b)}",
    "{a: x[1:2, ::3]}",
    "{a: x[]}",
    "{a: (1)}",
    "{a: (*b)}",
    "{a: (*b,)}",
    "{1if 1 else 2: 0}",
    "{0x1F.real: 1}",
    "{1.real: 1}",
    "{1 .real: 1}",
    "{a: not not b}",
    "{a: b not in c is not d}",
    "{a: 'x' 'y' b'z'}",
    "{a: rb'\\d' Rb'x' bR'y'}",
    "{a: ur'x'}",
    "{a: '''x\ny'''}",
    "{a: 'x\ny'}",
    "{a: 'x\\\ny'}",
    "{a: 1__0}",
    "{a: 1_0}",
    "{a: 0_0}",
    "{a: 09}",
    "{a: 09.5}",
    "{a: 0b12}",
    "{a: 1e}",
    "{a: .e1}",
    "{a: b.class}",
    "{a: b.c.d(e)(f)[g]}",
    "{**a, b: 1}",
    "{*a, b}",
    "{*a: 1}",
    "{a: [,]}",
    "{a: [1,,]}",
    "{a: ()}",
    "{a: (,)}",
    "{a: 1 if b}",
    "{a: -}",
    "{a: 1 <> 2}",
    "{a: !b}",
    "{a: $}",
    "{a: `b`}",
]


@pytest.mark.parametrize("text", SYNTAX_SAMPLES)
def test_syntax_agrees_with_python(text: str) -> None:
    """Acceptance equals Python's own parser (these fixed strings are not model output)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            ast.parse(text, mode="eval")
        python_accepts = True
    except SyntaxError:
        python_accepts = False
    try:
        parse_expression(text)
        accepts = True
    except PTBenchSyntaxError as exc:
        assert "unsupported" in str(exc) or not python_accepts
        return
    assert accepts == python_accepts


@pytest.mark.parametrize(
    "source",
    [
        "f(1, 'x', [2, (3,)], {'k': -1}, *a, b=2, **c)",
        "a.b(1 .real, x[1:2], x[::2], x[1, 2], y[a][b])",
        "f(-a ** b, (-a) ** b, a ** -b, a ** b ** c, (a ** b) ** c, not not a, ~-a)",
        "f(a and b and c, (a or b) and c, a and (b or c), not (a and b), (not a) and b)",
        "f(a < b < c, (a < b) < c, a not in b, a is not b, not a == b)",
        "f(a if b else c if d else e, (a if b else c) if d else e, (a, b), ())",
        "f(a | b ^ c & d << e + f * g, (a | b) ^ c, a - (b - c), (a - b) - c, a / (b * c))",
        "f({**a, 'b': c}, {*a, b}, [*a, *b], (*a, b), u'x', b'y', 1e400, ..., \"it's\")",
    ],
)
def test_unparse_agrees_with_python(source: str) -> None:
    """What a keyword-less call becomes, as ``ast.unparse`` writes it (fixed strings only)."""
    assert unparse(parse_expression(source)) == ast.unparse(ast.parse(source, mode="eval"))


def _balanced(terms: list[str], op: str) -> str:
    """``terms`` joined by ``op`` as a balanced tree (shallow, however many terms)."""
    if len(terms) == 1:
        return terms[0]
    mid = len(terms) // 2
    return f"({_balanced(terms[:mid], op)} {op} {_balanced(terms[mid:], op)})"


@pytest.mark.parametrize(
    "text",
    [
        "A:[f(x=" + "a(" * 100_000 + ")" * 100_000 + ")]",  # over MAX_ANSWER_CHARS
        "A:[f(x=" + "a(" * 20_000 + ")" * 20_000 + ")]",  # Python: too many nested parentheses
        "A:[f(x=a" + ".b" * 30_000 + ")]",  # Python's parser: RecursionError
        "A:[f(x=" + "+".join(["1"] * 30_000) + ")]",  # the same
        "A:[f(x=" + "-" * 30_000 + "1)]",  # Python's parser: MemoryError
        "A:[f(x=g(" + "[" * 150 + "]" * 150 + "))]",  # deeper than MAX_DEPTH
        "A:[f(x=g(a" + ".b" * 500 + "))]",  # the same, within Python's limits
        "A:[f(x='" + "a" * MAX_ANSWER_CHARS + "')]",
        "A:[f(x=[[1] * 100000] * 100000)]",  # 10**10 elements: refused before it is built
        "A:[f(x=[[]] * 10**18)]",
        "A:[f(x='ab' * 50001)]",
        "A:[f(x=7 ** 4000)]",  # over MAX_INT_BITS
        "A:[f(x=(10 ** 1000) ** 11)]",
        "A:[f(x=1 << 20000)]",
        "A:[f(x=" + _balanced(["([0] * 99999 == [0] * 99999)"] * 1000, "+") + ")]",  # MAX_WORK
        "A:[f(x=" + _balanced(["(2 ** 9999 // 3 ** 3000)"] * 4000, "+") + ")]",
    ],
)
def test_hostile_answers_fail_fast(text: str) -> None:
    """Answers built to exhaust the stack, memory or time are quick format failures."""
    start = time.perf_counter()
    with pytest.raises(PTBenchFormatError):
        parse_answer(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A:[f(x=g(" + "[" * 90 + "]" * 90 + "))]", "g(" + "[" * 90 + "]" * 90 + ")"),
        ("A:[f(x=[1] * 100000)]", [1] * 100_000),
        ("A:[f(x=7 ** 3500)]", 7**3500),
        ("A:[f(x=[] * 10**18)]", []),
        ("A:[f(x=" + _balanced(["1"] * 5000, "+") + ")]", 5000),
    ],
)
def test_large_but_bounded_answers_are_read(text: str, expected: Any) -> None:
    assert parse_answer(text) == ("A", [{"f": {"x": expected}}])


_ATOMS = st.sampled_from(
    ["0", "1", "-2", "3", "True", "None", "1.5", "'a'", "'bc'", "[]", "[1, 'x']", "(2,)", "{1: 2}"]
)
_OPERANDS = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "&", "|", "^"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["-", "not ", "~"]), inner).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(inner, st.sampled_from(["<", "==", "in", "and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(inner, inner).map(lambda t: f"[{t[0]}, *{t[1]}]"),
    ),
    max_leaves=8,
)


@settings(deadline=None, max_examples=300)
@given(
    left=_OPERANDS, op=st.sampled_from(["+", "-", "*", "//", "/", "&", "|", "^"]), right=_OPERANDS
)
def test_arithmetic_agrees_with_python(left: str, op: str, right: str) -> None:
    """A binary operation over literals has the value Python gives it (their ``eval``), or
    fails where Python raises. The strings are built here from literals only, so ``eval`` on
    them is safe."""
    source = f"{left} {op} {right}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected: Any = eval(source, {"__builtins__": {}})  # built from literals only
    except Exception:
        with pytest.raises(PTBenchFormatError):
            parse_answer(f"A:[f(x={source})]")
        return
    assert repr(parse_answer(f"A:[f(x={source})]")) == repr(("A", [{"f": {"x": expected}}]))


@settings(deadline=None, max_examples=300)
@given(
    st.text(max_size=80)
    | st.lists(
        st.sampled_from(["A", ":", "[", "]", "(", ")", "f", "x=", "1", ",", "-", "*", "'"])
    ).map("".join)
)
def test_any_text_reads_or_fails_cleanly(text: str) -> None:
    """Whatever the text, the reader returns an answer or raises PTBenchFormatError only."""
    try:
        _, calls = parse_answer(text)
    except PTBenchFormatError:
        return
    assert isinstance(calls, list) and all(isinstance(c, dict) and len(c) == 1 for c in calls)


# ---------------------------------------------------------------- whole splits, overall, oracles


def test_split_totals_and_denominators() -> None:
    """A split of five tasks: fractions over all n, parameter shares over all gold parameters."""
    suite = _suite(FOOD, FOOD, FOOD, FOOD, FOOD)
    outputs = [
        f"UberEats:[order_food({RIGHT})]",  # all right: q 2, p 1
        f"DoorDash:[order_food({RIGHT})]",  # platform wrong: q 2, p 1
        'UberEats:[order_food(restaurant="KFC", item="hamburger")]',  # param missing: q 2
        "not an answer",  # format failure
        None,  # no prediction: a format failure too
    ]
    result = _score(suite, outputs)
    assert result["n"] == 5
    assert result["format"] == 3 / 5
    assert result["platforms"] == 2 / 5
    assert result["tool_names"] == 3 / 5
    assert result["tool_param_names"] == 2 / 5
    assert result["tool_param_values"] == 2 / 5
    assert result["overall"] == 1 / 5
    assert result["query_params"] == 6 / 10
    assert result["profile_params"] == 2 / 5
    assert result["param_excessive_error"] == 1
    assert result["format_errors"] == 2
    assert result["by_split"]["untrained_user"]["overall"] == 1 / 5


def test_overall_is_sample_weighted_and_errors_summed() -> None:
    toolset = Toolset()
    tasks = [record_task(Path("u.json"), "untrained_user", i, FOOD, toolset) for i in range(3)]
    tasks += [record_task(Path("t.json"), "trained_user", 0, FOOD, toolset)]
    suite = Suite(info=SuiteInfo(name="ptbench"), tools=toolset.tools(), tasks=tasks)
    right, wrong = f"UberEats:[order_food({RIGHT})]", "UberEats:[order_meal()]"
    outputs = {tasks[0].id: right, tasks[1].id: wrong, tasks[2].id: wrong, tasks[3].id: right}
    predictions = {tid: Prediction(id=tid, output=o) for tid, o in outputs.items()}
    result = score_ptbench(suite, tasks, predictions)
    assert result["split"] == "all" and result["n"] == 4
    assert result["by_split"]["untrained_user"]["overall"] == 1 / 3
    assert result["by_split"]["trained_user"]["overall"] == 1.0
    assert result["overall"] == (1 / 3 * 3 + 1.0 * 1) / 4
    assert result["query_params"] == (2 / 6 * 3 + 2 / 2 * 1) / 4  # weighted by samples
    assert result["func_wrong_error"] == 2
    assert result["by_split"]["overall"]["func_wrong_error"] == 2


def test_no_query_params_gives_null() -> None:
    record = _record(["P", [{"f": {"a": ["x"]}}]], [], ["a"])
    result = _score(_suite(record), ["P:[f(a='x')]"])
    assert result["query_params"] is None  # their code divides by zero here
    assert result["profile_params"] == 1.0


def _fixture_suite() -> Suite:
    return load_ptbench(FIXTURES)


def _assert_perfect(result: dict[str, Any]) -> None:
    for key in ("format", "platforms", "tool_names", "tool_param_names", "tool_param_values"):
        assert result[key] == 1.0, key
    assert result["overall"] == 1.0
    assert result["query_params"] == 1.0 and result["profile_params"] == 1.0
    assert all(result[k] == 0 for k in (*ERROR_KEYS, "format_errors"))
    for split in ("untrained_user", "trained_user", "overall"):
        assert result["by_split"][split]["overall"] == 1.0
    unified = result["unified"]["overall"]
    assert unified["tool_accuracy"] == 1.0 and unified["parameter_accuracy"] == 1.0
    assert unified["parse_errors"] == 0


def test_oracle_in_ptbench_format_scores_one() -> None:
    suite = _fixture_suite()
    predictions = {t.id: Prediction(id=t.id, output=render_answer(t.gold)) for t in suite.tasks}
    result = score_ptbench(suite, suite.tasks, predictions)
    _assert_perfect(result)
    assert result["official"]["scored_from_petool_answers"] == 0


def test_oracle_unified_json_scores_one() -> None:
    """The ``oracle`` backend's unified JSON, through petool's parser, is converted and scores 1."""
    suite = _fixture_suite()
    predictions = {}
    for task in suite.tasks:
        text = gold_answer_text(task)
        parsed = parse_output(text, tool_names=task.candidates)
        predictions[task.id] = Prediction(
            id=task.id, output=text, status=parsed.status, calls=parsed.calls
        )
    result = score_ptbench(suite, suite.tasks, predictions)
    _assert_perfect(result)
    assert result["official"]["scored_from_petool_answers"] == len(suite.tasks)


def test_native_tool_calls_are_converted() -> None:
    suite = _suite(FOOD)
    task = suite.tasks[0]
    prediction = Prediction(id=task.id, output="", status="ok", calls=list(task.gold))
    result = score_ptbench(suite, suite.tasks, {task.id: prediction})
    assert result["overall"] == 1.0


def test_unified_view_carries_the_platform() -> None:
    """A PTBench-format answer is re-read for the unified block: wrong platform, wrong tool."""
    suite = _suite(FOOD)
    task = suite.tasks[0]
    text = f"DoorDash:[order_food({RIGHT})]"
    parsed = parse_output(text, tool_names=task.candidates)  # petool's parser loses the platform
    prediction = Prediction(id=task.id, output=text, status=parsed.status, calls=parsed.calls)
    result = score_ptbench(suite, suite.tasks, {task.id: prediction})
    assert result["tool_names"] == 1.0 and result["platforms"] == 0.0
    assert result["unified"]["overall"]["tool_accuracy"] == 0.0
    assert result["unified"]["overall"]["parameter_accuracy"] == 1.0


def test_backend_error_is_a_format_failure() -> None:
    suite = _suite(FOOD)
    task = suite.tasks[0]
    prediction = Prediction(id=task.id, output="", status="backend_error", error="timeout")
    result = score_ptbench(suite, suite.tasks, {task.id: prediction})
    assert result["format"] == 0.0 and result["format_errors"] == 1


def test_registered_and_json_contract() -> None:
    suite = _suite(FOOD)
    scorer = get_scorer("ptbench")
    result = scorer(suite, suite.tasks, {})
    json.dumps(result)  # JSON-able
    for key in (
        "format",
        "platforms",
        "tool_names",
        "tool_param_names",
        "tool_param_values",
        "query_params",
        "profile_params",
        "overall",
        *ERROR_KEYS,
    ):
        assert key in result
    assert set(result["by_split"]) == {"untrained_user", "overall"}
    assert "overall" in result["unified"] and "by_mode" in result["unified"]


def test_render_answer_round_trips() -> None:
    calls = [
        ToolCall(
            tool="My App.f",
            app="My App",
            arguments={
                "s": 'it\'s "q"\n',
                "n": -2,
                "x": 1.5,
                "b": False,
                "l": ["a", -1.0],
                "d": {"k": None},
            },
        )
    ]
    text = render_answer(calls)
    assert text.startswith("'My App':[f(")
    assert parse_answer(text) == ("My App", [{"f": calls[0].arguments}])
    assert python_literal(float("inf")) == "1e309"
    with pytest.raises(ValueError):
        render_answer([])


def test_oracle_matches_official_on_every_fixture_task() -> None:
    """Per-task check on the fixture (both splits): each gold rendering is judged fully right."""
    suite = _fixture_suite()
    for task in suite.tasks:
        one = {task.id: Prediction(id=task.id, output=render_answer(task.gold))}
        assert score_ptbench(suite, [task], one)["overall"] == 1.0, task.id


def test_a_task_without_native_fields_uses_its_gold() -> None:
    task = Task(
        id="x",
        instruction="q",
        gold=[ToolCall(tool="P.f", app="P", arguments={"a": "x"}, alternatives={"a": ["y"]})],
    )
    suite = Suite(info=SuiteInfo(name="ptbench"), tools=[], tasks=[task])
    prediction = Prediction(id="x", output="P:[f(a='Y')]")
    assert score_ptbench(suite, [task], {"x": prediction})["overall"] == 1.0


@pytest.mark.parametrize(
    ("text", "overall", "format_errors"),
    [
        ('```json\n{"tool_name": "UberEats.order_food", "parameters": {}}\n```', 0.0, 0),
        ('{"tool_name": null, "parameters": {}}', 0.0, 1),  # PTBench cannot abstain
        ("I will not call a tool.", 0.0, 1),
    ],
)
def test_petool_answers(text: str, overall: float, format_errors: int) -> None:
    suite = _suite(FOOD)
    task = suite.tasks[0]
    parsed = parse_output(text, tool_names=task.candidates)
    prediction = Prediction(id=task.id, output=text, status=parsed.status, calls=parsed.calls)
    result = score_ptbench(suite, suite.tasks, {task.id: prediction})
    assert (result["overall"], result["format_errors"]) == (overall, format_errors)
    if not format_errors:  # a fenced JSON answer is converted: right function, params missing
        assert result["tool_names"] == 1.0 and result["param_excessive_error"] == 1
