"""SFT and DPO rows: TRL's conversational shapes, prompts as evaluation renders them."""

from __future__ import annotations

import json

import pytest
from train_helpers import CONVERT, FORECAST, OTHER

from petool.errors import InputError
from petool.parsing import parse_output
from petool.prompts import render_answer, render_messages
from petool.schema import Suite
from petool.train.datasets import dpo_rows, rejections, sft_rows, to_dataset


def _train(suite: Suite):
    return suite.split("train")


def test_sft_rows_are_prompt_completion_rendered_as_evaluation_renders(suite):
    tasks = _train(suite)
    rows = sft_rows(suite, tasks)
    assert len(rows) == len(tasks)
    for row, task in zip(rows, tasks, strict=True):
        assert set(row) == {"id", "prompt", "completion"}
        assert row["id"] == task.id
        assert row["prompt"] == render_messages(task, suite.tool_index(), style="unified")
        assert row["completion"] == [{"role": "assistant", "content": render_answer(task.gold)}]
        parsed = parse_output(row["completion"][0]["content"])
        assert parsed.status == "ok"
        assert [(c.tool, c.arguments) for c in parsed.calls] == [
            (g.tool, g.arguments) for g in task.gold
        ]


def test_sft_messages_shape_is_one_conversation(suite):
    rows = sft_rows(suite, _train(suite)[:2], sft_format="messages")
    assert set(rows[0]) == {"id", "messages"}
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant"]


def test_no_call_gold_becomes_the_no_call_answer(suite):
    task = _train(suite)[0].model_copy(update={"gold": []})
    row = sft_rows(suite, [task])[0]
    assert parse_output(row["completion"][0]["content"]).status == "no_call"


def test_datasets_holds_trl_conversational_rows(suite):
    pytest.importorskip("datasets")
    from trl.data_utils import is_conversational

    sft = to_dataset(sft_rows(suite, _train(suite)))
    assert set(sft.column_names) == {"id", "prompt", "completion"}
    assert is_conversational(sft[0])
    pairs, _ = dpo_rows(suite, _train(suite))
    dpo = to_dataset(pairs)
    assert {"prompt", "chosen", "rejected"} <= set(dpo.column_names)
    assert is_conversational(dpo[0])
    assert dpo[0]["chosen"] == pairs[0]["chosen"]


def test_native_rows_have_per_row_tools_as_a_json_string(suite):
    task = _train(suite)[0]
    row = sft_rows(suite, [task], tool_calling="native")[0]
    assert row["prompt"] == render_messages(task, suite.tool_index(), style="unified_native")
    assert isinstance(row["tools"], str)
    functions = json.loads(row["tools"])
    assert [f["function"]["name"] for f in functions] == task.candidates
    (call,) = row["completion"][0]["tool_calls"]
    assert call["function"]["name"] == task.gold[0].tool
    assert json.loads(call["function"]["arguments"]) == task.gold[0].arguments
    pairs, _ = dpo_rows(suite, [task], tool_calling="native")
    assert isinstance(pairs[0]["tools"], str)
    rejected = pairs[0]["rejected"][0]["tool_calls"][0]["function"]["name"]
    assert rejected != task.gold[0].tool


def test_paper_pairs_reject_the_same_call_on_a_non_preferred_equal_tool(suite):
    tasks = _train(suite)
    rows, summary = dpo_rows(suite, tasks)
    assert len(rows) == len(tasks) == summary.pairs == summary.by_kind["preference"]
    by_id = {t.id: t for t in tasks}
    for row in rows:
        task = by_id[row["id"]]
        assert row["rejection"] == "preference"
        assert row["chosen"] != row["rejected"]
        chosen = parse_output(row["chosen"][0]["content"]).calls[0]
        rejected = parse_output(row["rejected"][0]["content"]).calls[0]
        assert chosen.tool == task.meta.preferred_tool
        assert rejected.tool in task.meta.functional_group
        assert rejected.tool != task.meta.preferred_tool
        assert rejected.arguments == chosen.arguments


