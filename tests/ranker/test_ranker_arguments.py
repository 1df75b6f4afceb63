"""Argument filling: instruction values, history, profile, environment, required defaults."""

from __future__ import annotations

import numpy as np
import pytest
from ranker_helpers import make_tool, past

from petool.ranker.arguments import enum_from_values, fill_arguments, from_history, from_mapping
from petool.ranker.instruction import coerce, from_instruction


def booking_tool():
    return make_tool(
        "book",
        "Book a flight",
        {},
        origin={"type": "string", "enum": ["Paris", "Rome", "New York", "York"], "required": True},
        destination={
            "type": "string",
            "enum": ["Paris", "Rome", "New York", "York"],
            "required": True,
        },
        date={"type": "string", "format": "date", "required": True},
        passengers={"type": "integer", "required": True},
        budget={"type": "number"},
        note={"type": "string"},
        seat={"type": "string", "enum": ["aisle", "window"], "personalized": True},
        cabin={"type": "string", "enum": ["economy", "business"], "required": True},
    )


def test_instruction_enums_numbers_dates_and_quotes_in_schema_order():
    tool = booking_tool()
    text = (
        "Fly from new york to Rome on 2025-03-14 for 2 people, budget 1,250.50, "
        'note "vegetarian meal"'
    )
    assert from_instruction(tool, text) == {
        "origin": "New York",
        "destination": "Rome",
        "date": "2025-03-14",
        "passengers": 2,
        "budget": 1250.5,
        "note": "vegetarian meal",
    }


def test_two_values_of_one_type_follow_schema_order():
    tool = make_tool(
        "t",
        "x",
        {},
        query={"type": "string", "required": True},
        title={"type": "string", "required": True},
        width={"type": "integer", "required": True},
        height={"type": "integer", "required": True},
    )
    found = from_instruction(tool, 'Draw "a cat" titled "Mittens" at 640 by 480')
    assert found == {"query": "a cat", "title": "Mittens", "width": 640, "height": 480}


def test_required_parameters_take_values_before_optional_ones():
    tool = make_tool(
        "t", "x", {}, limit={"type": "integer"}, count={"type": "integer", "required": True}
    )
    assert from_instruction(tool, "give me 7") == {"count": 7}


def test_numbers_inside_dates_and_quotes_are_not_reused():
    tool = make_tool(
        "t",
        "x",
        {},
        day={"type": "string", "format": "date", "required": True},
        n={"type": "integer"},
        q={"type": "string"},
    )
    assert from_instruction(tool, 'On 2024-01-02 search "top 10"') == {
        "day": "2024-01-02",
        "q": "top 10",
    }


def test_history_fills_personalized_parameter_with_most_frequent_value():
    tool = booking_tool()
    history = [
        past("book", seat="window"),
        past("other", seat="aisle"),
        past("book", seat="window"),
    ]
    out = fill_arguments(tool, "Fly from Paris to Rome on 2025-01-01 for 1 in economy", history)
    assert out.values["seat"] == "window"
    assert out.sources["seat"] == "history"
    assert out.sources["cabin"] == "instruction"


def test_history_recency_weights_decide_in_chronological_mode():
    schema = {"type": "string", "enum": ["aisle", "window"]}
    history = [past("a", seat="window"), past("a", seat="window"), past("a", seat="aisle")]
    flat = np.ones(3)
    recent = np.array([0.25, 0.5, 1.0])
    assert from_history("seat", schema, history, flat, habit_share=0, min_count=1) == "window"
    assert from_history("seat", schema, history, recent, habit_share=0, min_count=1) == "aisle"


def test_history_needs_a_habit_for_parameters_not_marked_personalized():
    schema = {"type": "string"}
    varied = [past("a", note="x"), past("a", note="y")]
    steady = [past("a", note="x"), past("a", note="x"), past("a", note="y")]
    ones = np.ones
    assert from_history("note", schema, varied, ones(2), habit_share=0.5, min_count=2) is None
    assert from_history("note", schema, steady, ones(3), habit_share=0.5, min_count=2) == "x"


def test_history_values_outside_the_enum_are_ignored():
    schema = {"type": "string", "enum": ["metric", "imperial"]}
    history = [past("a", units="kelvin"), past("a", units="Metric")]
    value = from_history("units", schema, history, np.ones(2), habit_share=0, min_count=1)
    assert value == "metric"


