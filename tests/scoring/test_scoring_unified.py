from __future__ import annotations

import json
import math

import pytest
from scoring_builders import call, oracle, pred, suite, task, tools

from petool.scoring.taxonomy import ERROR_LABELS
from petool.scoring.unified import history_bin, score_tasks, score_unified

ROUTE = call("Maps.Cheap.route", to="Paris", avoid_tolls=True)
WEATHER = call("Weather.Now.forecast", city="Paris")
TOOLS = {t.name: t for t in tools()}


def mixed_tasks():
    return [
        task("t1", [ROUTE], mode="preferred", history=0),
        task("t2", [WEATHER], mode="rated", history=2, category="Weather"),
        task("t3", [WEATHER, ROUTE], mode="chronological", history=5),
        task("t4", [], mode=None, history=0, history_length=8),
        task("t5", [ROUTE], mode="preferred", history=15, category=""),
        task("t6", [ROUTE], mode="rated", history=30),
    ]


def fractions(group):
    keys = ("tool_accuracy", "parameter_accuracy", "call_accuracy", "argument_accuracy")
    return {k: group[k] for k in keys}


def test_oracle_scores_one_everywhere_with_no_errors():
    tasks = mixed_tasks()
    m = score_unified(suite(tasks), tasks, {t.id: oracle(t) for t in tasks})
    assert m["n"] == 6
    ov = m["overall"]
    assert fractions(ov) == dict.fromkeys(fractions(ov), 1.0)
    assert ov["argument_precision"] == 1.0 and ov["argument_f1"] == 1.0
    assert ov["abstention"] == {"n": 1, "accuracy": 1.0, "false_abstention_rate": 0.0}
    assert (ov["missing"], ov["parse_errors"], ov["backend_errors"], ov["no_calls"]) == (0, 0, 0, 1)
    assert m["errors"] == dict.fromkeys(ERROR_LABELS, 0)
    assert m["error_rates"] == dict.fromkeys(ERROR_LABELS, 0.0)
    for group in (*m["by_mode"].values(), *m["by_history_length"].values()):
        assert fractions(group)["tool_accuracy"] == 1.0
        assert group["parameter_accuracy"] == 1.0 and group["call_accuracy"] == 1.0


def test_breakdown_keys_bins_and_order():
    tasks = mixed_tasks()
    m = score_unified(suite(tasks), tasks, {t.id: oracle(t) for t in tasks})
    assert list(m["by_mode"]) == ["preferred", "rated", "chronological", "none"]
    assert [m["by_mode"][k]["n"] for k in m["by_mode"]] == [2, 2, 1, 1]
    # t4 has no history but meta.history_length = 8, which wins over len(history)
    assert list(m["by_history_length"]) == ["0", "1-3", "4-6", "7-10", "11-20", "21+"]
    assert [g["n"] for g in m["by_history_length"].values()] == [1, 1, 1, 1, 1, 1]
    assert {k: g["n"] for k, g in m["by_category"].items()} == {
        "Travel": 4,
        "Weather": 1,
        "none": 1,
    }
    assert set(m["errors_by_mode"]) == set(m["by_mode"])
    assert all(set(e) == set(ERROR_LABELS) for e in m["errors_by_mode"].values())


def test_empty_groups_are_left_out():
    tasks = [task("a", [ROUTE], mode="rated", history=2), task("b", [ROUTE], mode="rated")]
    m = score_tasks(tasks, {t.id: oracle(t) for t in tasks}, TOOLS)
    assert list(m["by_mode"]) == ["rated"]
    assert list(m["by_history_length"]) == ["1-3"]
    assert list(m["by_category"]) == ["Travel"]


@pytest.mark.parametrize(
    ("length", "key"),
    [
        (0, "0"),
        (1, "1-3"),
        (3, "1-3"),
        (4, "4-6"),
        (6, "4-6"),
        (7, "7-10"),
        (10, "7-10"),
        (11, "11-20"),
        (20, "11-20"),
        (21, "21+"),
        (500, "21+"),
    ],
)
def test_history_bins(length, key):
    assert history_bin(length) == key


def test_parse_errors_are_never_abstentions():
    tasks = [task(f"n{i}", []) for i in range(3)] + [task("c", [ROUTE])]
    preds = {f"n{i}": pred(f"n{i}", status="parse_error") for i in range(3)}
    preds["c"] = pred("c", status="backend_error")
    m = score_tasks(tasks, preds, TOOLS)
    ov = m["overall"]
    assert ov["tool_accuracy"] == 0.0 and ov["parameter_accuracy"] == 0.0
    assert ov["abstention"]["accuracy"] == 0.0 and ov["no_calls"] == 0
    assert ov["parse_errors"] == 3 and ov["backend_errors"] == 1
    assert m["errors"]["invalid_format"] == 3 and m["errors"]["backend_error"] == 1
    assert m["by_mode"]["preferred"]["parse_errors"] == 3


