"""The ``toolspectrum`` scorer on hand-built tasks, every number worked out by hand from the
rules in ``petool.suites.toolspectrum.scorer`` (APP / API accuracy; RP / PP / OP = F1 of
(argument, value) pairs per argument kind, averaged over tasks whose gold has that kind)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from petool.schema import (
    ParamRoles,
    Prediction,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    Tool,
    ToolCall,
)
from petool.scoring.registry import get_scorer
from petool.suites.toolspectrum import (
    ToolIndex,
    pair_f1,
    read_answer,
    score_toolspectrum,
    value_text,
)

ROLES = {
    "buyProduct": ParamRoles(
        required=["productId", "quantity"],
        personalized=["deliverySpeed", "giftWrap"],
        environmental=["mediaQuality", "enableCaptions"],
    ),
    "getProductList": ParamRoles(required=["searchQuery"], personalized=["sortBy"]),
}


def _tool(app: str, api: str) -> Tool:
    roles = ROLES[api]
    names = roles.required + roles.personalized + roles.environmental
    return Tool(
        name=f"{app}.{api}",
        app=app,
        parameters={
            "type": "object",
            "properties": {n: {"type": "string"} for n in names},
            "required": list(roles.required),
        },
        param_roles=roles,
    )


TOOLS = [
    _tool("Tmall", "buyProduct"),
    _tool("Xianyu", "buyProduct"),
    _tool("Tmall", "getProductList"),
]


def _task(task_id: str, gold: tuple[str, str, dict[str, Any]] | None) -> Task:
    scenario = task_id.split(":")[0]
    calls = []
    group: list[str] = []
    if gold is not None:
        calls = [ToolCall(tool=f"{gold[0]}.{gold[1]}", app=gold[0], arguments=gold[2])]
        group = [t.name for t in TOOLS if t.name.endswith(f".{gold[1]}")]
    return Task(
        id=task_id,
        instruction="buy it",
        candidates=[t.name for t in TOOLS],
        gold=calls,
        meta=TaskMeta(split=scenario, category=scenario, functional_group=group, scenario=scenario),
    )


def _answer(app: str | None, api: str | None, params: dict[str, Any] | None) -> str:
    return json.dumps({"APP": app, "API": api, "params": params, "explanation": "because"})


MISSING_COMMA = """{
    "APP": "Tmall",
    "API": "buyProduct",
    "params": {
        "productId": "D",
        "quantity": 1,
        "mediaQuality": "high",
        "enableCaptions": false
    }
    "explanation": "low battery"
}"""

CASES: list[tuple[str, tuple[str, str, dict[str, Any]] | None, Prediction | None]] = [
    # persona
    (
        "persona:0",
        ("Tmall", "buyProduct", {"productId": "A1", "quantity": 2, "deliverySpeed": "fast"}),
        Prediction(
            id="persona:0",
            output=_answer(
                "Tmall",
                "buyProduct",
                {"productId": "a1", "quantity": "2", "deliverySpeed": "slow", "giftWrap": True},
            ),
        ),
    ),
    (
        "persona:1",
        ("Tmall", "buyProduct", {"productId": "B2", "quantity": 1}),
        Prediction(id="persona:1", output=_answer("Xianyu", "buyProduct", {"productId": "B2"})),
    ),
    (
        "persona:2",
        ("Tmall", "getProductList", {"searchQuery": "shoes", "sortBy": "price"}),
        Prediction(id="persona:2", output="I think Tmall is best here."),
    ),
    (
        "persona:3",
        (
            "Xianyu",
            "buyProduct",
            {"productId": "C", "quantity": 3, "deliverySpeed": "Fast", "giftWrap": "True"},
        ),
        Prediction(
            id="persona:3",
            output=json.dumps(
                {
                    "tool_name": "Xianyu.buyProduct",
                    "parameters": {
                        "productId": "c",
                        "quantity": 3.0,
                        "deliverySpeed": "FAST",
                        "giftWrap": True,
                    },
                    "app": "Xianyu",
                }
            ),
        ),
    ),
    # environment
    (
        "environment:0",
        (
            "Tmall",
            "buyProduct",
            {"productId": "D", "quantity": 1, "mediaQuality": "low", "enableCaptions": "False"},
        ),
        Prediction(id="environment:0", output=MISSING_COMMA),
    ),
    (
        "environment:1",
        ("Tmall", "getProductList", {"searchQuery": "tv"}),
        Prediction(id="environment:1", output=_answer(None, None, None)),
    ),
    # persona & environment
    (
        "persona_environment:0",
        None,
        Prediction(id="persona_environment:0", output=_answer(None, None, None)),
    ),
    ("persona_environment:1", None, Prediction(id="persona_environment:1", output="")),
    (
        "persona_environment:2",
        None,
        Prediction(
            id="persona_environment:2", output=_answer("Tmall", "buyProduct", {"productId": "X"})
        ),
    ),
    ("persona_environment:3", None, None),
    (
        "persona_environment:4",
        (
            "Xianyu",
            "buyProduct",
            {"productId": "E", "quantity": 1, "deliverySpeed": "slow", "mediaQuality": "low"},
        ),
        Prediction(
            id="persona_environment:4",
            output="Here is the call:\n```json\n"
            + _answer(
                "Xianyu",
                "buyProduct",
                {"productId": "E", "quantity": 1, "deliverySpeed": "slow", "mediaQuality": "low"},
            )
            + "\n```\nThe user prefers slow delivery.",
        ),
    ),
    (
        "persona_environment:5",
        ("Xianyu", "buyProduct", {"productId": "F", "quantity": 2, "enableCaptions": "True"}),
        Prediction(id="persona_environment:5", output="", status="backend_error", error="HTTP 500"),
    ),
]


@pytest.fixture(scope="module")
def scored() -> dict[str, Any]:
    tasks = [_task(task_id, gold) for task_id, gold, _ in CASES]
    preds = {task_id: p for task_id, _, p in CASES if p is not None}
    suite = Suite(info=SuiteInfo(name="ts-mini", scorer="toolspectrum"), tools=TOOLS, tasks=tasks)
    return score_toolspectrum(suite, tasks, preds)


def test_persona_scenario_by_hand(scored: dict[str, Any]) -> None:
    persona = scored["by_scenario"]["persona"]
    assert persona["n"] == 4
    assert persona["APP"] == pytest.approx(2 / 4)  # tasks 0 and 3
    assert persona["API"] == pytest.approx(3 / 4)  # wrong app, right API still counts (task 1)
    # RP: 1 (case-insensitive, "2" == 2) + 2/3 (one of two gold pairs) + 0 (parse error) + 1
    assert persona["RP"] == pytest.approx((1 + 2 / 3 + 0 + 1) / 4)
    # PP: only tasks 0, 2, 3 have a personalized gold argument: 0 + 0 + 1 (True == "True")
    assert persona["PP"] == pytest.approx(1 / 3)
    assert persona["PP_n"] == 3 and persona["RP_n"] == 4
    assert "OP" not in persona
    assert persona["parse_errors"] == 1


def test_environment_scenario_by_hand(scored: dict[str, Any]) -> None:
    env = scored["by_scenario"]["environment"]
    assert env["n"] == 2
    assert env["APP"] == pytest.approx(1 / 2)  # the missing-comma answer is read; no-call is not
    assert env["API"] == pytest.approx(1 / 2)
    assert env["RP"] == pytest.approx((1 + 0) / 2)
    # OP: task 0 only: {(mediaQuality, high), (enableCaptions, false)} vs
    # {(mediaQuality, low), (enableCaptions, false)} -> 2 * 1 / (2 + 2)
    assert env["OP"] == pytest.approx(0.5)
    assert env["OP_n"] == 1
    assert "PP" not in env
    assert env["no_calls"] == 1 and env["parse_errors"] == 0


def test_persona_environment_by_hand(scored: dict[str, Any]) -> None:
    both = scored["by_scenario"]["persona_environment"]
    assert both["n"] == 6
    assert both["no_call_gold"] == 4
    # Only task 0 (explicit null answer) and task 4 (right call) are right: an empty output
    # (parse error), a call, a missing prediction never match a null gold.
    assert both["APP"] == pytest.approx(2 / 6)
    assert both["API"] == pytest.approx(2 / 6)
    assert both["RP"] == pytest.approx((1 + 0) / 2)  # task 5 failed in the backend
    assert both["PP"] == pytest.approx(1.0)  # only task 4 has a personalized gold argument
    assert both["OP"] == pytest.approx((1 + 0) / 2)
    assert (both["parse_errors"], both["backend_errors"], both["missing"]) == (1, 1, 1)


def test_unified_block_from_the_same_reading(scored: dict[str, Any]) -> None:
    assert scored["unified"]["n"] == 12
    assert scored["n"] == 12 and scored["overall"] == scored["unified"]["overall"]
    # The faithful {"APP", "API"} answers count as the qualified tool in the unified metrics:
    # right tool in persona 0 and 3, environment 0, persona_environment 4; plus the one
    # correct abstention (persona_environment 0).
    assert scored["overall"]["tool_accuracy"] == pytest.approx(5 / 12)
    assert scored["overall"]["parse_errors"] == 2
    assert scored["errors"]["preference_mismatch"] == 1  # Xianyu instead of Tmall


def test_scenario_order_and_registry() -> None:
    assert get_scorer("toolspectrum") is score_toolspectrum


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (True, "True", True),
        ("true", "TRUE", True),
        (False, "false", True),
        (5.0, 5, True),
        ("5", 5, True),
        (1.5, "1.5", True),
        (["a", "b"], ["A", "B"], True),
        (["a", "b"], ["b", "a"], False),
        ("Fast", "fast ", False),
        (None, "None", True),
    ],
)
def test_value_text(a: Any, b: Any, equal: bool) -> None:
    assert (value_text(a) == value_text(b)) is equal


def test_pair_f1_restricted_to_the_kind() -> None:
    names = {"a", "b"}
    assert pair_f1({"a": 1, "b": 2, "z": 9}, {"a": 1, "b": 3}, names) == pytest.approx(0.5)
    assert pair_f1({}, {"a": 1}, names) == 0.0
    assert pair_f1({"a": "X"}, {"a": "x", "b": 2}, names) == pytest.approx(2 / 3)


def test_read_answer_resolution() -> None:
    index = ToolIndex(TOOLS)

    def read(output: str) -> tuple[str, str | None, str | None]:
        answer = read_answer(Prediction(id="t", output=output), index)
        return answer.status, answer.app, answer.api

    assert read(_answer("Tmall", "buyProduct", {})) == ("ok", "Tmall", "buyProduct")
    assert read('{"tool_name": "Xianyu.buyProduct", "parameters": {}}') == (
        "ok",
        "Xianyu",
        "buyProduct",
    )
    # an explicit app wins over the app part of a qualified name
    assert read('{"tool_name": "Xianyu.buyProduct", "app": "Tmall"}') == (
        "ok",
        "Tmall",
        "buyProduct",
    )
    assert read('{"tool_name": null, "parameters": {}}') == ("no_call", None, None)
    assert read("not json at all") == ("parse_error", None, None)
    native = Prediction(
        id="t", output="", calls=[ToolCall(tool="Tmall.getProductList", arguments={})]
    )
    assert read_answer(native, index).api == "getProductList"
    assert read_answer(None, index).status == "missing"