def test_mix_draws_every_kind_and_records_it(suite):
    tasks = _train(suite)
    mix = {"preference": 1.0, "functionality": 1.0, "parameters": 1.0}
    rows, summary = dpo_rows(suite, tasks, mix=mix, pairs_per_task=3, seed=1)
    assert summary.mix == mix and summary.pairs == len(rows) == 3 * len(tasks)
    assert all(n > 0 for n in summary.by_kind.values())
    assert sum(summary.by_kind.values()) == len(rows)
    by_id = {t.id: t for t in tasks}
    per_task: dict[str, set[str]] = {}
    for row in rows:
        task = by_id[row["id"]]
        rejected = parse_output(row["rejected"][0]["content"]).calls[0]
        per_task.setdefault(row["id"], set()).add(row["rejected"][0]["content"])
        if row["rejection"] == "functionality":
            assert rejected.tool not in task.meta.functional_group
        elif row["rejection"] == "parameters":
            assert rejected.tool == task.gold[0].tool
            assert rejected.arguments != task.gold[0].arguments
    assert all(len(texts) == 3 for texts in per_task.values())  # distinct rejections


def test_pairs_depend_only_on_seed_and_task(suite):
    tasks = _train(suite)
    mix = {"preference": 1.0, "functionality": 1.0}
    first, _ = dpo_rows(suite, tasks, mix=mix, seed=3)
    again, _ = dpo_rows(suite, list(reversed(tasks)), mix=mix, seed=3)
    assert sorted(map(json.dumps, first)) == sorted(map(json.dumps, again))
    kinds = {
        seed: [r["rejection"] for r in dpo_rows(suite, tasks, mix=mix, seed=seed)[0]]
        for seed in range(6)
    }
    assert len({tuple(k) for k in kinds.values()}) > 1


def test_wrong_parameter_never_uses_a_value_the_gold_accepts(suite):
    task = next(t for t in _train(suite) if t.gold[0].tool in CONVERT)
    gold = task.gold[0]
    other = "down" if gold.arguments["rounding"] == "up" else "up"
    lenient = gold.model_copy(update={"alternatives": {"rounding": [other]}})
    task = task.model_copy(update={"gold": [lenient]})
    found = rejections(task, suite.tool_index(), "parameters")
    assert found  # the optional parameter is left out instead
    for calls in found:
        assert calls[0].arguments.get("rounding") not in (gold.arguments["rounding"], other)


def test_functionality_rejection_keeps_only_parameters_the_tool_has(suite):
    task = next(t for t in _train(suite) if t.gold[0].tool in FORECAST)
    found = rejections(task, suite.tool_index(), "functionality")
    tools = {calls[0].tool for calls in found}
    assert tools == {*CONVERT, OTHER}
    quote = next(c[0] for c in found if c[0].tool == OTHER)
    assert quote.arguments == {}


def test_no_functional_group_means_no_paper_pair(suite):
    tasks = [
        t.model_copy(update={"meta": t.meta.model_copy(update={"functional_group": []})})
        for t in _train(suite)
    ]
    with pytest.raises(InputError, match="functional_group"):
        dpo_rows(suite, tasks)
    rows, summary = dpo_rows(suite, tasks, mix={"preference": 1.0, "parameters": 1.0})
    assert summary.by_kind["preference"] == 0 and summary.by_kind["parameters"] == len(rows) > 0


def test_no_call_tasks_are_skipped_and_counted(suite):
    tasks = _train(suite)
    tasks[0] = tasks[0].model_copy(update={"gold": []})
    rows, summary = dpo_rows(suite, tasks)
    assert summary.skipped_no_call == 1 and len(rows) == len(tasks) - 1


def test_no_rejection_renders_like_the_chosen_answer(suite):
    tools = suite.tool_index()
    task = _train(suite)[0]
    solo = task.model_copy(
        update={"meta": task.meta.model_copy(update={"functional_group": [task.gold[0].tool]})}
    )
    assert rejections(solo, tools, "preference") == []
    for task in _train(suite):
        chosen = render_answer(task.gold)
        for kind in ("preference", "functionality", "parameters"):
            found = rejections(task, tools, kind)
            assert all(render_answer(calls) != chosen for calls in found)
