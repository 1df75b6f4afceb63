from __future__ import annotations

import json

import pytest
from scoring_builders import call, pred, task, tools

from petool.scoring.taxonomy import (
    ERROR_LABELS,
    align_calls,
    classify_error,
    params_correct,
    task_outcome,
    tool_correct,
)

TOOLS = {t.name: t for t in tools()}
ROUTE = call("Maps.Cheap.route", to="Paris", avoid_tolls=True)
ONE = task("one", [ROUTE])
NONE = task("none", [])
MULTI = task("multi", [call("Weather.Now.forecast", city="Paris"), ROUTE])

# one crafted (task, prediction) per label
CASES = {
    "backend_error": (ONE, pred("one", status="backend_error")),
    "invalid_format": (ONE, pred("one", status="parse_error")),
    "missed_call": (ONE, pred("one")),
    "unwarranted_call": (NONE, pred("none", call("Maps.Cheap.route", to="Paris"))),
    "wrong_call_count": (MULTI, pred("multi", ROUTE)),
    "hallucinated_tool": (ONE, pred("one", call("Maps.Made.up", to="Paris", avoid_tolls=True))),
    "preference_mismatch": (
        ONE,
        pred("one", call("Maps.Fancy.route", to="Paris", avoid_tolls=True)),
    ),
    "functionality_mismatch": (ONE, pred("one", call("Weather.Now.forecast", city="Paris"))),
    "wrong_parameters": (ONE, pred("one", call("Maps.Cheap.route", to="Lyon", avoid_tolls=True))),
}


def test_every_label_has_a_case():
    assert set(CASES) == set(ERROR_LABELS)


@pytest.mark.parametrize("label", ERROR_LABELS)
def test_each_label_is_reached(label):
    t, p = CASES[label]
    assert classify_error(t, p, TOOLS) == label
    outcome = task_outcome(t, p, TOOLS)
    assert outcome["error"] == label and not outcome["call_correct"]


def test_missing_prediction_is_invalid_format():
    assert classify_error(ONE, None, TOOLS) == "invalid_format"
    assert classify_error(NONE, None, TOOLS) == "invalid_format"
    assert task_outcome(NONE, None)["status"] == "missing"


@pytest.mark.parametrize("status", ["parse_error", "backend_error"])
def test_failures_are_never_a_correct_abstention(status):
    p = pred("none", status=status)
    assert not tool_correct(NONE, p) and not params_correct(NONE, p)
    assert classify_error(NONE, p) == ("invalid_format" if status == "parse_error" else status)


def test_calls_of_a_failed_prediction_do_not_count():
    p = pred("one", ROUTE, status="parse_error")
    assert not tool_correct(ONE, p)
    assert classify_error(ONE, p) == "invalid_format"


def test_abstention_is_right_for_gold_no_call():
    for p in (pred("none"), pred("none", status="no_call")):
        outcome = task_outcome(NONE, p, TOOLS)
        assert outcome["call_correct"] and outcome["error"] is None
        assert outcome["status"] == "no_call"


def test_correct_calls_have_no_error():
    p = pred("one", call("Maps.Cheap.route", avoid_tolls="true", to=" paris"))
    assert classify_error(ONE, p, TOOLS) is None


def test_parameters_judged_independently_of_tool():
    p = pred("one", call("Maps.Fancy.route", to="Paris", avoid_tolls=True))
    outcome = task_outcome(ONE, p, TOOLS)
    assert not outcome["tool_correct"] and outcome["params_correct"]
    assert not outcome["call_correct"]


def test_first_call_counts_for_one_gold_call():
    right_first = pred("one", ROUTE, call("Food.Order.pizza", size="L"))
    assert task_outcome(ONE, right_first, TOOLS)["call_correct"]
    right_second = pred("one", call("Food.Order.pizza", size="L"), ROUTE)
    assert classify_error(ONE, right_second, TOOLS) == "functionality_mismatch"


def test_hallucination_is_checked_before_parameters_and_preference():
    only_candidates = task("c", [ROUTE], candidates=["Maps.Cheap.route", "Maps.Fancy.route"])
    p = pred("c", call("Weather.Now.forecast", to="Paris", avoid_tolls=True))
    assert classify_error(only_candidates, p, TOOLS) == "hallucinated_tool"


