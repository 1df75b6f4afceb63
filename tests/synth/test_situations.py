"""``petool synth situations``: ToolSpectrum-style suites from a ToolBench-layout corpus."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from petool.cli import main as petool_main
from petool.schema import Suite, Task
from petool.suites.directory import load_suite_dir
from petool.synth.cli import main as synth_main
from petool.synth.corpus import load_corpus
from petool.synth.situation_policy import POLICIES
from petool.synth.situation_traits import TRAITS, holds
from petool.synth.situations import SCENARIOS, SituationConfig, build_situations

TOOLBENCH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "toolbench"

# category -> [(provider, [(api, description, required params)])]
_CORPUS = {
    "eCommerce": [
        (
            "ShopGrid",
            [
                ("search_products", "Search products by keyword", ["query"]),
                ("product_details", "Get the details of a product", ["product_id"]),
            ],
        ),
        ("MallScout", [("list_deals", "List today's deals in a category", ["category"])]),
        ("CartFinder", [("compare_prices", "Compare the prices of a product", ["query"])]),
    ],
    "Food": [
        ("MenuHub", [("search_restaurants", "Search restaurants near a city", ["city"])]),
        ("RecipeBox", [("find_recipes", "Find recipes that use an ingredient", ["ingredient"])]),
    ],
    "Finance": [
        ("FundLens", [("fund_quote", "Get the latest quote of a fund", ["symbol"])]),
        ("StockPulse", [("stock_history", "Get the price history of a stock", ["symbol"])]),
    ],
    "Health_and_Fitness": [
        ("FitPlan", [("workout_plans", "List workout plans for a goal", ["goal"])]),
        ("CalorieCalc", [("bmi", "Calculate the body mass index", ["weight", "height"])]),
    ],
    "Movies": [
        ("FilmBase", [("search_movies", "Search movies by title", ["title"])]),
        ("ShowTimes", [("showtimes", "Get cinema showtimes in a city", ["city"])]),
    ],
    "News_Media": [
        ("HeadlineFeed", [("top_headlines", "Get the top headlines of a country", ["country"])]),
        ("StoryWire", [("search_articles", "Search news articles by keyword", ["keyword"])]),
    ],
    "Travel": [
        (
            "TrainLine",
            [("train_times", "Get train times between two stations", ["origin", "destination"])],
        ),
        ("StayFinder", [("hotel_search", "Search hotels in a city", ["city"])]),
    ],
    "Education": [
        ("WordWise", [("define_word", "Get the definition of an English word", ["word"])]),
        ("CourseList", [("search_courses", "Search online courses by topic", ["topic"])]),
    ],
    "Transportation": [
        (
            "RideQuote",
            [
                (
                    "fare_estimate",
                    "Estimate a taxi fare between two places",
                    ["origin", "destination"],
                )
            ],
        ),
        ("MetroMap", [("metro_lines", "List the metro lines of a city", ["city"])]),
    ],
    "Tools": [
        ("LinkTiny", [("shorten_url", "Shorten a long URL into a short link", ["url"])]),
        ("QRMaker", [("make_qr", "Generate a QR code for a text", ["text"])]),
        ("PassGen", [("password", "Generate a random password of a given length", ["length"])]),
    ],
}


def _write_corpus(root: Path) -> Path:
    for category, providers in _CORPUS.items():
        folder = root / "tools" / category
        folder.mkdir(parents=True, exist_ok=True)
        for provider, apis in providers:
            data = {
                "tool_name": provider,
                "tool_description": f"{provider} API",
                "category_name": category,
                "api_list": [
                    {
                        "name": api,
                        "description": description,
                        "method": "GET",
                        "required_parameters": [
                            {"name": p, "type": "STRING", "description": f"the {p}", "default": ""}
                            for p in params
                        ],
                        "optional_parameters": [],
                    }
                    for api, description, params in apis
                ],
            }
            (folder / f"{provider.lower()}.json").write_text(json.dumps(data), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def built(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("suite") / "s"
    code = synth_main(
        [
            "situations",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--tasks",
            "600",
            "--seed",
            "3",
            "--families",
            "20",
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def suite(built: Path) -> Suite:
    return load_suite_dir(built)


def _situation(task: Task) -> dict[str, Any]:
    return (task.meta.model_extra or {})["situation"]


def _traits_of(description: str) -> set[str]:
    """The traits an app description states (matched by the app-side phrasings)."""
    return {k for k, t in TRAITS.items() if any(text in description for text in t.app_texts)}


def test_same_seed_same_bytes_other_seed_differs(corpus: Path, built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    args = ["situations", "--corpus", str(corpus), "--tasks", "600", "--families", "20"]
    assert synth_main([*args, "--out", str(again), "--seed", "3"]) == 0
    for name in ("suite.json", "tools.jsonl", "tasks.jsonl", "report.json"):
        assert (again / name).read_bytes() == (built / name).read_bytes(), name
    other = tmp_path / "other"
    assert synth_main([*args, "--out", str(other), "--seed", "4"]) == 0
    assert (other / "tasks.jsonl").read_bytes() != (built / "tasks.jsonl").read_bytes()


def test_valid_suite_with_both_splits_and_scenarios(suite: Suite) -> None:
    assert len(suite.tasks) == 600 and not suite.load_warnings
    assert {t.meta.split for t in suite.tasks} == {"train", "test"}
    assert sum(t.meta.split == "test" for t in suite.tasks) == 120
    assert {t.meta.category for t in suite.tasks} == set(SCENARIOS)
    tools = {t.name: t for t in suite.tools}
    test_tools = {n for t in suite.tasks if t.meta.split == "test" for n in t.candidates}
    train_tools = {n for t in suite.tasks if t.meta.split == "train" for n in t.candidates}
    assert not test_tools & train_tools  # test apps and APIs are unseen in train
    for task in suite.tasks:
        assert len(task.candidates) <= 45
        assert set(task.meta.functional_group) <= set(task.candidates)
        assert task.meta.preferred_tool in task.meta.functional_group
        if task.meta.category == "persona":
            assert task.user.profile and not task.user.environment
        elif task.meta.category == "environment":
            assert task.user.environment and not task.user.profile
        else:
            assert task.user.profile and task.user.environment
        for call in task.gold:
            tool = tools[call.tool]
            assert call.app == tool.app and set(tool.required) <= set(call.arguments)
            assert tool.app not in task.instruction  # the request never names the app
            for name in task.meta.profile_params:
                assert name in tool.param_roles.personalized
            for name in task.meta.environment_params:
                assert name in tool.param_roles.environmental
                assert call.arguments[name] in tool.properties[name]["enum"]


def test_candidates_hold_neighbouring_apps_of_the_same_domain(suite: Suite) -> None:
    family_of: dict[str, str] = {}
    domain_of: dict[str, str] = {}
    for task in suite.tasks:
        situation = _situation(task)
        domain_of[situation["family"]] = situation["domain"]
        for name in task.meta.functional_group:
            family_of[name.split(".", 1)[0]] = situation["family"]
    families = {
        split: {_situation(t)["family"] for t in suite.tasks if t.meta.split == split}
        for split in ("train", "test")
    }
    checked = 0
    for task in suite.tasks:
        own, domain = _situation(task)["family"], _situation(task)["domain"]
        neighbours = {f for f in families[task.meta.split] if f != own and domain_of[f] == domain}
        if not neighbours:
            continue
        present = {family_of.get(name.split(".", 1)[0]) for name in task.candidates}
        assert present & neighbours, task.id
        checked += 1
    assert checked > 100


def test_abstention_share_and_policies(suite: Suite) -> None:
    tools = {t.name: t for t in suite.tools}
    abstain = [t for t in suite.tasks if not t.gold]
    assert 0.15 <= len(abstain) / len(suite.tasks) <= 0.30
    assert all(t.meta.category != "environment" for t in abstain)
    for task in abstain:
        situation = _situation(task)
        assert situation["policy_case"] == "violation" and situation["violated"]
        policies = tools[task.meta.preferred_tool or ""].attributes["policy"]
        for key in situation["violated"]:
            rule = POLICIES[key]
            assert rule.restricted(task.user.profile)
            stems = [text.split("{cap}")[0] for text in rule.texts]
            assert any(p.startswith(stem) for p in policies for stem in stems)


def test_gold_app_carries_the_trait_the_user_implies(suite: Suite) -> None:
    tools = {t.name: t for t in suite.tools}
    decided = 0
    for task in suite.tasks:
        situation = _situation(task)
        profile, env = task.user.profile, task.user.environment
        likes = frozenset(situation["likes"])
        for key in likes:  # every stated like is visible in the preference sentences
            assert any(cue in profile.get("Preferences", "") for cue in TRAITS[key].cues)

        def fit(name: str, likes: frozenset[str] = likes, p: Any = profile, e: Any = env) -> int:
            own = _traits_of(tools[name].attributes["app_description"])
            return sum(holds(TRAITS[k], likes, p, e) for k in own)

        preferred = task.meta.preferred_tool or ""
        need = 2 if task.meta.category == "persona_environment" else 1
        assert fit(preferred) == need, task.id
        assert set(situation["decisive_traits"]) <= _traits_of(
            tools[preferred].attributes["app_description"]
        )
        for other in task.meta.functional_group:
            if other != preferred:
                assert fit(other) < need, (task.id, other)
        if task.gold:
            assert task.gold[0].tool == preferred
            decided += 1
    assert decided > 400


def test_near_miss_pairs(suite: Suite) -> None:
    pairs: dict[str, list[Task]] = defaultdict(list)
    for task in suite.tasks:
        if "pair" in _situation(task):
            pairs[_situation(task)["pair"]].append(task)
    cases = {"near_miss_user": 0, "near_miss_request": 0}
    for members in pairs.values():
        violation = [t for t in members if not t.gold]
        assert len(violation) == 1
        for twin in members:
            if twin is violation[0]:
                continue
            case = _situation(twin)["policy_case"]
            cases[case] += 1
            assert twin.gold and twin.meta.preferred_tool == violation[0].meta.preferred_tool
            if case == "near_miss_user":  # the same request by a user the rules leave alone
                assert twin.instruction == violation[0].instruction
                assert twin.user.profile != violation[0].user.profile
            else:  # a smaller request by the same user
                assert twin.user.profile == violation[0].user.profile
                assert twin.instruction != violation[0].instruction
    assert cases["near_miss_user"] >= 10 and cases["near_miss_request"] >= 10


def test_bad_input_is_one_line_exit_2(corpus: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "o"
    assert synth_main(["situations", "--corpus", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert (
        synth_main(
            ["situations", "--corpus", str(corpus), "--out", str(out), "--test-fraction", "1.5"]
        )
        == 2
    )
    empty = tmp_path / "empty"
    (empty / "tools").mkdir(parents=True)
    assert synth_main(["situations", "--corpus", str(empty), "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_real_corpus_5000_tasks_fast_and_deterministic() -> None:
    if not (TOOLBENCH / "tools").is_dir():
        pytest.skip("../shared/data/toolbench is absent")
    tools = load_corpus(TOOLBENCH, skip_invalid=True).tools
    start = time.perf_counter()
    first = build_situations(tools, SituationConfig(tasks=5000, seed=1))
    assert time.perf_counter() - start < 30
    second = build_situations(tools, SituationConfig(tasks=5000, seed=1))
    assert [t.model_dump() for t in first.tasks[:200]] == [
        t.model_dump() for t in second.tasks[:200]
    ]
    apps = {t.app for t in first.tools}
    assert len(apps) > 300
    sizes = [len(t.candidates) for t in first.tasks]
    assert min(sizes) >= 10 and max(sizes) <= 45


@pytest.mark.slow
def test_zero_shot_ranker_runs_end_to_end(built: Path, tmp_path: Path, capsys: Any) -> None:
    run = tmp_path / "run"
    code = petool_main(
        [
            "eval",
            "--suite",
            str(built),
            "--backend",
            "ranker",
            "--split",
            "test",
            "--limit",
            "40",
            "--out",
            str(run),
            "--json",
        ]
    )
    assert code == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n"] == 40 and metrics["health"]["status"] == "complete"
    assert set(metrics["by_category"]) <= set(SCENARIOS)
