"""The demo catalog, the seeded demo generator, and the shipped demo suite."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from petool.schema import HISTORY_MODES, Suite, Task, Tool
from petool.suites.demo import DEMO_DIR
from petool.suites.directory import load_suite_dir
from petool.suites.registry import load_suite
from petool.synth.demo import DemoConfig, generate_demo_suite, main
from petool.synth.demo_catalog import (
    ATTRIBUTES,
    Catalog,
    FunctionalGroup,
    goodness,
    load_catalog,
    utilities,
    validate_arguments,
)
from petool.synth.demo_users import MARGIN, habits

FILES = ("suite.json", "tools.jsonl", "tasks.jsonl")
SMALL = DemoConfig(test_per_mode=9, train_per_mode=6)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def shipped() -> Suite:
    return load_suite_dir(DEMO_DIR)


@pytest.fixture(scope="module")
def groups_by_tool(catalog: Catalog) -> dict[str, FunctionalGroup]:
    return catalog.group_of()


def _extra(t: Task) -> dict[str, Any]:
    """The task's extra metadata (group id, preference weights, ...)."""
    return t.meta.model_extra or {}


def _best(weights: dict[str, float], group: FunctionalGroup) -> tuple[str, float]:
    """The utility-maximizing member and its margin over the runner-up."""
    util = utilities(weights, goodness(group.tools))
    order = sorted(range(len(util)), key=lambda i: -util[i])
    return group.tools[order[0]].name, util[order[0]] - util[order[1]]


# --------------------------------------------------------------------------- generator