def test_hallucination_without_candidates_uses_the_toolset():
    bare = task("b", [ROUTE], candidates=[])
    made_up = pred("b", call("Nope.tool", to="Paris"))
    assert classify_error(bare, made_up, TOOLS) == "hallucinated_tool"
    # with neither candidates nor tools there is no way to call a tool hallucinated
    assert classify_error(bare, made_up, None) == "functionality_mismatch"


def test_gold_tool_missing_from_candidates_is_not_hallucinated():
    odd = task("o", [ROUTE], candidates=["Maps.Fancy.route"])
    p = pred("o", call("Maps.Cheap.route", to="Lyon", avoid_tolls=True))
    assert classify_error(odd, p, TOOLS) == "wrong_parameters"


def test_preference_from_functionality_text_when_no_group():
    no_group = task("g", [ROUTE], functional_group=[])
    fancy = pred("g", call("Maps.Fancy.route", to="Paris", avoid_tolls=True))
    # same functionality text (casefolded, stripped) as the gold tool
    assert classify_error(no_group, fancy, TOOLS) == "preference_mismatch"
    # without tools nothing says the two do the same job
    assert classify_error(no_group, fancy, None) == "functionality_mismatch"
    weather = pred("g", call("Weather.Now.forecast", city="Paris"))
    assert classify_error(no_group, weather, TOOLS) == "functionality_mismatch"


def test_functional_group_takes_precedence_over_text():
    group = task("g", [ROUTE], functional_group=["Maps.Cheap.route", "Weather.Now.forecast"])
    fancy = pred("g", call("Maps.Fancy.route", to="Paris", avoid_tolls=True))
    assert classify_error(group, fancy, TOOLS) == "functionality_mismatch"
    weather = pred("g", call("Weather.Now.forecast", city="Paris"))
    assert classify_error(group, weather, TOOLS) == "preference_mismatch"


def test_multi_call_gold_is_a_multiset_and_aligned_by_tool():
    reordered = pred("multi", ROUTE, call("Weather.Now.forecast", city="PARIS"))
    outcome = task_outcome(MULTI, reordered, TOOLS)
    assert outcome["tool_correct"] and outcome["params_correct"] and outcome["error"] is None
    assert outcome["gold_arguments"] == 3 and outcome["correct_arguments"] == 3
    wrong_args = pred("multi", ROUTE, call("Weather.Now.forecast", city="Rome"))
    assert classify_error(MULTI, wrong_args, TOOLS) == "wrong_parameters"
    extra = pred("multi", ROUTE, ROUTE, call("Weather.Now.forecast", city="Paris"))
    assert classify_error(MULTI, extra, TOOLS) == "wrong_call_count"
    swapped = pred("multi", ROUTE, call("Food.Order.pizza", city="Paris"))
    assert classify_error(MULTI, swapped, TOOLS) == "functionality_mismatch"
    # the group is about the route: Fancy for the missing Cheap is a preference error ...
    other_route = pred(
        "multi",
        call("Weather.Now.forecast", city="Paris"),
        call("Maps.Fancy.route", to="Paris", avoid_tolls=True),
    )
    assert classify_error(MULTI, other_route, TOOLS) == "preference_mismatch"
    # ... but a second route instead of the forecast is not
    twice = pred("multi", ROUTE, call("Maps.Fancy.route", city="Paris"))
    assert classify_error(MULTI, twice, TOOLS) == "functionality_mismatch"


def test_align_calls_falls_back_to_position():
    gold = [call("A", x=1), call("B", y=2), call("C", z=3)]
    predicted = [call("X", z=3), call("B", y=2), call("Y", x=1)]
    pairs, extras = align_calls(predicted, gold)
    assert [(p.tool if p else None, g.tool) for p, g in pairs] == [
        ("X", "A"),
        ("B", "B"),
        ("Y", "C"),
    ]
    assert extras == []
    pairs, extras = align_calls(predicted[:1], gold)
    assert [p.tool if p else None for p, _ in pairs] == ["X", None, None]
    assert align_calls(predicted, [gold[0]]) == ([(predicted[0], gold[0])], [])


def test_outcome_is_json_able():
    outcome = task_outcome(ONE, CASES["wrong_parameters"][1], TOOLS)
    assert json.loads(json.dumps(outcome)) == outcome
    assert set(outcome) >= {"tool_correct", "params_correct", "call_correct", "error"}
