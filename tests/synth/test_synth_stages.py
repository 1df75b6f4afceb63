"""The synthesis stages one by one: understanding, grouping, preferences, values, quality."""

from __future__ import annotations

import random

import numpy as np
import pytest
from synth_support import write_tiny_corpus

from petool.embedding import get_embedder
from petool.schema import Interaction, Task, TaskMeta, Tool, ToolCall, UserContext
from petool.synth.attributes import DIMENSION_NAMES, DIMENSIONS, offline_attributes
from petool.synth.corpus import load_corpus
from petool.synth.grouping import Group, cluster, group_tools
from petool.synth.instructions import (
    VERB_SYNONYMS,
    draft_call,
    missing_values,
    paraphrase,
    render_request,
)
from petool.synth.llm import extract_json
from petool.synth.plan import ModeQuota, UserQuota
from petool.synth.preferences import EmbeddingPreferences, Preference, sample_preference
from petool.synth.quality import QualityReport, check_arguments, rule_filter
from petool.synth.splits import users_per_split
from petool.synth.strategy import CorpusStrategy
from petool.synth.understand import (
    offline_functionality,
    request_phrase,
    understand_offline,
)
from petool.synth.values import sample_value


@pytest.fixture(scope="module")
def tiny_tools(tmp_path_factory: pytest.TempPathFactory) -> list[Tool]:
    corpus = load_corpus(write_tiny_corpus(tmp_path_factory.mktemp("corpus")))
    return understand_offline(corpus.tools, corpus.provider_docs)


# --------------------------------------------------------------------------- understanding


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Returns the current weather", "get the current weather"),
        ("This endpoint retrieves a list of cities", "get a list of cities"),
        ("Checks the domain details", "check the domain details"),
        ("Rental property calculator", "get rental property calculator"),
        ("Use this API to translate text", "translate text"),
    ],
)
def test_request_phrase(text: str, phrase: str) -> None:
    assert request_phrase(text) == phrase


def test_functionality_from_description_or_api_name_without_provider() -> None:
    tool = Tool(
        name="Tools.bitly.shorten",
        app="bitly",
        description="Given a long URL, returns a bitly short URL.",
    )
    assert "bitly" not in offline_functionality(tool).lower()
    bare = Tool(name="Data.X.getOrderById", app="X", description=" ")
    assert offline_functionality(bare) == "get order by id"


def test_attributes_one_phrase_per_dimension_from_cues_or_provider_hash() -> None:
    free = Tool(name="A.b.c", app="Free Fast Geo", description="Worldwide data")
    attrs = offline_attributes(free)
    assert set(attrs) == set(DIMENSION_NAMES)
    assert attrs["cost"] == "free of charge" and attrs["latency"] == "fast responses"
    assert attrs["coverage"] == "worldwide coverage"
    demo = offline_attributes(Tool(name="A.demo.c", app="Demo Project"))
    assert demo["reliability"] == "hobby project without guarantees"
    one, two = (offline_attributes(Tool(name=f"A.P.{k}", app="Provider P")) for k in "xy")
    assert one == two  # a provider's attributes are the same for all its APIs


def test_understood_tools_get_roles(tiny_tools: list[Tool]) -> None:
    translate = next(t for t in tiny_tools if t.name.endswith("translate_babelfy"))
    assert translate.param_roles.personalized == ["language"]
    assert translate.param_roles.required == ["text", "target"]
    assert all(set(DIMENSION_NAMES) <= set(t.attributes) for t in tiny_tools)


@pytest.mark.slow
def test_dimension_phrases_rank_best_level_first() -> None:
    encoder = get_embedder("cpu")
    for dim in DIMENSIONS:
        vectors = encoder.encode(list(dim.levels))
        sims = vectors @ vectors[0]
        assert sims[0] - sims[1] >= 0.1 and sims[1] - sims[2] >= 0.05, (dim.name, sims)


# --------------------------------------------------------------------------- grouping


def test_cluster_is_complete_linkage_across_providers() -> None:
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.28, 0.96], [1.0, 0.0], [0.0, 1.0]])
    # 0~1: 0.8, 1~2: 0.8, 0~2: 0.28; 3 is a copy of 0 by the same provider as 0
    clusters = cluster(vectors, ["a", "b", "c", "a", "d"], threshold=0.75, max_size=6)
    members = [m for m, _ in clusters]
    assert [0, 1, 2] not in members and all(not {0, 3} <= set(m) for m in members)
    assert [2, 4] in members  # 0.96
    assert cluster(vectors, ["a", "b", "c", "e", "d"], 0.99, max_size=2) == [([0, 3], 1.0)]


@pytest.mark.slow
def test_grouping_finds_the_jobs_of_the_tiny_corpus(tiny_tools: list[Tool]) -> None:
    groups = group_tools(tiny_tools, get_embedder("cpu"))
    jobs = sorted(sorted(t.name.split(".")[2].split("_")[0] for t in g.tools) for g in groups)
    assert jobs == [
        ["convert"] * 3,
        ["forecast"] * 2,
        ["shorten"] * 2,
        ["translate"] * 2,
        ["weather"] * 3,
    ]
    for g in groups:
        assert len({t.app for t in g.tools}) == len(g.tools) >= 2
    assert [g.id for g in groups] == [f"g{k:05d}" for k in range(len(groups))]


