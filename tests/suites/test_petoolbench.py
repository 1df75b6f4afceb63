"""The PEToolBench adapter on the real 40-entry sample, per-mode and zipped layouts, bad files
and the LLaMA-Factory training files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from petool.backends.oracle import gold_answer_text
from petool.errors import DataMissingError, InputError
from petool.parsing import parse_output
from petool.prompts.registry import render_messages
from petool.schema import HistoryMode, Prediction, Suite
from petool.suites.petoolbench import (
    detect_mode,
    load_petoolbench,
    parse_prompt,
    read_llamafactory_file,
    score_petoolbench,
    task_id,
)
from petool.suites.registry import load_suite

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "petoolbench"
SAMPLE = DATA / "user_entries_test_sample.json"
FULL = DATA / "user_entries_test.json.zip"
KEYS = {"p": "instruction_preferred", "r": "instruction_ratings", "c": "instruction_chronological"}
MODES: dict[str, HistoryMode] = {"p": "preferred", "r": "rated", "c": "chronological"}

needs_sample = pytest.mark.skipif(not SAMPLE.is_file(), reason=f"{SAMPLE} is not there")


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} is not there")
    data: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def suite(entries: list[dict[str, Any]]) -> Suite:
    return load_petoolbench(SAMPLE)


def _oracle(suite: Suite) -> dict[str, Prediction]:
    out = {}
    for t in suite.tasks:
        text = gold_answer_text(t)
        parsed = parse_output(text, tool_names=t.candidates)
        out[t.id] = Prediction(id=t.id, output=text, status=parsed.status, calls=parsed.calls)
    return out


@needs_sample
def test_sample_gives_three_tasks_per_entry(suite: Suite, entries: list[dict[str, Any]]) -> None:
    assert len(suite.tasks) == 3 * len(entries) == 120
    first = entries[0]["entry_id"]
    assert [t.id for t in suite.tasks[:3]] == [
        f"{first}:preferred",
        f"{first}:rated",
        f"{first}:chronological",
    ]
    assert suite.info.scorer == "petoolbench" and suite.info.prompt_style == "faithful"
    assert suite.split_sizes() == {"test": 120}


@needs_sample
def test_every_field_is_recovered(suite: Suite, entries: list[dict[str, Any]]) -> None:
    by_id = {t.id: t for t in suite.tasks}
    tools = suite.tool_index()
    for entry in entries:
        specs = json.loads(entry["apis_candidate"])
        gold = entry["api_call_ground_truth"]
        same = [
            f"<{a['category_name']}>.<{a['tool_name']}>.<{a['api_name']}>"
            for a in entry["apis_same_func"]
        ]
        for code, mode in MODES.items():
            t = by_id[task_id(entry["entry_id"], mode)]
            assert t.instruction == entry["query"]
            assert t.system_prompt == entry[KEYS[code]]
            assert t.user.history_mode == mode and t.user.user_id == str(entry["entry_id"])
            assert t.candidates == [s["tool_name"] for s in specs]
            assert len(t.gold) == 1 and t.gold[0].tool == gold["tool_name"]
            assert t.gold[0].arguments == gold["parameters"] and t.gold[0].app is None
            assert t.meta.split == "test"
            assert t.meta.history_length == entry["history_length"]
            assert t.meta.functional_group == same and gold["tool_name"] in same
            assert t.meta.preferred_tool == gold["tool_name"]
            assert t.meta.category == gold["tool_name"][1:].split(">.<")[0]
            native = t.meta.model_dump()["native"]
            assert native["entry_id"] == entry["entry_id"] and native["mode_code"] == code
            assert native["func"] == entry["func"]
            for spec in specs:
                tool = tools[spec["tool_name"]]
                assert tool.description == spec["tool_description"]
                assert tool.required == [p["name"] for p in spec["required_parameters"]]
                names = [p["name"] for p in spec["required_parameters"]]
                names += [p["name"] for p in spec["optional_parameters"]]
                assert list(tool.properties) == list(dict.fromkeys(names))
            assert render_messages(t, tools, style="unified")  # every candidate is a tool


@needs_sample
def test_histories_keep_ratings_and_order(suite: Suite, entries: list[dict[str, Any]]) -> None:
    entry = entries[0]
    by_id = {t.id: t for t in suite.tasks}
    for code, mode in MODES.items():
        raw = json.loads(
            entry[KEYS[code]]
            .split("Interaction history is:\n", 1)[1]
            .split("\n\nAvailable tools", 1)[0]
        )
        history = by_id[task_id(entry["entry_id"], mode)].user.history
        assert [h.step for h in history] == list(range(len(raw)))
        assert [h.instruction for h in history] == [r["instruction"] for r in raw]
        assert [h.call.tool for h in history] == [r["tool_call"]["tool_name"] for r in raw]
        assert [h.call.arguments for h in history] == [r["tool_call"]["parameters"] for r in raw]
        if mode == "rated":
            assert [h.rating for h in history] == [1 if r["rating"] == 1 else -1 for r in raw]
            assert {h.rating for h in history} == {1, -1}
        else:
            assert all(h.rating is None for h in history)
    chrono = by_id[task_id(entry["entry_id"], "chronological")].user.history
    assert chrono[0].instruction == "I want to get the order details for an order with ID 5."
    assert chrono[0].call.app == "PrivatePublicAPI"
    rated = by_id[task_id(entry["entry_id"], "rated")].user.history
    assert rated[1].instruction == "I want to get the details of a pet with pet ID 12345."
    assert rated[1].rating == -1


@needs_sample
def test_oracle_scores_one_in_every_mode_on_the_sample(suite: Suite) -> None:
    out = score_petoolbench(suite, suite.tasks, _oracle(suite))
    assert out["tool_accuracy"] == out["parameter_accuracy"] == 1.0
    for mode in MODES.values():
        block = out["by_mode"][mode]
        assert (block["n"], block["tool_accuracy"], block["parameter_accuracy"]) == (40, 1.0, 1.0)
    assert out["unified"]["overall"]["call_accuracy"] == 1.0


@needs_sample
def test_prompt_helpers(entries: list[dict[str, Any]]) -> None:
    for code, mode in MODES.items():
        text = entries[3][KEYS[code]]
        assert detect_mode(text) == mode
        parts = parse_prompt(text)
        assert [c["tool_name"] for c in parts.candidates] == [
            s["tool_name"] for s in json.loads(entries[3]["apis_candidate"])
        ]
    with pytest.raises(ValueError, match="marker"):
        parse_prompt("no history here")


def _subset(entries: list[dict[str, Any]], code: str, n: int = 3) -> list[dict[str, Any]]:
    drop = {k for c, k in KEYS.items() if c != code}
    return [{k: v for k, v in e.items() if k not in drop} for e in entries[:n]]


@needs_sample
def test_per_mode_files_plain_and_zipped(tmp_path: Path, entries: list[dict[str, Any]]) -> None:
    folder = tmp_path / "dataset_test"
    folder.mkdir()
    (folder / "user_entries_test_p.json").write_text(json.dumps(_subset(entries, "p")))
    with zipfile.ZipFile(folder / "user_entries_test_r.json.zip", "w") as archive:
        archive.writestr("user_entries_test_r.json", json.dumps(_subset(entries, "r")))
        archive.writestr("__MACOSX/._user_entries_test_r.json", "junk")
    suite = load_petoolbench(tmp_path)
    assert [t.id.split(":")[1] for t in suite.tasks] == ["preferred", "rated"] * 3
    assert suite.info.model_dump()["modes"] == ["preferred", "rated"]


@needs_sample
def test_combined_zip_is_found_and_preferred(tmp_path: Path, entries: list[dict[str, Any]]) -> None:
    with zipfile.ZipFile(tmp_path / "user_entries_test.json.zip", "w") as archive:
        archive.writestr("user_entries_test.json", json.dumps(entries[:2]))
    (tmp_path / "user_entries_test_p.json").write_text(json.dumps(_subset(entries, "p", 1)))
    suite = load_suite("petoolbench", data=tmp_path)
    assert len(suite.tasks) == 6


def _one_line_error(exc: pytest.ExceptionInfo[InputError], *needles: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message


@needs_sample
def test_truncated_file_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "user_entries_test.json"
    path.write_text(SAMPLE.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_petoolbench(tmp_path)
    _one_line_error(exc, str(path), "not valid JSON", "petool data fetch petoolbench")


def test_truncated_zip_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "user_entries_test.json.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("user_entries_test.json", "[]" * 1000)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InputError) as exc:
        load_petoolbench(tmp_path)
    _one_line_error(exc, str(path), "zip", "petool data fetch petoolbench")


def test_missing_data_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError) as exc:
        load_petoolbench(tmp_path / "nowhere")
    _one_line_error(exc, "nowhere", "petool data fetch petoolbench")


@needs_sample
@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (lambda e: e.pop("query"), ("entry 1", "field 'query'")),
        (lambda e: e.update(api_call_ground_truth={"tool_name": "x"}), ("api_call_ground_truth",)),
        (lambda e: e.update(history_length="many"), ("history_length",)),
        (
            lambda e: e.update(
                instruction_ratings=e["instruction_ratings"].replace('"rating": 1', '"rating": 5')
            ),
            ("instruction_ratings", "rating"),
        ),
        (
            lambda e: e.update(instruction_preferred="Interaction history is:\n[{"),
            ("instruction_preferred", "does not decode"),
        ),
        (lambda e: e.update(apis_candidate="[]"), ("differs from 'apis_candidate'",)),
        (lambda e: e.update(apis_same_func=[{"api_name": "x"}]), ("apis_same_func",)),
        (lambda e: e.update(entry_id=None), ("entry_id",)),
    ],
)
def test_malformed_entry_names_file_entry_and_field(
    tmp_path: Path, entries: list[dict[str, Any]], change: Any, needles: tuple[str, ...]
) -> None:
    broken = json.loads(json.dumps(entries[:2]))
    change(broken[1])
    path = tmp_path / "user_entries_test.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_petoolbench(tmp_path)
    _one_line_error(exc, str(path), *needles)


@needs_sample
def test_repeated_entry_id_is_refused(tmp_path: Path, entries: list[dict[str, Any]]) -> None:
    path = tmp_path / "user_entries_test.json"
    path.write_text(json.dumps([entries[0], entries[0]]), encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        load_petoolbench(path)


@needs_sample
def test_llamafactory_files(tmp_path: Path, entries: list[dict[str, Any]]) -> None:
    sft = [
        {
            "instruction": e["instruction_ratings"],
            "input": e["query"],
            "output": json.dumps(e["api_call_ground_truth"]),
        }
        for e in entries[:3]
    ]
    dpo = [
        {**{k: r[k] for k in ("instruction", "input")}, "chosen": "a", "rejected": "b"} for r in sft
    ]
    (tmp_path / "user_entries_sft_r.json").write_text(json.dumps(sft))
    (tmp_path / "dpo.json").write_text(json.dumps(dpo))
    rows = read_llamafactory_file(tmp_path / "user_entries_sft_r.json")
    assert [r["kind"] for r in rows] == ["sft"] * 3 and rows[0]["mode"] == "rated"
    assert parse_prompt(rows[0]["instruction"]).history  # same template as the test prompts
    assert json.loads(rows[0]["output"]) == entries[0]["api_call_ground_truth"]
    rows = read_llamafactory_file(tmp_path / "dpo.json")
    assert rows[2]["kind"] == "dpo" and rows[2]["mode"] is None and rows[2]["rejected"] == "b"


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ('[{"instruction": "i", "input": "q"}]', ("row 0", "field 'output' is missing")),
        ('[{"instruction": "i", "input": "q", "output": 3}]', ("row 0", "expected a string")),
        (
            '[{"instruction": "i", "input": "q", "output": "o"},'
            ' {"instruction": "i", "input": "q", "chosen": "a", "rejected": "b"}]',
            ("row 1", "dpo row in a file of sft rows"),
        ),
        ('{"instruction": "i"}', ("expected a JSON list",)),
        ('[{"instruction": "i", "input": "q", "chosen": "a"}]', ("field 'rejected' is missing",)),
        ('[{"instruction": "i",', ("not valid JSON",)),
        ("[]", ("no rows",)),
    ],
)
def test_llamafactory_errors(tmp_path: Path, content: str, needles: tuple[str, ...]) -> None:
    path = tmp_path / "train.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_llamafactory_file(path)
    _one_line_error(exc, str(path), *needles)


@pytest.mark.slow
@pytest.mark.skipif(not FULL.is_file(), reason=f"{FULL} is not there")
def test_oracle_scores_one_on_the_whole_test_set() -> None:
    suite = load_petoolbench(DATA)
    assert len(suite.tasks) == 3000
    out = score_petoolbench(suite, suite.tasks, _oracle(suite))
    for mode in MODES.values():
        block = out["by_mode"][mode]
        assert (block["n"], block["tool_accuracy"], block["parameter_accuracy"]) == (1000, 1.0, 1.0)


@needs_sample
def test_no_data_argument_reads_petools_cache(
    tmp_path: Path, entries: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PETOOL_DATA_DIR", str(tmp_path))
    with pytest.raises(DataMissingError, match="petool data fetch petoolbench"):
        load_petoolbench(None)
    (tmp_path / "petoolbench").mkdir()
    (tmp_path / "petoolbench" / "user_entries_test.json").write_text(json.dumps(entries[:2]))
    assert len(load_petoolbench(None).tasks) == 6