def test_missing_predictions_are_counted_and_wrong():
    tasks = mixed_tasks()
    preds = {t.id: oracle(t) for t in tasks[:4]}
    preds["not-a-task"] = pred("not-a-task", ROUTE)  # ignored: not among the scored tasks
    m = score_tasks(tasks, preds, TOOLS)
    assert m["n"] == 6 and m["overall"]["missing"] == 2
    assert m["overall"]["tool_accuracy"] == pytest.approx(4 / 6)
    assert m["errors"]["invalid_format"] == 2
    assert m["error_rates"]["invalid_format"] == pytest.approx(2 / 6)
    nothing = score_tasks(tasks, {}, TOOLS)
    assert nothing["overall"]["missing"] == 6 and nothing["overall"]["tool_accuracy"] == 0.0
    assert nothing["overall"]["abstention"]["accuracy"] == 0.0  # missing is no abstention


def test_hand_computed_argument_precision_and_recall():
    tasks = [
        task("a", [ROUTE]),
        task("b", [call("Weather.Now.forecast", city="Rome")]),
        task("c", [WEATHER, ROUTE]),
        task("d", []),
    ]
    preds = {
        # 1 of 2 gold arguments right; 1 of 3 predicted arguments right
        "a": pred("a", call("Maps.Cheap.route", to="paris", avoid_tolls=False, speed=3)),
        # 0 of 1 gold, nothing predicted
        "b": pred("b", status="parse_error"),
        # aligned by tool: 3 of 3 gold right; 3 of 4 predicted right (the pizza is extra)
        "c": pred("c", ROUTE, WEATHER, call("Food.Order.pizza", size="L")),
        # gold is no call: its arguments count nowhere
        "d": pred("d", call("Maps.Cheap.route", to="x")),
    }
    m = score_tasks(tasks, preds, TOOLS)
    ov = m["overall"]
    assert ov["gold_arguments"] == 6 and ov["predicted_arguments"] == 7
    assert ov["argument_accuracy"] == pytest.approx(4 / 6)
    assert ov["argument_precision"] == pytest.approx(4 / 7)
    assert ov["argument_f1"] == pytest.approx(8 / 13)
    assert ov["tool_accuracy"] == pytest.approx(1 / 4)
    assert ov["parameter_accuracy"] == 0.0 and ov["call_accuracy"] == 0.0
    assert ov["abstention"] == {"n": 1, "accuracy": 0.0, "false_abstention_rate": 0.0}
    expected = dict.fromkeys(ERROR_LABELS, 0)
    expected.update(wrong_parameters=1, invalid_format=1, wrong_call_count=1, unwarranted_call=1)
    assert m["errors"] == expected


def test_false_abstention_rate_and_ok_without_calls():
    tasks = [task("a", [ROUTE]), task("b", [ROUTE]), task("n", [])]
    preds = {"a": pred("a"), "b": pred("b", ROUTE), "n": pred("n", status="ok")}
    m = score_tasks(tasks, preds, TOOLS)
    ab = m["overall"]["abstention"]
    assert ab == {"n": 1, "accuracy": 1.0, "false_abstention_rate": 0.5}
    assert m["overall"]["no_calls"] == 2 and m["errors"]["missed_call"] == 1


def test_zero_denominators_are_null_not_zero():
    tasks = [task("a", [call("Maps.Cheap.route")])]  # a call without arguments
    m = score_tasks(tasks, {"a": pred("a", call("Maps.Cheap.route"))}, TOOLS)
    ov = m["overall"]
    assert ov["argument_accuracy"] is None and ov["argument_precision"] is None
    assert ov["argument_f1"] is None
    assert ov["abstention"]["accuracy"] is None
    empty = score_tasks([], {}, TOOLS)
    assert empty["n"] == 0 and empty["overall"]["tool_accuracy"] is None
    assert empty["by_mode"] == {} and empty["error_rates"]["invalid_format"] is None


def test_output_is_json_serializable_and_fractions_in_range():
    tasks = mixed_tasks()
    preds = {t.id: oracle(t) for t in tasks[::2]}
    preds["t2"] = pred("t2", call("Maps.Fancy.route", to="Paris"))
    m = score_unified(suite(tasks), tasks, preds)
    assert json.loads(json.dumps(m, allow_nan=False)) == m

    def walk(node, path=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, float):
            assert math.isfinite(node)
            if "accuracy" in path or "rate" in path or "precision" in path or "f1" in path:
                assert 0.0 <= node <= 1.0, path

    walk(m)
    for group in (m["overall"], *m["by_mode"].values()):
        assert {"n", "tool_accuracy", "parameter_accuracy"} <= set(group)
        assert group["n"] > 0