# --------------------------------------------------------------------------- preferences


def _member(name: str, cost: int, latency: int) -> Tool:
    attrs = {d.name: d.levels[1] for d in DIMENSIONS}
    attrs["cost"] = DIMENSIONS[0].levels[cost]
    attrs["latency"] = DIMENSIONS[1].levels[latency]
    return Tool(name=name, app=name, attributes=attrs)


@pytest.mark.slow
def test_preferred_member_is_the_best_fit_by_a_margin() -> None:
    tools = [_member("A", 0, 2), _member("B", 2, 0), _member("C", 1, 1)]
    group = Group("g0", "", "job", tools)
    model = EmbeddingPreferences(tools, [group], get_embedder("cpu"), margin=0.05)
    weights = dict.fromkeys(DIMENSION_NAMES, 0.0)
    priorities = {d.name: d.preference for d in DIMENSIONS}
    cheap = Preference(priorities, weights | {"cost": 1.0}, ("cost",))
    fast = Preference(priorities, weights | {"latency": 1.0}, ("latency",))
    assert model.preferred(cheap, group) == 0 and model.ranking(cheap, group) == [0, 2, 1]
    assert model.preferred(fast, group) == 1
    strict = EmbeddingPreferences(tools, [group], get_embedder("cpu"), margin=0.99)
    assert strict.preferred(cheap, group) is None and strict.eligible(cheap) == []


def test_sampled_preferences_avoid_dimensions() -> None:
    rng = random.Random(0)
    for _ in range(50):
        pref = sample_preference(rng, avoid=("cost", "ads"))
        assert not {"cost", "ads"} & set(pref.dominant)
        assert pref.weights[pref.dominant[0]] == 1.0 and 1 <= len(pref.dominant) <= 2


# --------------------------------------------------------------------------- values, calls


SCHEMAS = [
    ("kind", {"type": "string", "enum": ["a", "b"]}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 7}),
    ("day", {"type": "string", "format": "date", "examples": ["21/01/2020"]}),
    ("flag", {"type": "boolean"}),
    ("amount", {"type": "number", "examples": [2.5]}),
    ("ids", {"type": "array", "items": {"type": "string"}}),
    ("city", {"type": "string"}),
    ("orderId", {"type": "string", "examples": ["12345"]}),
]


def test_sampled_values_are_valid_for_their_schema() -> None:
    props = dict(SCHEMAS)
    tool = Tool(
        name="A.b.c", parameters={"type": "object", "properties": props, "required": list(props)}
    )
    rng = random.Random(1)
    for _ in range(200):
        args = {n: sample_value(n, s, rng) for n, s in SCHEMAS}
        assert check_arguments(tool, args) == [], args
        assert len(args["day"]) == 10 and args["day"][4] == "-"


def test_drafted_call_states_query_values_and_takes_habits_from_profile() -> None:
    props = {
        "text": {"type": "string"},
        "target": {"type": "string", "enum": ["fr", "de"]},
        "language": {"type": "string"},
        "lat": {"type": "number"},
    }
    tool = Tool(
        name="T.p.translate",
        app="p",
        functionality="translate a text",
        parameters={"type": "object", "properties": props, "required": ["text", "target"]},
    )
    profile = {"language": "es", "country": "MX"}
    environment = {"location": {"city": "Rome", "latitude": 41.9, "longitude": 12.5}}
    planned = draft_call(tool, profile, environment, random.Random(3))
    args = planned.call.arguments
    assert args["language"] == "es" and args["lat"] == 41.9
    assert planned.query_params == ["text", "target"]
    assert planned.profile_params == ["language"] and planned.environment_params == ["lat"]
    assert missing_values(planned.instruction, {n: args[n] for n in planned.query_params}) == []
    assert "es" not in planned.instruction.split() and "41.9" not in planned.instruction


def test_requests_often_say_the_job_in_other_words_and_keep_every_value() -> None:
    rng = random.Random(0)
    acts = [paraphrase("get the current weather information", rng) for _ in range(400)]
    changed = [a for a in acts if a != "get the current weather information"]
    assert 0.45 < len(changed) / len(acts) < 0.75  # PARAPHRASE_RATE, echoes stay in the mix
    assert all(any(a.startswith(v) for v in VERB_SYNONYMS["get"]) for a in changed)
    assert any("info" in a.split() or "details" in a.split() for a in changed)
    assert paraphrase("frobnicate the widget", random.Random(1)).endswith("the widget")
    stated = [("city", "New York"), ("days", 3)]
    for seed in range(50):
        text = render_request("Get the current weather.", stated, random.Random(seed))
        assert missing_values(text, {"city": "New York", "days": 3}) == []