def test_profile_key_matches_parameter_name():
    schema = {"type": "string", "enum": ["metric", "imperial"]}
    assert from_mapping("units", schema, {"preferred_units": "Imperial"}) == "imperial"
    assert from_mapping("units", schema, {"prefs": {"units": "metric"}}) == "metric"
    assert from_mapping("units", schema, {"unit_system": "metric"}) is None
    assert from_mapping("language", {"type": "string"}, {"languages": ["fr"]}) is None
    assert from_mapping("language", {"type": "string"}, {"language": ["fr", "en"]}) == "fr"


def test_profile_then_environment_then_required_defaults():
    tool = make_tool(
        "t",
        "x",
        {},
        units={"type": "string", "enum": ["metric", "imperial"]},
        city={"type": "string"},
        mode={"type": "string", "enum": ["fast", "slow"], "required": True},
        size={"type": "integer", "default": 3, "required": True},
        extra={"type": "integer", "default": 9},
        lang={"type": "string", "enum": ["en", "fr"]},
    )
    out = fill_arguments(tool, "do it", profile={"units": "imperial"}, environment={"city": "Oslo"})
    assert out.values == {"units": "imperial", "city": "Oslo", "mode": "fast", "size": 3}
    assert out.sources == {
        "units": "profile",
        "city": "environment",
        "mode": "default",
        "size": "default",
    }


def test_instruction_beats_history_and_profile():
    tool = make_tool(
        "t", "x", {}, units={"type": "string", "enum": ["metric", "imperial"], "personalized": True}
    )
    out = fill_arguments(
        tool, "in metric please", [past("t", units="imperial")], profile={"units": "imperial"}
    )
    assert out.values == {"units": "metric"}


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("12", {"type": "integer"}, (True, 12)),
        ("1.5", {"type": "integer"}, (False, None)),
        ("1.5", {"type": "number"}, (True, 1.5)),
        ("yes", {"type": "boolean"}, (True, True)),
        (True, {"type": "integer"}, (False, None)),
        (7, {"type": "string"}, (True, "7")),
        ("EUR", {"enum": ["usd", "eur"]}, (True, "eur")),
        ("gbp", {"enum": ["usd", "eur"]}, (False, None)),
        ({"a": 1}, {}, (True, {"a": 1})),
    ],
)
def test_coerce(value, schema, expected):
    assert coerce(value, schema) == expected


def test_enum_values_inside_quoted_text_are_not_taken_unless_the_whole_quote():
    tool = make_tool(
        "convert",
        "x",
        {},
        file_name={"type": "string", "required": True},
        target_format={"type": "string", "enum": ["pdf", "odt", "html"], "required": True},
    )
    assert from_instruction(tool, 'I need "invoice.odt" as html.') == {
        "file_name": "invoice.odt",
        "target_format": "html",
    }
    assert from_instruction(tool, 'Make "a.txt" into "pdf"') == {
        "file_name": "a.txt",
        "target_format": "pdf",
    }


def test_optional_enum_parameters_need_an_exact_distinctive_mention():
    tool = make_tool(
        "t",
        "x",
        {},
        symptoms={"type": "string", "required": True},
        language={"type": "string", "enum": ["en", "it", "fr"]},
        units={"type": "string", "enum": ["metric", "imperial"]},
        region={"type": "string", "enum": ["US", "IT"]},
    )
    found = from_instruction(tool, 'I have "a cough"; what could it be, in metric, US?')
    assert found == {"symptoms": "a cough", "units": "metric", "region": "US"}


def test_history_skips_values_the_request_dictated():
    translate = make_tool(
        "translate", "x", {}, language={"type": "string", "enum": ["en", "it"], "required": True}
    )
    weather = make_tool(
        "weather", "y", {}, language={"type": "string", "enum": ["en", "it"], "personalized": True}
    )
    tools = {"translate": translate, "weather": weather}
    history = [past("translate", language="it"), past("translate", language="it")]
    history.append(past("weather", language="en"))
    schema = weather.properties["language"]
    ones = np.ones(3)
    kwargs = {"habit_share": 0.0, "min_count": 1}
    assert from_history("language", schema, history, ones, **kwargs) == "it"
    assert from_history("language", schema, history, ones, tools=tools, **kwargs) == "en"


def test_personalized_enum_parameter_takes_the_one_profile_value_that_fits():
    region = {"type": "string", "enum": ["US", "MX", "ES"]}
    assert enum_from_values(region, {"country": "MX", "language": "es", "age": 30}) == "MX"
    assert enum_from_values(region, {"country": "MX", "home": "US"}) is None
    assert enum_from_values({"type": "string"}, {"country": "MX"}) is None
    tool = make_tool("t", "x", {}, region={**region, "personalized": True}, other=dict(region))
    out = fill_arguments(tool, "go", profile={"country": "ES"})
    assert out.values == {"region": "ES"}
