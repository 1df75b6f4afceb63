from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from petool.schema import ToolCall
from petool.scoring.values import arguments_match, value_accepted, values_match

MATCH = [
    ("Paris", "paris"),
    ("  PARIS ", "paris"),
    ("Straße", "STRASSE"),  # casefold, not lower
    (1, 1.0),
    ("1.50", 1.5),
    (1.5, "1.50"),
    (" 2 ", 2),
    ("1e3", 1000),
    (10**20, 10**20),
    (0.1, "0.1"),
    ("-3", -3),
    (True, "true"),
    ("True", True),
    (" FALSE ", False),
    (False, False),
    (None, None),
    ([1, "a"], [1.0, "A"]),
    (("x", 2), ["X", "2"]),
    ({"a": {"b": ["Q", 1]}}, {"a": {"b": ["q", "1"]}}),
    ([], []),
    ({}, {}),
]

NO_MATCH = [
    ("Paris", "Lyon"),
    ("007", "7"),  # two strings are text, never numbers
    ("1.5", "1.50"),
    (1, 2),
    (10**20, 10**20 + 1),  # exact for big integers
    (0.1 + 0.2, 0.3),
    ("1,5", 1.5),
    ("one", 1),
    ("nan", float("nan")),
    (float("nan"), float("nan")),
    (True, 1),  # a boolean never matches a number
    (1, True),
    (False, "0"),
    (True, "yes"),
    (None, "None"),
    ("", None),
    (None, 0),
    ([1, 2], [2, 1]),  # list order matters
    ([1], [1, 1]),
    ({"a": 1}, {"a": 1, "b": 2}),
    ({"a": 1}, {"A": 1}),  # keys are exact
    ({"a": {"b": 1}}, {"a": {"b": 2}}),
    ("[1]", [1]),
    ({"a": 1}, [("a", 1)]),
]


@pytest.mark.parametrize(("pred", "gold"), MATCH)
def test_values_that_match(pred, gold):
    assert values_match(pred, gold)
    assert values_match(gold, pred)


@pytest.mark.parametrize(("pred", "gold"), NO_MATCH)
def test_values_that_do_not_match(pred, gold):
    assert not values_match(pred, gold)
    assert not values_match(gold, pred)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values)
def test_every_json_value_matches_itself(value):
    assert values_match(value, value)


@given(json_values, json_values)
def test_matching_is_symmetric(a, b):
    assert values_match(a, b) == values_match(b, a)


def test_accepted_values_include_alternatives():
    gold = ToolCall(tool="t", arguments={"unit": "km"}, alternatives={"unit": ["kilometers"]})
    assert value_accepted("KM", gold, "unit")
    assert value_accepted("Kilometers", gold, "unit")
    assert not value_accepted("miles", gold, "unit")
    assert not value_accepted("km", gold, "other")


def test_arguments_match_is_exact_on_names():
    gold = ToolCall(tool="t", arguments={"to": "Paris", "n": 2})
    assert arguments_match(ToolCall(tool="other", arguments={"to": "paris", "n": "2"}), gold)
    assert not arguments_match(ToolCall(tool="t", arguments={"to": "Paris"}), gold)
    extra = ToolCall(tool="t", arguments={"to": "Paris", "n": 2, "fast": True})
    assert not arguments_match(extra, gold)
    assert not arguments_match(ToolCall(tool="t", arguments={"to": "Lyon", "n": 2}), gold)


def test_argument_only_in_alternatives_is_optional():
    gold = ToolCall(tool="t", arguments={"to": "Paris"}, alternatives={"mode": ["walk"]})
    assert arguments_match(ToolCall(tool="t", arguments={"to": "Paris"}), gold)
    assert arguments_match(ToolCall(tool="t", arguments={"to": "Paris", "mode": "Walk"}), gold)
    assert not arguments_match(ToolCall(tool="t", arguments={"to": "Paris", "mode": "car"}), gold)
