"""The two-stage ranker with a fast fake encoder: group, preference, habit, recency, output."""

from __future__ import annotations

import json

import pytest
from ranker_helpers import CANDIDATES, BagOfWordsEncoder, make_tool, past, weather_task

from petool.ranker import PersonalizedRanker, RankerConfig
from petool.ranker.relevance import schema_fit
from petool.schema import Task, Tool, UserContext


@pytest.fixture
def ranker(tools: list[Tool], fake_encoder: BagOfWordsEncoder) -> PersonalizedRanker:
    model = PersonalizedRanker(encoder=fake_encoder)
    model.index(tools)
    return model


def _scores(ranker: PersonalizedRanker, task: Task) -> dict[str, float]:
    return {c["name"]: c["score"] for c in ranker.explain(task)["candidates"] if c["in_group"]}


def test_relevance_picks_the_functional_group(ranker):
    info = ranker.explain(weather_task())
    group = {c["name"] for c in info["candidates"] if c["in_group"]}
    assert group == {"weather_cheap", "weather_mid", "weather_pricey"}
    best = max(info["candidates"], key=lambda c: c["relevance"])
    assert best["name"].startswith("weather_")


def test_without_history_relevance_and_candidate_order_decide(ranker):
    assert ranker.rank(weather_task()).choice == "weather_pricey"  # first weather candidate
    reordered = weather_task().model_copy(update={"candidates": CANDIDATES[::-1]})
    assert ranker.rank(reordered).choice == "weather_mid"


def test_liked_cheap_tool_in_another_group_makes_the_cheap_member_win(ranker):
    task = weather_task([past("translate_cheap", target="fr")])
    assert ranker.rank(task).choice == "weather_cheap"
    prefs = ranker.explain(task)["preference"]
    assert prefs["cost_per_call_usd"] < 0 < prefs["ads"]


def test_liked_pricey_tool_makes_the_pricey_member_win(ranker):
    task = weather_task([past("translate_pricey")])
    task = task.model_copy(update={"candidates": CANDIDATES[::-1]})
    assert ranker.rank(task).choice == "weather_pricey"


def test_disliked_tool_pushes_away_from_its_attributes(ranker):
    liked = _scores(ranker, weather_task([past("translate_cheap", rating=1)], mode="rated"))
    disliked = _scores(ranker, weather_task([past("translate_cheap", rating=-1)], mode="rated"))
    assert max(liked, key=liked.__getitem__) == "weather_cheap"
    assert min(disliked, key=disliked.__getitem__) == "weather_cheap"
    assert ranker.rank(weather_task([past("translate_cheap", rating=-1)], "rated")).choice != (
        "weather_cheap"
    )


def test_chronological_recency_flips_the_choice_after_a_preference_change(ranker):
    history = [past("translate_pricey", step=s) for s in (0, 1, 2)]
    history += [past("translate_cheap", step=s) for s in (8, 9)]
    assert ranker.rank(weather_task(history, mode="preferred")).choice == "weather_pricey"
    assert ranker.rank(weather_task(history, mode="chronological")).choice == "weather_cheap"


def test_direct_habit_breaks_ties_between_members(ranker):
    task = weather_task([past("weather_mid")])
    info = ranker.explain(task)
    assert info["choice"] == "weather_mid"
    habit = {c["name"]: c["habit"] for c in info["candidates"]}
    assert habit["weather_mid"] > 0 and habit["weather_pricey"] == 0


def test_output_is_the_unified_json_answer_with_filled_arguments(ranker):
    task = weather_task([past("translate_cheap")], profile={"preferred_units": "imperial"})
    (text,) = ranker.predict([task])
    answer = json.loads(text)
    assert answer == {
        "tool_name": "weather_cheap",
        "parameters": {"city": "Lyon", "days": 4, "units": "imperial"},
    }
    explained = ranker.explain(task)
    assert explained["argument_sources"] == {
        "city": "instruction",
        "days": "instruction",
        "units": "profile",
    }


