"""Corpus loaders: ToolBench layout, OpenAI functions, ToolSpectrum, tools.jsonl; bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synth_support import TOOLBENCH, tool_file, write_tiny_corpus

from petool.errors import InputError
from petool.io import write_jsonl
from petool.schema import Tool
from petool.synth.cli import main as synth_main
from petool.synth.corpus import load_corpus, name_part

TOOLSPECTRUM_API = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "toolspectrum"
    / "api"
    / "API_description.json"
)


def test_toolbench_layout_names_types_and_examples(tmp_path: Path) -> None:
    corpus = load_corpus(write_tiny_corpus(tmp_path))
    assert corpus.report.format == "toolbench"
    assert corpus.report.files == corpus.report.providers == 12
    tools = {t.name: t for t in corpus.tools}
    assert len(tools) == len(corpus.tools) == 14
    tool = tools["Finance.CoinSwap_Rates.convert_coinswap"]
    assert tool.app == "CoinSwap Rates" and tool.category == "Finance"
    assert tool.description.startswith("Convert an amount")
    assert tool.required == ["amount", "from", "to"]
    assert tool.properties["amount"]["type"] == "number"
    assert tool.properties["from"]["type"] == "string"
    assert corpus.provider_docs["CoinSwap Rates"] == "CoinSwap Rates API"


def test_name_parts_keep_letters_digits_underscore_dash() -> None:
    assert name_part("👋 Demo Project_v12") == "Demo_Project_v12"
    assert name_part("/fuel/data/{city}") == "fuel_data_city"
    assert name_part("   ") == "x"


def test_toolbench_default_becomes_a_typed_example(tmp_path: Path) -> None:
    data = tool_file("FxBridge")
    data["api_list"][0]["required_parameters"][0]["default"] = "25"
    data["api_list"][0]["optional_parameters"] = [
        {"name": "day", "type": "DATE (YYYY-MM-DD)", "description": "", "default": "2024-01-02"},
        {"name": "flag", "type": "BOOLEAN", "description": "", "default": "true"},
    ]
    path = tmp_path / "fx.json"
    path.write_text(json.dumps(data))
    tool = load_corpus(path).tools[0]
    assert tool.properties["amount"]["examples"] == [25]
    assert tool.properties["day"] == {
        "type": "string",
        "format": "date",
        "description": "",
        "examples": ["2024-01-02"],
    }
    assert tool.properties["flag"]["examples"] == [True]


@pytest.mark.skipif(not TOOLBENCH.is_dir(), reason="../shared/data/toolbench is not present")
def test_real_toolbench_corpus_loads_every_api() -> None:
    corpus = load_corpus(TOOLBENCH)
    assert corpus.report.providers == 814 and len(corpus.tools) == 2490
    assert len({t.name for t in corpus.tools}) == 2490
    assert all(t.name.count(".") == 2 for t in corpus.tools)
    assert corpus.report.skipped == []


def test_openai_function_schemas(tmp_path: Path) -> None:
    functions = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
        {
            "name": "convert",
            "description": "Convert money",
            "category": "Finance",
            "app": "Fx",
            "parameters": {"type": "object", "properties": {"amount": {"type": "number"}}},
        },
    ]
    path = tmp_path / "functions.json"
    path.write_text(json.dumps({"tools": functions}))
    corpus = load_corpus(path)
    assert corpus.report.format == "openai"
    assert [t.name for t in corpus.tools] == ["get_weather", "Finance.Fx.convert"]
    assert corpus.tools[0].required == ["city"]


def test_openai_function_without_a_name_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "functions.json"
    path.write_text(json.dumps([{"type": "function", "function": {"description": "x"}}]))
    with pytest.raises(InputError) as err:
        load_corpus(path)
    assert str(err.value) == f"{path}: item 0: field 'name': function without a name"


@pytest.mark.skipif(not TOOLSPECTRUM_API.is_file(), reason="ToolSpectrum data is not present")
def test_toolspectrum_api_description() -> None:
    corpus = load_corpus(TOOLSPECTRUM_API)
    assert corpus.report.format == "toolspectrum"
    assert len(corpus.tools) == 42
    assert all(t.app and t.name.startswith(f"{t.app}.") for t in corpus.tools)


def test_petool_tools_jsonl_and_suite_dir(tmp_path: Path) -> None:
    tools = [Tool(name="A.b.c", app="b", description="d"), Tool(name="A.e.c", app="e")]
    write_jsonl(tmp_path / "tools.jsonl", tools)
    assert [t.name for t in load_corpus(tmp_path / "tools.jsonl").tools] == ["A.b.c", "A.e.c"]
    assert load_corpus(tmp_path).report.format == "petool"


# --------------------------------------------------------------------------- bad files


def _corpus_with(tmp_path: Path, name: str, text: str) -> tuple[Path, Path]:
    root = write_tiny_corpus(tmp_path / "corpus")
    bad = root / "tools" / "Weather" / name
    bad.write_text(text, encoding="utf-8")
    return root, bad


BAD_FILES = [
    ("broken.json", '{"tool_name": "x", "api_list": [', "invalid JSON at column"),
    ("no_api_list.json", json.dumps({"tool_name": "x"}), "field 'api_list': missing"),
    (
        "nameless.json",
        json.dumps(
            {
                "tool_name": "x",
                "api_list": [
                    {"name": "a", "required_parameters": [{"type": "STRING", "description": ""}]}
                ],
            }
        ),
        "field 'api_list.0.required_parameters.0.name': parameter without a name",
    ),
]


@pytest.mark.parametrize(("name", "text", "problem"), BAD_FILES)
def test_bad_file_stops_with_one_line(tmp_path: Path, name: str, text: str, problem: str) -> None:
    root, bad = _corpus_with(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        load_corpus(root)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(bad)) and problem in message


@pytest.mark.parametrize(("name", "text", "problem"), BAD_FILES)
def test_skip_invalid_counts_the_bad_file(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    root, bad = _corpus_with(tmp_path, name, text)
    corpus = load_corpus(root, skip_invalid=True)
    assert len(corpus.tools) == 14
    assert corpus.report.files == 13 and corpus.report.as_dict()["skipped"] == 1
    assert corpus.report.skipped[0].startswith(str(bad)) and problem in corpus.report.skipped[0]


def test_cli_bad_corpus_exit_2_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, bad = _corpus_with(tmp_path, "no_api_list.json", json.dumps({"tool_name": "x"}))
    code = synth_main(["--corpus", str(root), "--out", str(tmp_path / "out"), "--users", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and str(bad) in err.replace("\n", "") and "api_list" in err
    assert not (tmp_path / "out" / "tasks.jsonl").exists()


def test_missing_corpus_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="corpus not found"):
        load_corpus(tmp_path / "nope")