def test_drafted_request_speaks_in_the_voice_it_is_given() -> None:
    tool = Tool(
        name="W.SkyCast.forecast",
        app="SkyCast",
        functionality="get the meteorological outlook",
        parameters={"type": "object", "properties": {}, "required": []},
    )
    rng = random.Random(2)
    own = [draft_call(tool, {}, None, rng).instruction for _ in range(40)]
    voiced = [
        draft_call(tool, {}, None, rng, voice="see tomorrow's rain").instruction for _ in range(40)
    ]
    assert all("outlook" in t for t in own) and not any("outlook" in t for t in voiced)
    assert all("tomorrow's rain" in t for t in voiced)


def test_planned_requests_do_not_lean_towards_the_called_member() -> None:
    tools = [
        Tool(
            name=f"W.{app}.weather",
            app=app,
            category="Weather",
            functionality=job,
            parameters={"type": "object", "properties": {}, "required": []},
        )
        for app, job in (("SkyCast", "get the forecast outlook"), ("Meteo", "get rain radar"))
    ]
    group = Group("g0", "Weather", tools[0].functionality, tools)
    prefs = EmbeddingPreferences(tools, [group], get_embedder())
    strategy = CorpusStrategy(tools, [group], prefs, prefix="t")
    user = strategy.make_user(random.Random(0), "u", "preferred")
    rng = random.Random(5)
    texts = [strategy.make_call(group, 0, user, None, rng).instruction for _ in range(200)]
    in_own = sum("outlook" in t for t in texts)
    in_peer = sum("radar" in t for t in texts)
    assert in_own + in_peer == 200 and 60 < in_own < 140  # either member's words, about half


# --------------------------------------------------------------------------- quality


def _task(instruction: str, arguments: dict[str, object], user: str = "u1") -> Task:
    call = ToolCall(tool="W.SkyCast.weather", app="SkyCast", arguments=arguments)
    history = [Interaction(instruction="hello", call=call, step=0)]
    return Task(
        id=instruction,
        instruction=instruction,
        candidates=["W.SkyCast.weather", "W.Meteo.weather"],
        user=UserContext(user_id=user, history=history),
        gold=[call],
        meta=TaskMeta(
            functional_group=["W.SkyCast.weather", "W.Meteo.weather"], query_params=["city"]
        ),
    )


def test_rule_checks_drop_and_count_each_problem() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    tools = {
        n: Tool(
            name=n, app=n.split(".")[1], functionality="get the current weather", parameters=schema
        )
        for n in ("W.SkyCast.weather", "W.Meteo.weather")
    }
    tasks = [
        _task("What is the weather in Paris?", {"city": "Paris"}),
        _task("Ask SkyCast about the weather in Rome", {"city": "Rome"}),
        _task("What is the weather in Oslo?", {"city": 3}),
        _task("What is the weather like?", {"city": "Lima"}),
        _task("What is the weather in Paris?", {"city": "Paris"}),
        _task("What is the weather in Paris?", {"city": "Paris"}, user="u2"),
    ]
    report = QualityReport()
    kept = rule_filter(tasks, tools, {n: list(tools) for n in tools}, report)
    assert [t.user.user_id for t in kept] == ["u1", "u2"]
    assert dict(report.dropped) == {
        "names_tool": 1,
        "invalid_arguments": 1,
        "missing_values": 1,
        "duplicate": 1,
    }


def test_a_provider_named_like_the_job_is_no_tool_name() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    tool = Tool(
        name="W.Weather.now",
        app="Weather",
        functionality="get the current weather",
        parameters=schema,
    )
    task = _task("What is the weather in Paris?", {"city": "Paris"})
    task.gold[0].tool = task.user.history[0].call.tool = "W.Weather.now"
    task.candidates = task.meta.functional_group = ["W.Weather.now"]
    assert rule_filter([task], {tool.name: tool}, {}, QualityReport()) == [task]


# --------------------------------------------------------------------------- small parts


def test_extract_json_from_model_text() -> None:
    assert extract_json('```json\n{"a": {"b": 1}}\n```') == {"a": {"b": 1}}
    assert extract_json('Sure! {"score": 9} hope it helps {"x": 1}') == {"score": 9}
    assert extract_json('{broken {"ok": true}') == {"ok": True}
    assert extract_json("[1, 2]") is None and extract_json("no json") is None


def test_quotas_and_user_splits() -> None:
    assert users_per_split(10, 0.2) == {"test": 2, "train": 8}
    assert users_per_split(1, 0.2) == {"test": 1, "train": 0}
    quota = ModeQuota(per_mode=5, tasks_per_user=4, modes=("preferred", "rated"))
    assert quota.wants("rated") == 4
    quota.add("rated", 4)
    assert quota.wants("rated") == 1 and not quota.done()
    quota.add("rated", 1)
    quota.add("preferred", 5)
    assert quota.done() and quota.wants("rated") == 0
    users = UserQuota(users=2, tasks_per_user=3)
    users.add("rated", 0)
    users.add("rated", 3)
    assert users.done()
