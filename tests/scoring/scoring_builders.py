"""Small tasks, tools and predictions for the scoring tests, built in code."""

from __future__ import annotations

from typing import Any

from petool.schema import (
    Interaction,
    Prediction,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    Tool,
    ToolCall,
    UserContext,
)

CANDIDATES = ["Maps.Cheap.route", "Maps.Fancy.route", "Weather.Now.forecast", "Food.Order.pizza"]


def tools() -> list[Tool]:
    """Two route tools doing the same job, a weather tool, a food tool."""
    return [
        Tool(name="Maps.Cheap.route", functionality="plan a route"),
        Tool(name="Maps.Fancy.route", functionality="Plan a route "),
        Tool(name="Weather.Now.forecast", functionality="weather forecast"),
        Tool(name="Food.Order.pizza", functionality="order food"),
    ]


def call(tool: str, **arguments: Any) -> ToolCall:
    """A call of ``tool`` with keyword arguments."""
    return ToolCall(tool=tool, arguments=arguments)


def task(
    task_id: str,
    gold: list[ToolCall],
    *,
    mode: str | None = "preferred",
    history: int = 1,
    history_length: int | None = None,
    category: str = "Travel",
    functional_group: list[str] | None = None,
    candidates: list[str] | None = None,
) -> Task:
    """A task whose user has ``history`` past interactions."""
    past = [
        Interaction(instruction=f"past {i}", call=call("Maps.Cheap.route", to="home"), step=i)
        for i in range(history)
    ]
    return Task(
        id=task_id,
        instruction=f"instruction of {task_id}",
        user=UserContext(user_id="u1", history=past, history_mode=mode),  # type: ignore[arg-type]
        candidates=list(CANDIDATES) if candidates is None else candidates,
        gold=gold,
        meta=TaskMeta(
            category=category,
            history_length=history_length,
            functional_group=(
                ["Maps.Cheap.route", "Maps.Fancy.route"]
                if functional_group is None
                else functional_group
            ),
        ),
    )


def pred(task_id: str, *calls: ToolCall, status: str = "ok") -> Prediction:
    """A prediction with ``calls`` (status no_call when there are none, unless given)."""
    if not calls and status == "ok":
        status = "no_call"
    return Prediction(id=task_id, status=status, calls=list(calls))  # type: ignore[arg-type]


def oracle(t: Task) -> Prediction:
    """The gold answer of a task as a prediction."""
    return pred(t.id, *[c.model_copy() for c in t.gold])


def suite(tasks: list[Task]) -> Suite:
    """A suite of :func:`tools` and ``tasks``."""
    return Suite(info=SuiteInfo(name="scoring-test"), tools=tools(), tasks=tasks)
