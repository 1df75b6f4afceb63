"""The PTBench adapter, its prompt style and its native output files, on hand-made fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from petool.backends.oracle import OracleBackend
from petool.errors import DataMissingError, InputError
from petool.prompts.registry import render_messages
from petool.run import evaluate, score
from petool.suites.ptbench import load_ptbench, paper_numbers, read_generation, score_ptbench
from petool.suites.ptbench.native import is_ptbench_generation, read_ptbench_generation
from petool.suites.ptbench.prompt import PROMPT_TEMPLATE, render_answer
from petool.suites.ptbench.tools import extract_tools, platform_names
from petool.suites.registry import load_suite

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ptbench"
UNTRAINED = FIXTURES / "test_untrained_user" / "data.json"


def _records(path: Path = UNTRAINED) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return records


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "ptbench"
    shutil.copytree(FIXTURES, target)
    return target


def test_loads_both_splits() -> None:
    import petool.suites.ptbench  # noqa: F401 - registers the suite until the registry lists it

    suite = load_suite("ptbench", FIXTURES)
    assert suite.info.scorer == "ptbench" and suite.info.prompt_style == "ptbench"
    assert suite.info.splits == ["untrained_user", "trained_user"]
    assert suite.info.default_split == "all"
    assert len(suite.split("all")) == 7
    assert suite.split_sizes() == {"untrained_user": 4, "trained_user": 3}
    assert [t.id for t in suite.split("trained_user")] == [f"trained_user:{i}" for i in range(3)]


def test_task_mapping() -> None:
    suite = load_ptbench(FIXTURES)
    task = suite.tasks[1]
    record = _records()[1]
    assert task.instruction == record["query"]
    assert task.meta.split == "untrained_user" and task.meta.category == "UberEats"
    assert task.meta.query_params == ["restaurant", "item"]
    assert task.meta.profile_params == ["delivery_address"]
    extra = task.meta.model_extra or {}
    assert extra["index"] == 1 and extra["native"]["answer"] == record["answer"]
    assert task.user.profile == record["user_profile"]
    assert task.user.user_id == suite.tasks[0].user.user_id  # same profile, same user
    assert task.user.user_id != suite.tasks[2].user.user_id
    [gold] = task.gold
    assert gold.tool == "UberEats.order_food" and gold.app == "UberEats"
    assert gold.arguments == {
        "restaurant": "KFC",
        "item": "hamburger",
        "delivery_address": "Springfield General Hospital",
    }
    assert gold.alternatives == {"delivery_address": ["Springfield General Hospital, Main St"]}
    assert task.candidates == ["UberEats.order_food", "DoorDash.order_food", "Grubhub.order_food"]


def test_several_calls_and_list_values() -> None:
    suite = load_ptbench(FIXTURES)
    travel, music = suite.tasks[2], suite.tasks[3]
    assert [c.tool for c in travel.gold] == ["Expedia.search_flights", "Expedia.book_hotel"]
    assert travel.gold[1].arguments == {"city": "Chicago", "check_in": "2025-06-01", "nights": 2}
    assert music.gold[0].arguments["genres"] == ["jazz", "lo-fi"]
    assert music.gold[0].alternatives == {"genres": [["lo-fi"]]}


def test_tools_are_qualified_and_described() -> None:
    suite = load_ptbench(FIXTURES)
    tools = suite.tool_index()
    assert len(tools) == 21  # 3 platforms x (2 shopping + 1 food + 2 travel + 1 music + 1 work)
    tool = tools["Walmart.search_products"]
    assert tool.app == "Walmart" and tool.description == "Search the catalogue."
    assert tool.properties["max_price"]["type"] == "number"
    assert tool.required == ["keyword"]


def test_system_prompt_is_ptbench_own() -> None:
    suite = load_ptbench(FIXTURES)
    task = suite.tasks[0]
    record = _records()[0]
    expected = PROMPT_TEMPLATE.format(
        profile=record["user_profile"],
        platforms=record["platforms"],
        tools=record["tools"],
        format="platform:[func1(param1_name = param1_value, param2...), func2...]",
    )
    assert task.system_prompt == expected
    assert expected.startswith("You are given a user profile:{'basic_features': {'name': 'Lily")
    assert "DO NOT ask the user for further information. \nYou should respond" in expected
    messages = render_messages(task, suite.tool_index(), style="ptbench")
    assert messages == [
        {"role": "system", "content": expected},
        {"role": "user", "content": record["query"]},
    ]


def test_prompt_without_context_drops_the_profile() -> None:
    suite = load_ptbench(FIXTURES)
    task = suite.tasks[0].without_context()
    system = render_messages(task, suite.tool_index(), style="ptbench")[0]["content"]
    assert system.startswith("You are given a user profile:{}. \nHere is some platforms:{'Amazon'")
    assert "Lily" not in system


def test_prompt_style_on_a_task_of_another_suite() -> None:
    suite = load_ptbench(FIXTURES)
    task = suite.tasks[0].model_copy(
        update={
            "system_prompt": None,
            "meta": suite.tasks[0].meta.model_copy(update={"native": {}}),
        }
    )
    system = render_messages(task, suite.tool_index(), style="ptbench")[0]["content"]
    assert "Here is some platforms:['Amazon', 'Walmart', 'Target']" in system
    assert "'name': 'search_products'" in system


@pytest.mark.parametrize(
    ("tools", "platforms", "names"),
    [
        ({"A": [{"name": "f", "parameters": {"x": "the x"}}]}, ["A"], ["A.f"]),
        ({"A": {"f": {"description": "d"}, "g": {"params": ["x"]}}}, {"A": "a"}, ["A.f", "A.g"]),
        (
            [{"platform": "A", "api_name": "f"}, {"app": "B", "name": "g"}],
            ["A", "B"],
            ["A.f", "B.g"],
        ),
        (
            [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "parameters": {"type": "object", "properties": {"x": {"type": "string"}}},
                    },
                }
            ],
            ["A"],
            ["A.f"],
        ),
        (json.dumps({"A": [{"name": "f"}]}), '["A"]', ["A.f"]),
        ({"f": {"description": "d"}}, ["A"], ["A.f"]),
        ([{"name": "f"}], ["A", "B"], []),  # no way to tell the platform
        ("a free text listing of APIs", ["A"], []),
        (None, None, []),
    ],
)
def test_tool_shapes(tools: Any, platforms: Any, names: list[str]) -> None:
    assert [t.name for t in extract_tools(tools, platforms)] == names


def test_tool_parameters_from_a_list() -> None:
    spec = {"A": [{"name": "f", "parameters": [{"name": "x", "type": "string", "required": True}]}]}
    [tool] = extract_tools(spec, ["A"])
    assert tool.properties == {"x": {"type": "string", "required": True}}
    assert tool.required == ["x"]
    assert platform_names([{"name": "A"}, "B", 3]) == ["A", "B"]


def test_gold_functions_missing_from_tools_are_added(data_dir: Path) -> None:
    path = data_dir / "test_trained_user" / "data.json"
    records = _records(path)
    records[0]["tools"] = "a free text listing of APIs"
    records[0]["platforms"] = "Amazon, Walmart"
    path.write_text(json.dumps(records), encoding="utf-8")
    suite = load_ptbench(data_dir)
    task = suite.split("trained_user")[0]
    assert task.candidates == ["Amazon.add_to_cart"]
    tool = suite.tool_index()["Amazon.add_to_cart"]
    assert tool.description == "Put a product in the cart."  # defined by other records


def test_data_one_folder_below(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "PTBench-main")
    assert len(load_ptbench(tmp_path).tasks) == 7


def test_missing_file_names_it_and_the_command(data_dir: Path) -> None:
    (data_dir / "test_trained_user" / "data.json").unlink()
    (data_dir / "test_untrained_user" / "data.json").unlink()  # one alone is enough to load
    with pytest.raises(DataMissingError) as err:
        load_ptbench(data_dir)
    message = str(err.value)
    assert "test_untrained_user/data.json" in message and "petool data fetch ptbench" in message
    assert "\n" not in message


def test_truncated_file(data_dir: Path) -> None:
    path = data_dir / "test_untrained_user" / "data.json"
    path.write_text(path.read_text(encoding="utf-8")[:500], encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_ptbench(data_dir)
    message = str(err.value)
    assert str(path) in message and "invalid JSON" in message
    assert "petool data fetch ptbench" in message and "\n" not in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(answer=["Walmart"]), "answer"),
        (lambda r: r.update(answer=["Walmart", {"f": {}}]), "answer"),
        (lambda r: r.update(answer=["Walmart", [{}]]), "answer.1.0"),
        (lambda r: r.update(answer=["Walmart", [{"f": ["x"]}]]), "answer.1.0.f"),
        (lambda r: r.pop("query_params"), "query_params"),
        (lambda r: r.update(profile_params="address"), "profile_params"),
        (lambda r: r.update(query=None), "query"),
    ],
)
def test_malformed_record(data_dir: Path, change: Any, field: str) -> None:
    path = data_dir / "test_untrained_user" / "data.json"
    records = _records(path)
    change(records[2])
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_ptbench(data_dir)
    assert f"{path}: record 2: field '{field}'" in str(err.value)
    assert "petool data fetch ptbench" in str(err.value)


def test_not_a_list(data_dir: Path) -> None:
    path = data_dir / "test_untrained_user" / "data.json"
    path.write_text('{"records": []}', encoding="utf-8")
    with pytest.raises(InputError, match="expected a JSON list of PTBench records"):
        load_ptbench(data_dir)


def test_paper_numbers_shape() -> None:
    numbers = paper_numbers()
    assert numbers["group_key"] == "by_split" and numbers["scale"] == "fraction"
    assert numbers["results"] == {}  # Table 2 not recorded yet (see the docstring)
    assert "overall" in numbers["metrics"]


# ---------------------------------------------------------------- generation.jsonl


def _write_generation(folder: Path, records: list[dict[str, Any]], outputs: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "generation.jsonl"
    lines = [
        json.dumps({"query": r["query"], "label": r["answer"], "predict": o})
        for r, o in zip(records, outputs, strict=False)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_generation_in_its_split_folder(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    records = _records()
    outputs = [render_answer(t.gold) for t in suite.split("untrained_user")]
    outputs[1] = "I cannot do that."
    path = _write_generation(tmp_path / "test_untrained_user", records, outputs)
    assert is_ptbench_generation(path)
    predictions = read_generation(path, suite.tasks)
    assert [p.id for p in predictions] == [f"untrained_user:{i}" for i in range(4)]
    assert (
        predictions[0].status == "ok" and predictions[0].calls[0].tool == "Walmart.search_products"
    )
    assert predictions[1].status in ("parse_error", "no_call")
    assert predictions[2].output == outputs[2] and len(predictions[2].calls) == 2


def test_generation_split_from_queries(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    records = _records(FIXTURES / "test_trained_user" / "data.json")[:2]
    path = _write_generation(tmp_path, records, ["Amazon:[add_to_cart()]"] * 2)
    predictions, split = read_ptbench_generation(path, suite)
    assert [p.id for p in predictions] == ["trained_user:0", "trained_user:1"]
    assert split == "trained_user"


def test_generation_output_dir_scores_both_splits(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    for split, folder in (
        ("untrained_user", "test_untrained_user"),
        ("trained_user", "test_trained_user"),
    ):
        tasks = suite.split(split)
        _write_generation(
            tmp_path / folder,
            _records(FIXTURES / folder / "data.json"),
            [render_answer(t.gold) for t in tasks],
        )
    assert is_ptbench_generation(tmp_path)
    predictions, split = read_ptbench_generation(tmp_path, suite, "untrained_user")
    assert len(predictions) == 7 and split == "all"
    metrics = score(suite, predictions)  # the suite's default split: all
    assert metrics["split"] == "all" and metrics["overall"] == 1.0
    assert set(metrics["by_split"]) == {"untrained_user", "trained_user", "overall"}
    one = score(suite, predictions, split="trained_user")
    assert one["split"] == "trained_user" and one["n"] == 3
    direct = score_ptbench(suite, suite.split("untrained_user"), {p.id: p for p in predictions})
    assert direct["split"] == "untrained_user" and direct["n"] == 4


def test_generation_wrong_split_or_order(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    records = _records()
    records[0], records[1] = records[1], records[0]
    path = _write_generation(tmp_path / "test_untrained_user", records, ["x", "y"])
    with pytest.raises(InputError) as err:
        read_generation(path, suite.tasks)
    assert f"{path}:1: field 'query'" in str(err.value) and "untrained_user:0" in str(err.value)


def test_generation_too_many_lines(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    records = _records(FIXTURES / "test_trained_user" / "data.json")
    path = _write_generation(tmp_path / "test_trained_user", records + records[:1], ["x"] * 4)
    with pytest.raises(InputError, match=r":4: 4 lines but split 'trained_user' has 3 records"):
        read_generation(path, suite.tasks)


def test_generation_unknown_split(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    path = tmp_path / "generation.jsonl"
    path.write_text(json.dumps({"query": "nothing like it", "label": [], "predict": "x"}) + "\n")
    with pytest.raises(InputError, match="cannot tell which PTBench split"):
        read_generation(path, suite.tasks)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"query": "q", "label": [], "predict": null}', ":1: field 'predict'"),
        ('{"query": "q", "label": []', ":1: invalid JSON"),
        ("[1, 2]", ":1: field 'query'"),
    ],
)
def test_generation_malformed_line(tmp_path: Path, line: str, message: str) -> None:
    suite = load_ptbench(FIXTURES)
    path = tmp_path / "test_untrained_user" / "generation.jsonl"
    path.parent.mkdir()
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_generation(path, suite.tasks)


def test_output_dir_without_generation(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no test_untrained_user"):
        read_generation(tmp_path, [])


# ---------------------------------------------------------------- end to end


def test_oracle_run_scores_one(tmp_path: Path) -> None:
    """``petool eval --suite ptbench --backend oracle``: the unified JSON answers score 1.0."""
    suite = load_ptbench(FIXTURES)
    for split in ("all", "untrained_user", "trained_user"):
        run = evaluate(suite, OracleBackend(), out_dir=tmp_path / split, split=split)
        metrics = run.metrics
        assert metrics["split"] == split
        for key in ("format", "platforms", "tool_names", "tool_param_names", "overall"):
            assert metrics[key] == 1.0, (split, key)
        assert metrics["unified"]["overall"]["tool_accuracy"] == 1.0


def test_ablation_run_scores(tmp_path: Path) -> None:
    suite = load_ptbench(FIXTURES)
    run = evaluate(suite, OracleBackend(), out_dir=tmp_path, no_context=True, limit=2)
    assert run.metrics["overall"] == 1.0


def test_one_split_file_is_enough_for_that_split(data_dir: Path) -> None:
    shutil.rmtree(data_dir / "test_trained_user")
    suite = load_ptbench(data_dir)
    assert suite.info.splits == ["untrained_user"]
    assert {t.meta.split for t in suite.tasks} == {"untrained_user"}
    assert len(suite.split("untrained_user")) == len(_records())
