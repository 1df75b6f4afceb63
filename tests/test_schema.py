from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from petool.schema import Prediction, Task, Tool, ToolCall


def test_task_round_trips_through_json(tiny_suite):
    for task in tiny_suite.tasks:
        again = Task.model_validate_json(task.model_dump_json())
        assert again == task


def test_tool_round_trip_and_schema_check(tiny_suite):
    tool = tiny_suite.tools[0]
    assert Tool.model_validate(json.loads(tool.model_dump_json())) == tool
    assert tool.required == ["amount", "to"]
    with pytest.raises(ValidationError):
        Tool(name="x", parameters={"type": "array"})


def test_without_context_drops_history_profile_environment(tiny_suite):
    task = tiny_suite.tasks[0].model_copy(deep=True)
    task.user.profile = {"language": "fr"}
    task.user.environment = {"weather": "rain"}
    bare = task.without_context()
    assert bare.user.history == [] and bare.user.profile == {} and bare.user.environment == {}
    assert bare.user.history_mode == task.user.history_mode
    assert task.user.history, "the original task is untouched"


def test_gold_alternatives_are_accepted_values():
    call = ToolCall(tool="t", arguments={"city": "Paris"}, alternatives={"city": ["paris, fr"]})
    assert call.accepted_values("city") == ["Paris", "paris, fr"]
    assert call.accepted_values("missing") == []


def test_prediction_round_trip_and_unknown_field_rejected():
    pred = Prediction(id="a", output="x", status="parse_error", error="bad")
    assert Prediction.model_validate_json(pred.model_dump_json()) == pred
    with pytest.raises(ValidationError):
        Prediction.model_validate({"id": "a", "outptu": "typo"})


def test_suite_splits(tiny_suite):
    assert tiny_suite.split_sizes() == {"test": 12}
    assert len(tiny_suite.split("test")) == 12 and tiny_suite.split("train") == []
