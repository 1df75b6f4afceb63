"""LLaMA-Factory exports round-trip through PEToolBench's reader; its files train petool."""

from __future__ import annotations

import json

import pytest

from petool.errors import InputError
from petool.prompts import render_answer, render_messages
from petool.suites.directory import export_suite_dir
from petool.suites.petoolbench import read_llamafactory_file
from petool.train.export import export_training_data
from petool.train.llamafactory import examples_from_llamafactory, export_llamafactory, read_examples


def test_export_writes_alpaca_ranking_and_dataset_info(suite, tmp_path):
    tasks = suite.split("train")
    info_path, summary = export_llamafactory(suite, tasks, tmp_path)
    info = json.loads(info_path.read_text())
    assert set(info) == {"trainy_sft", "trainy_dpo"}
    assert info["trainy_sft"]["columns"] == {
        "system": "system",
        "prompt": "instruction",
        "query": "input",
        "response": "output",
    }
    assert info["trainy_dpo"]["ranking"] is True
    assert {"chosen", "rejected"} <= set(info["trainy_dpo"]["columns"])
    assert summary["files"] == {"trainy_sft.json": len(tasks), "trainy_dpo.json": len(tasks)}
    assert summary["dpo_pairs"]["by_kind"]["preference"] == len(tasks)
    for entry in info.values():
        assert (tmp_path / entry["file_name"]).is_file()


def test_export_round_trips_through_the_petoolbench_reader(suite, tmp_path):
    tasks = suite.split("train")
    export_llamafactory(suite, tasks, tmp_path)
    tools = suite.tool_index()
    raw = read_llamafactory_file(tmp_path / "trainy_sft.json")
    assert [r["kind"] for r in raw] == ["sft"] * len(tasks)
    kind, rows = examples_from_llamafactory(tmp_path / "trainy_sft.json")
    assert kind == "sft"
    for row, task in zip(rows, tasks, strict=True):
        assert row["prompt"] == render_messages(task, tools)
        assert row["completion"][0]["content"] == render_answer(task.gold)
    kind, pairs = examples_from_llamafactory(tmp_path / "trainy_dpo.json")
    assert kind == "dpo" and len(pairs) == len(tasks)
    assert all(p["chosen"] != p["rejected"] for p in pairs)


def test_by_mode_files_carry_the_mode_like_petoolbench(suite, tmp_path):
    export_llamafactory(suite, suite.split("train"), tmp_path, kinds=["sft"], by_mode=True)
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert set(info) == {"trainy_sft_p", "trainy_sft_r", "trainy_sft_c"}
    rows = read_llamafactory_file(tmp_path / "trainy_sft_r.json")
    assert {r["mode"] for r in rows} == {"rated"}
    picked = read_examples([tmp_path / "trainy_sft_r.json"], "sft")
    assert {r["mode"] for r in picked} == {"rated"}


def test_petoolbench_rows_become_system_prompt_and_query(tmp_path):
    path = tmp_path / "user_entries_sft_p.json"
    rows = [{"instruction": "SYSTEM PROMPT with history", "input": "the query", "output": "{}"}]
    path.write_text(json.dumps(rows))
    kind, examples = examples_from_llamafactory(path)
    assert kind == "sft" and examples[0]["mode"] == "preferred"
    assert examples[0]["prompt"] == [
        {"role": "system", "content": "SYSTEM PROMPT with history"},
        {"role": "user", "content": "the query"},
    ]


def test_a_pair_whose_chosen_equals_rejected_stops_with_file_and_row(tmp_path):
    path = tmp_path / "user_entries_dpo_c.json"
    good = {"instruction": "s", "input": "q", "chosen": '{"a": 1}', "rejected": '{"a": 2}'}
    bad = {**good, "rejected": good["chosen"]}
    path.write_text(json.dumps([good, bad]))
    with pytest.raises(InputError, match=r"user_entries_dpo_c\.json: row 1.*'rejected' equals"):
        examples_from_llamafactory(path)


def test_a_file_of_the_other_kind_is_refused(suite, tmp_path):
    export_llamafactory(suite, suite.split("train"), tmp_path, kinds=["sft"])
    with pytest.raises(InputError, match="holds sft rows"):
        read_examples([tmp_path / "trainy_sft.json"], "dpo")


def test_trl_export_writes_rows_datasets_reads_back(suite, tmp_path):
    datasets = pytest.importorskip("datasets")
    directory = export_suite_dir(suite, tmp_path / "suite")
    written = export_training_data(suite=str(directory), out=tmp_path / "trl", format="trl")
    assert written == {"sft.jsonl": 8, "dpo.jsonl": 8}
    loaded = datasets.load_dataset("json", data_files=str(tmp_path / "trl" / "dpo.jsonl"))
    row = loaded["train"][0]
    assert row["prompt"][0]["role"] == "system" and row["chosen"] != row["rejected"]
    pairs = json.loads((tmp_path / "trl" / "dpo_pairs.json").read_text())
    assert pairs["by_kind"]["preference"] == 8