def test_history_units_fill_the_personalized_parameter(ranker):
    task = weather_task([past("weather_mid", units="imperial", city="Oslo")])
    assert ranker.rank(task).answer()["parameters"] == {
        "city": "Lyon",
        "days": 4,
        "units": "imperial",
    }


def test_batch_embeds_instructions_in_one_call(ranker, fake_encoder):
    tasks = [weather_task(), weather_task(instruction='Translate "hi" into fr')]
    choices = [r.choice for r in ranker.rank_batch(tasks)]
    assert choices[0].startswith("weather_") and choices[1].startswith("translate_")
    assert fake_encoder.calls[-1] == [t.instruction for t in tasks]


def test_no_context_falls_back_to_relevance(ranker):
    task = weather_task([past("translate_cheap")], profile={"units": "metric"})
    plain = ranker.rank(task.without_context())
    assert plain.choice == "weather_pricey"
    assert plain.answer()["parameters"] == {"city": "Lyon", "days": 4}


def test_free_text_attributes_use_text_similarity(fake_encoder):
    private = "privacy focused service with no tracking and no advertisements"
    noisy = "popular service funded by advertisements with tracking partners"
    tools = [
        make_tool("w_private", "weather forecast for a city", {"notes": private + " w"}),
        make_tool("w_noisy", "weather forecast for a city", {"notes": noisy + " w"}),
        make_tool("t_private", "translate text", {"notes": private + " t"}),
        make_tool("t_noisy", "translate text", {"notes": noisy + " t"}),
    ]
    model = PersonalizedRanker(encoder=fake_encoder)
    model.index(tools)

    def task(tool: str, rating: int | None) -> Task:
        return Task(
            id="x",
            instruction="weather forecast for Lyon",
            user=UserContext(history=[past(tool, rating=rating)], history_mode="rated"),
            candidates=["w_noisy", "w_private", "t_noisy"],
        )

    ranking = model.rank(task("t_private", 1))
    assert (ranking.choice, ranking.fallback) == ("w_private", "attribute_text")
    assert model.rank(task("t_noisy", -1)).choice == "w_private"
    assert model.rank(task("t_noisy", 1)).choice == "w_noisy"


def test_empty_candidates_use_the_toolset_and_empty_toolset_abstains(fake_encoder, tools):
    model = PersonalizedRanker(encoder=fake_encoder)
    model.index(tools)
    task = weather_task().model_copy(update={"candidates": []})
    assert model.rank(task).choice.startswith("weather_")
    empty = PersonalizedRanker(encoder=fake_encoder)
    empty.index([])
    ranking = empty.rank(task)
    assert ranking.choice is None and ranking.call() is None
    assert json.loads(ranking.answer_text()) == {"tool_name": None, "parameters": {}}


def test_unknown_candidates_are_ranked_by_name(ranker):
    task = weather_task().model_copy(update={"candidates": ["stocks", "weather_forecast_city"]})
    assert ranker.rank(task).choice == "weather_forecast_city"


def test_group_margin_widens_the_group(tools, fake_encoder):
    model = PersonalizedRanker(RankerConfig(group_margin=2.0), encoder=fake_encoder)
    model.index(tools)
    info = model.explain(weather_task())
    assert all(c["in_group"] for c in info["candidates"])
    assert model.config_dict()["group_margin"] == 2.0


def test_schema_fit_prefers_tools_whose_required_values_are_in_the_instruction():
    schedule = make_tool(
        "schedule",
        "x",
        {},
        league={"type": "string", "enum": ["MLB", "NBA"], "required": True},
        date={"type": "string", "format": "date", "required": True},
    )
    assert schema_fit(schedule, "MLB games right now") == 0.5
    assert schema_fit(schedule, "MLB games on 2026-01-02") == 1.0
    assert schema_fit(make_tool("free", "x", {}), "anything") == 0.5
