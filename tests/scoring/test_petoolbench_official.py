"""PEToolBench's official scorer: hand-built cases with the numbers worked out by hand from the
rules of ``calculate_scores`` (travis-xu/PEToolBench ``run_experiment.py``): the first regex
match on one line, ``json.loads``, exact tool name, parameters compared with Python ``==``,
parameter accuracy independent of the tool, every entry in the denominator."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from petool.errors import InputError
from petool.parsing import parse_output
from petool.schema import (
    HistoryMode,
    Prediction,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    Tool,
    ToolCall,
    UserContext,
)
from petool.scoring.registry import get_scorer
from petool.suites.petoolbench import (
    extract_answer,
    is_petoolbench_results,
    judge_response,
    paper_numbers,
    read_petoolbench_results,
    score_petoolbench,
    score_petoolbench_results,
)

GOLD_TOOL = "<Finance>.<Cheap FX>.<convert>"
OTHER_PROVIDER = "<Finance>.<Fancy FX>.<convert>"
OTHER_API = "<Finance>.<Cheap FX>.<rates>"
GOLD_PARAMS: dict[str, Any] = {"amount": 10, "to": "EUR", "fast": 1, "tags": ["a", "b"]}
G = '"amount": 10, "to": "EUR", "fast": 1, "tags": ["a", "b"]'

# (name, response, tool right?, parameters right?) — judged by hand with the official rules.
CASES: list[tuple[str, str, bool, bool]] = [
    ("correct", f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}}}', True, True),
    ("compact", f'{{"tool_name":"{GOLD_TOOL}","parameters":{{{G}}}}}', True, True),
    ("wrong provider", f'{{"tool_name": "{OTHER_PROVIDER}", "parameters": {{{G}}}}}', False, True),
    ("wrong api", f'{{"tool_name": "{OTHER_API}", "parameters": {{"base": "USD"}}}}', False, False),
    (
        "tool name case",
        f'{{"tool_name": "{GOLD_TOOL.lower()}", "parameters": {{{G}}}}}',
        False,
        True,
    ),
    (
        "extra parameter",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}, "x": 1}}}}',
        True,
        False,
    ),
    (
        "missing parameter",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10, "to": "EUR", "fast": 1}}}}',
        True,
        False,
    ),
    (
        "value case",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10, "to": "eur", "fast": 1,'
        ' "tags": ["a", "b"]}}',
        True,
        False,
    ),
    (
        "float equal to int",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10.0, "to": "EUR",'
        ' "fast": 1, "tags": ["a", "b"]}}',
        True,
        True,
    ),
    (
        "number within tolerance",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10.0001, "to": "EUR",'
        ' "fast": 1, "tags": ["a", "b"]}}',
        True,
        False,
    ),
    (
        "number as string",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": "10", "to": "EUR",'
        ' "fast": 1, "tags": ["a", "b"]}}',
        True,
        False,
    ),
    (
        "list in another order",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10, "to": "EUR", "fast": 1,'
        ' "tags": ["b", "a"]}}',
        True,
        False,
    ),
    (
        "true equals 1",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10, "to": "EUR",'
        ' "fast": true, "tags": ["a", "b"]}}',
        True,
        True,
    ),
    (
        "boolean as string",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"amount": 10, "to": "EUR",'
        ' "fast": "true", "tags": ["a", "b"]}}',
        True,
        False,
    ),
    ("unparseable", "I would call the currency converter.", False, False),
    ("empty", "", False, False),
    (
        "prose on the same line",
        f'Sure! {{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}}} Hope it helps.',
        True,
        True,
    ),
    (
        "prose on other lines",
        f'Here is the call:\n{{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}}}\nDone.',
        True,
        True,
    ),
    (
        "brace in prose before, same line",
        f'Using {{x}}: {{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}}}',
        False,
        False,
    ),
    (
        "code fence",
        f'```json\n{{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}}}\n```',
        True,
        True,
    ),
    (
        "pretty-printed over lines",
        json.dumps({"tool_name": GOLD_TOOL, "parameters": GOLD_PARAMS}, indent=2),
        False,
        False,
    ),
    (
        "single quotes",
        str({"tool_name": GOLD_TOOL, "parameters": GOLD_PARAMS}),
        False,
        False,
    ),
    (
        "keys in another order",
        f'{{"parameters": {{{G}}}, "tool_name": "{GOLD_TOOL}"}}',
        False,
        False,
    ),
    (
        "extra key after parameters",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}, "why": "cheap"}}',
        False,
        False,
    ),
    (
        "first of two lines counts",
        f'{{"tool_name": "{OTHER_API}", "parameters": {{}}}}\n'
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{{G}}}}}',
        False,
        False,
    ),
    (
        "parameters as a string",
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": "{{}}"}}',
        False,
        False,
    ),
]

NESTED_GOLD: dict[str, Any] = {"q": "x", "filter": {"lang": "en"}}
NESTED_FIRST: dict[str, Any] = {"filter": {"lang": "en"}, "q": "x"}
# (name, gold parameters, response, tool right?, parameters right?)
NESTED_CASES: list[tuple[str, dict[str, Any], str, bool, bool]] = [
    (
        "nested object last: cut at the first }}",
        NESTED_GOLD,
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"q": "x", "filter": {{"lang": "en"}}}}}}',
        False,
        False,
    ),
    (
        "nested object not last",
        NESTED_FIRST,
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"filter": {{"lang": "en"}}, "q": "x"}}}}',
        True,
        True,
    ),
    (
        "}} inside a string value",
        {"q": "a}}b"},
        f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"q": "a}}}}b"}}}}',
        False,
        False,
    ),
]


def _task(task_id: str, params: dict[str, Any], mode: HistoryMode = "rated") -> Task:
    return Task(
        id=task_id,
        instruction="convert 10 dollars to euros",
        user=UserContext(user_id=task_id, history_mode=mode),
        candidates=[GOLD_TOOL, OTHER_PROVIDER, OTHER_API],
        gold=[ToolCall(tool=GOLD_TOOL, arguments=params)],
        meta=TaskMeta(functional_group=[GOLD_TOOL, OTHER_PROVIDER]),
    )


def _suite(tasks: list[Task]) -> Suite:
    tools = [Tool(name=n) for n in (GOLD_TOOL, OTHER_PROVIDER, OTHER_API)]
    return Suite(info=SuiteInfo(name="ptb-mini", scorer="petoolbench"), tools=tools, tasks=tasks)


def _prediction(task_id: str, output: str) -> Prediction:
    parsed = parse_output(output)
    return Prediction(id=task_id, output=output, status=parsed.status, calls=parsed.calls)


@pytest.mark.parametrize(("name", "response", "tool_ok", "params_ok"), CASES)
def test_each_case_is_judged_as_the_official_rules_say(
    name: str, response: str, tool_ok: bool, params_ok: bool
) -> None:
    judged = judge_response(response, GOLD_TOOL, GOLD_PARAMS)
    assert (judged.tool_correct, judged.params_correct) == (tool_ok, params_ok), name


@pytest.mark.parametrize(("name", "gold", "response", "tool_ok", "params_ok"), NESTED_CASES)
def test_nested_parameter_objects(
    name: str, gold: dict[str, Any], response: str, tool_ok: bool, params_ok: bool
) -> None:
    judged = judge_response(response, GOLD_TOOL, gold)
    assert (judged.tool_correct, judged.params_correct) == (tool_ok, params_ok), name


def test_extraction_reasons() -> None:
    assert extract_answer("")[1] == "empty"
    assert extract_answer(None)[1] == "empty"
    assert extract_answer("no json here")[1] == "no_match"
    bad = f'{{"tool_name": "{GOLD_TOOL}", "parameters": {{"a": 1,}}}}'
    assert extract_answer(bad)[1] == "invalid_json"
    answer, how = extract_answer(CASES[0][1])
    assert how == "ok" and answer == {"tool_name": GOLD_TOOL, "parameters": GOLD_PARAMS}


def test_scorer_over_all_cases_matches_hand_counts() -> None:
    tasks = [_task(f"t{i}", GOLD_PARAMS) for i in range(len(CASES))]
    preds = {t.id: _prediction(t.id, c[1]) for t, c in zip(tasks, CASES, strict=True)}
    out = get_scorer("petoolbench")(_suite(tasks), tasks, preds)
    n = len(CASES)
    # counted by hand from the table: tools right in 14 cases, parameters right in 9
    assert (n, sum(c[2] for c in CASES), sum(c[3] for c in CASES)) == (26, 14, 9)
    assert out["n"] == n
    assert out["tool_accuracy"] == pytest.approx(14 / 26)
    assert out["parameter_accuracy"] == pytest.approx(9 / 26)
    assert out["by_mode"]["rated"]["n"] == 26
    assert out["overall"] == {"n": 26, "tool_accuracy": 14 / 26, "parameter_accuracy": 9 / 26}
    assert out["extraction"]["empty"] == 1
    assert out["unified"]["n"] == 26
    assert set(out["errors"]) >= {"preference_mismatch", "functionality_mismatch"}


def test_parameter_accuracy_is_independent_of_the_tool() -> None:
    tasks = [_task("a", GOLD_PARAMS)]
    response = f'{{"tool_name": "{OTHER_PROVIDER}", "parameters": {{{G}}}}}'
    out = score_petoolbench(_suite(tasks), tasks, {"a": _prediction("a", response)})
    assert (out["tool_accuracy"], out["parameter_accuracy"]) == (0.0, 1.0)
    assert out["errors"]["preference_mismatch"] == 1


def test_per_mode_numbers_and_missing_predictions_in_the_denominator() -> None:
    right = CASES[0][1]
    wrong_tool = CASES[2][1]
    tasks = [
        _task("1:preferred", GOLD_PARAMS, "preferred"),
        _task("2:preferred", GOLD_PARAMS, "preferred"),
        _task("1:rated", GOLD_PARAMS, "rated"),
        _task("2:rated", GOLD_PARAMS, "rated"),
        _task("1:chronological", GOLD_PARAMS, "chronological"),
        _task("2:chronological", GOLD_PARAMS, "chronological"),
    ]
    preds = {
        "1:preferred": _prediction("1:preferred", right),
        "2:preferred": _prediction("2:preferred", wrong_tool),
        "1:rated": _prediction("1:rated", right),
        # 2:rated has no prediction: wrong, but counted
        "1:chronological": _prediction("1:chronological", ""),
        "2:chronological": Prediction(
            id="2:chronological", output=right, status="backend_error", error="timeout"
        ),
    }
    out = score_petoolbench(_suite(tasks), tasks, preds)
    by_mode = out["by_mode"]
    assert list(by_mode) == ["preferred", "rated", "chronological"]
    assert (by_mode["preferred"]["tool_accuracy"], by_mode["preferred"]["parameter_accuracy"]) == (
        0.5,
        1.0,
    )
    assert (by_mode["rated"]["tool_accuracy"], by_mode["rated"]["parameter_accuracy"]) == (0.5, 0.5)
    assert by_mode["rated"]["extraction"]["missing"] == 1
    assert by_mode["chronological"]["tool_accuracy"] == 0.0
    assert out["n"] == 6
    assert out["tool_accuracy"] == pytest.approx(2 / 6)
    assert out["parameter_accuracy"] == pytest.approx(3 / 6)


def _write_results(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(items, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


def _native_items() -> list[dict[str, Any]]:
    gold = {"tool_name": GOLD_TOOL, "parameters": GOLD_PARAMS}
    return [
        {
            "query": "q",
            "api_call_ground_truth": gold,
            "response": response,
            "entry_id": 100 + i,
            "history_length": 5,
        }
        for i, (_, response, _, _) in enumerate(CASES)
    ]


def test_native_results_scored_alone_match_the_official_numbers(tmp_path: Path) -> None:
    path = _write_results(tmp_path / "r_gpt-4o.json", _native_items())
    out = score_petoolbench_results(path)
    assert out["mode"] == "rated"
    assert out["n"] == 26
    assert out["tool_accuracy"] == pytest.approx(14 / 26)
    assert out["parameter_accuracy"] == pytest.approx(9 / 26)
    assert out["by_mode"]["rated"]["n"] == 26


def test_native_results_through_a_suite_give_the_same_numbers(tmp_path: Path) -> None:
    path = _write_results(tmp_path / "c_model.json", _native_items())
    preds = read_petoolbench_results(path)
    assert [p.id for p in preds][:2] == ["100:chronological", "101:chronological"]
    assert preds[0].status == "ok" and preds[0].calls[0].tool == GOLD_TOOL
    tasks = [_task(p.id, GOLD_PARAMS, "chronological") for p in preds]
    out = score_petoolbench(_suite(tasks), tasks, {p.id: p for p in preds})
    alone = score_petoolbench_results(path, "c")
    assert out["tool_accuracy"] == alone["tool_accuracy"]
    assert out["parameter_accuracy"] == alone["parameter_accuracy"]


def test_native_results_in_a_zip_and_a_null_response(tmp_path: Path) -> None:
    items = _native_items()[:2]
    items[1]["response"] = None
    inner = json.dumps(items)
    path = tmp_path / "p_model.json.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("p_model.json", inner)
    assert is_petoolbench_results(path)
    preds = read_petoolbench_results(path)
    assert preds[1].output == "" and preds[1].status == "parse_error"
    assert score_petoolbench_results(path)["tool_accuracy"] == 0.5


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[{"entry_id": 1, "response": "x"', "not valid JSON"),
        ('{"entry_id": 1}', "got a JSON dict"),
        ("[]", "empty"),
        ('[{"response": "x"}]', "field 'entry_id' is missing"),
        ('[{"entry_id": 1}]', "field 'response' is missing"),
        ('[{"entry_id": 1, "response": 5}]', "field 'response': expected a string"),
        ('[{"entry_id": 1, "response": "a"}, {"entry_id": 1, "response": "b"}]', "twice"),
        ("[3]", "expected an object"),
    ],
)
def test_malformed_results_file_is_one_clear_line(
    tmp_path: Path, content: str, needle: str
) -> None:
    path = tmp_path / "r_model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_petoolbench_results(path)
    message = str(info.value)
    assert str(path) in message and needle in message and "\n" not in message


def test_results_without_gold_or_mode(tmp_path: Path) -> None:
    path = _write_results(tmp_path / "model.json", [{"entry_id": 1, "response": "x"}])
    with pytest.raises(InputError, match="pass --mode"):
        read_petoolbench_results(path)
    with pytest.raises(InputError, match="api_call_ground_truth"):
        score_petoolbench_results(path)
    assert len(read_petoolbench_results(path, "r")) == 1
    with pytest.raises(InputError, match="unknown PEToolBench mode"):
        read_petoolbench_results(path, "x")
    assert not is_petoolbench_results(tmp_path / "missing.json")


def test_paper_numbers() -> None:
    numbers = paper_numbers()
    rated = numbers["results"]
    assert rated["GPT-4o"]["rated"] == {"tool_accuracy": 0.457, "parameter_accuracy": 0.796}
    assert rated["PEToolLLaMA"]["rated"] == {"tool_accuracy": 0.784, "parameter_accuracy": 0.897}
    assert "2502.18980" in numbers["source"]
    numbers["results"].clear()
    assert paper_numbers()["results"]  # a fresh copy each time


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "{",
                "}",
                '"tool_name":',
                '"parameters":',
                '"',
                ",",
                " ",
                "\n",
                "a",
                "}}",
                ": ",
                '{"x": 1}',
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_the_linear_search_finds_what_the_official_pattern_finds(text):
    from petool.suites.petoolbench.scorer import OFFICIAL_PATTERN, official_search

    expected = OFFICIAL_PATTERN.search(text)
    found = official_search(text)
    assert (found and found.span()) == (expected and expected.span())


def test_a_megabyte_of_braces_is_judged():  # the official regex alone runs for minutes
    from petool.suites.petoolbench import judge_response

    judgement = judge_response("{" * 1_000_000 + '"tool_name": "a"', "a", {})
    assert judgement.extraction == "no_match"
    line = '{"tool_name": "a", "parameters": {}}'
    assert judge_response("{" * 100_000 + "\n" + line, "a", {}).tool_correct