def test_regenerating_seed_0_gives_the_shipped_bytes(tmp_path: Path) -> None:
    generate_demo_suite(tmp_path, seed=0)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_another_seed_gives_other_tasks_same_tools(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_demo_suite(a, seed=1, config=SMALL)
    generate_demo_suite(b, seed=2, config=SMALL)
    generate_demo_suite(c, seed=1, config=SMALL)
    assert (a / "tasks.jsonl").read_bytes() != (b / "tasks.jsonl").read_bytes()
    assert (a / "tasks.jsonl").read_bytes() == (c / "tasks.jsonl").read_bytes()
    assert (a / "tools.jsonl").read_bytes() == (b / "tools.jsonl").read_bytes()


def test_cli_writes_a_loadable_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    args = ["--out", str(out), "--seed", "5", "--test-per-mode", "4", "--train-per-mode", "2"]
    assert main(args) == 0
    suite = load_suite_dir(out)
    assert suite.split_sizes() == {"test": 12, "train": 6}
    assert "165 tools" in capsys.readouterr().out


def test_generate_without_out_dir_returns_the_suite(tmp_path: Path) -> None:
    suite = generate_demo_suite(None, seed=3, config=SMALL)
    assert len(suite.tasks) == 3 * (SMALL.test_per_mode + SMALL.train_per_mode)
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- catalog


def test_catalog_size(catalog: Catalog) -> None:
    assert len(catalog.tools) >= 120
    assert len(catalog.categories) >= 12
    assert len({t.name for t in catalog.tools}) == len(catalog.tools)
    assert all(2 <= len(g.tools) <= 5 for g in catalog.groups)


def _attribute_types_ok(attrs: dict[str, Any]) -> bool:
    return (
        set(attrs) == set(ATTRIBUTES)
        and isinstance(attrs["cost_per_call_usd"], float | int)
        and attrs["cost_per_call_usd"] >= 0
        and isinstance(attrs["latency_ms"], int)
        and attrs["latency_ms"] > 0
        and 0 <= attrs["accuracy"] <= 1
        and isinstance(attrs["ads"], bool)
        and attrs["privacy"] in ("low", "medium", "high")
        and isinstance(attrs["coverage"], int)
        and isinstance(attrs["rate_limit_per_min"], int)
    )


def test_groups_share_functionality_and_differ_in_attributes(catalog: Catalog) -> None:
    for g in catalog.groups:
        assert len({t.functionality for t in g.tools}) == 1
        assert len({repr(t.parameters) for t in g.tools}) == 1
        assert len({repr(sorted(t.attributes.items())) for t in g.tools}) == len(g.tools)
        assert all(_attribute_types_ok(t.attributes) for t in g.tools), g.id
        for t in g.tools:
            assert t.name == f"{t.category}.{t.app}.{g.api}"
            assert t.app and t.app in t.description


def test_different_preferences_pick_different_tools(catalog: Catalog) -> None:
    for g in catalog.groups:
        picks = set()
        for attr in ATTRIBUTES:
            weights = dict.fromkeys(ATTRIBUTES, 0.05) | {attr: 1.0}
            picks.add(_best(weights, g)[0])
        assert len(picks) == len(g.tools), g.id


def _schema_problems(tool: Tool) -> list[str]:
    schema = tool.parameters
    problems = []
    if schema.get("type") != "object" or not schema.get("properties"):
        problems.append("not an object schema with properties")
    props = tool.properties
    for name in schema.get("required", []):
        if name not in props:
            problems.append(f"required '{name}' has no property")
    for name, spec in props.items():
        if spec.get("type") not in ("string", "integer", "number", "boolean"):
            problems.append(f"'{name}' has no valid type")
        if not spec.get("description"):
            problems.append(f"'{name}' has no description")
        if "enum" in spec and (not spec["enum"] or len(set(spec["enum"])) != len(spec["enum"])):
            problems.append(f"'{name}' has an empty or repeating enum")
        if "default" in spec and validate_arguments(tool, {name: spec["default"]}) != [
            f"missing required argument '{r}'" for r in tool.required
        ]:
            problems.append(f"'{name}' has an invalid default")
    if tool.param_roles.required != schema.get("required", []):
        problems.append("param_roles.required differs from the schema")
    for name in tool.param_roles.personalized:
        if name not in props or name in tool.required:
            problems.append(f"personalized '{name}' is not an optional parameter")
    return problems


def test_schemas_are_valid(catalog: Catalog) -> None:
    for tool in catalog.tools:
        assert _schema_problems(tool) == [], tool.name


def test_validate_arguments_catches_bad_calls(catalog: Catalog) -> None:
    tool = next(t for t in catalog.tools if t.name.endswith(".convert_currency"))
    good = {"amount": 10, "from_currency": "USD", "to_currency": "EUR"}
    assert validate_arguments(tool, good) == []
    assert validate_arguments(tool, {"amount": 10, "from_currency": "USD"})
    assert validate_arguments(tool, good | {"to_currency": "XXX"})
    assert validate_arguments(tool, good | {"amount": "ten"})
    assert validate_arguments(tool, good | {"round_to": 9})
    assert validate_arguments(tool, good | {"colour": "red"})


# --------------------------------------------------------------------------- shipped suite


def test_shipped_suite_loads_by_name(shipped: Suite) -> None:
    suite = load_suite("demo")
    assert suite.info.name == "demo" and suite.info.default_split == "test"
    assert suite.info.splits == ["test", "train"]
    assert len(suite.tasks) == len(shipped.tasks)
    assert (DEMO_DIR / "tasks.jsonl").stat().st_size < 6_000_000


def test_split_sizes_and_users(shipped: Suite) -> None:
    test_modes = Counter(t.mode for t in shipped.split("test"))
    assert all(test_modes[m] >= 200 for m in HISTORY_MODES)
    assert len(shipped.split("train")) >= 900
    users = {s: {t.user.user_id for t in shipped.split(s)} for s in ("test", "train")}
    assert not users["test"] & users["train"]
    for t in shipped.tasks:
        assert re.fullmatch(rf"demo-{t.meta.split}-\d{{5}}", t.id)


def test_gold_is_the_preferred_member(
    shipped: Suite, groups_by_tool: dict[str, FunctionalGroup]
) -> None:
    for t in shipped.tasks:
        assert len(t.gold) == 1
        gold = t.gold[0]
        group = groups_by_tool[gold.tool]
        best, margin = _best(_extra(t)["preference_weights"], group)
        assert gold.tool == best == t.meta.preferred_tool, t.id
        assert margin >= MARGIN - 1e-9
        assert gold.app == gold.tool.split(".")[1]
        assert t.meta.functional_group == group.names
        assert t.meta.category == group.category


def test_candidates(shipped: Suite, groups_by_tool: dict[str, FunctionalGroup]) -> None:
    same_category = 0
    for t in shipped.tasks:
        assert len(t.candidates) == 8 == len(set(t.candidates))
        assert set(t.meta.functional_group) <= set(t.candidates)
        others = [c for c in t.candidates if c not in t.meta.functional_group]
        assert all(groups_by_tool[c].id != _extra(t)["group_id"] for c in others)
        same_category += any(c.split(".")[0] == t.meta.category for c in others)
    assert same_category > 0.9 * len(shipped.tasks)


def test_instructions_never_name_tools_or_providers(shipped: Suite, catalog: Catalog) -> None:
    words = [t.app.lower() for t in catalog.tools if t.app] + [g.api for g in catalog.groups]
    for t in shipped.tasks:
        for text in [t.instruction] + [h.instruction for h in t.user.history]:
            low = text.lower()
            assert not [w for w in words if w in low], (t.id, text)


def _expected_text(spec: dict[str, Any], value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    free_text = spec["type"] == "string" and "enum" not in spec and "format" not in spec
    return f'"{value}"' if free_text else str(value)


def _values_in_order(instruction: str, tool: Tool, arguments: dict[str, Any]) -> bool:
    pos = 0
    for name in tool.parameters["required"]:
        text = _expected_text(tool.properties[name], arguments[name])
        at = instruction.find(text, pos)
        if at < 0:
            return False
        pos = at + len(text)
    return True


def test_calls_are_valid_and_values_come_from_the_right_place(shipped: Suite) -> None:
    tools = shipped.tool_index()
    for t in shipped.tasks:
        user_habits = habits(t.user.profile)
        gold = t.gold[0]
        tool = tools[gold.tool]
        assert validate_arguments(tool, gold.arguments) == [], t.id
        assert t.meta.query_params == tool.required
        assert t.meta.profile_params == tool.param_roles.personalized
        assert list(gold.arguments) == tool.required + tool.param_roles.personalized
        assert _values_in_order(t.instruction, tool, gold.arguments), t.id
        for name in t.meta.profile_params:
            assert gold.arguments[name] == user_habits[name]
            value = str(gold.arguments[name])
            if not re.fullmatch(r"[a-z]{2}", value):  # "it", "en", "de" are also words
                assert not re.search(rf"\b{re.escape(value)}\b", t.instruction), t.id
        for h in t.user.history:
            htool = tools[h.call.tool]
            assert validate_arguments(htool, h.call.arguments) == [], t.id
            assert _values_in_order(h.instruction, htool, h.call.arguments), t.id
            for name in htool.param_roles.personalized:
                assert h.call.arguments[name] == user_habits[name]


def test_profile_habits_are_visible_in_history(shipped: Suite) -> None:
    shown = total = 0
    for t in shipped.tasks:
        for name in t.meta.profile_params:
            total += 1
            shown += any(name in h.call.arguments for h in t.user.history)
    assert shown > 0.8 * total


def _check_history(t: Task, groups_by_tool: dict[str, FunctionalGroup]) -> None:
    history = t.user.history
    extra = _extra(t)
    assert 3 <= len(history) <= 10 and t.meta.history_length == len(history)
    assert [h.step for h in history] == list(range(len(history)))
    for h in history:
        group = groups_by_tool[h.call.tool]
        weights = extra["preference_weights"]
        if t.mode == "chronological" and h.step < extra["change_step"]:
            weights = extra["old_preference_weights"]
        best = _best(weights, group)[0]
        if t.mode == "rated":
            assert (h.call.tool == best) == (h.rating == 1), t.id
        else:
            assert h.rating is None and h.call.tool == best, t.id
    if t.mode == "rated":
        assert {h.rating for h in history} == {1, -1}
    if t.mode == "chronological":
        assert 1 <= extra["change_step"] <= len(history) - 2


def test_histories_follow_their_mode(
    shipped: Suite, groups_by_tool: dict[str, FunctionalGroup]
) -> None:
    in_target = changed = 0
    other_group_calls = all_calls = 0
    for t in shipped.tasks:
        _check_history(t, groups_by_tool)
        target = _extra(t)["group_id"]
        hits = [groups_by_tool[h.call.tool].id == target for h in t.user.history]
        assert _extra(t)["target_in_history"] == any(hits)
        in_target += any(hits)
        other_group_calls += hits.count(False)
        all_calls += len(hits)
        if t.mode == "chronological":
            changed += _extra(t)["old_preferred_tool"] != t.gold[0].tool
    assert 0.15 < in_target / len(shipped.tasks) < 0.35
    assert other_group_calls > 0.9 * all_calls
    n_chrono = sum(t.mode == "chronological" for t in shipped.tasks)
    assert changed > 0.8 * n_chrono


def test_history_lengths_vary(shipped: Suite) -> None:
    lengths = Counter(len(t.user.history) for t in shipped.tasks)
    assert set(lengths) == set(range(3, 11))
