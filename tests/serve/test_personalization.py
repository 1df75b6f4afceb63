"""The loop: ratings through /v1/feedback change the next /v1/select as the history implies."""

from __future__ import annotations

from pathlib import Path

import pytest
from petool_serve_live import start_live, stop_live

from petool.serve.settings import ServeSettings

TWINS = [
    {
        "name": "budget_weather",
        "description": "Get the weather forecast for a city",
        "functionality": "weather forecast",
        "attributes": {"price": "free", "accuracy": "low", "ads": "many"},
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
    {
        "name": "premium_weather",
        "description": "Get the weather forecast for a city",
        "functionality": "weather forecast",
        "attributes": {"price": "paid", "accuracy": "high", "ads": "none"},
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
]


@pytest.mark.slow
def test_ratings_steer_the_next_selection(tmp_path: Path) -> None:
    live = start_live(ServeSettings(data_dir=tmp_path / "d", backend="ranker", rate_limit=0))
    try:
        with live.client() as c:
            assert c.post("/v1/toolsets", json={"name": "w", "tools": TWINS}).status_code == 201
            chosen = {}
            for user, liked in (
                ("likes_premium", "premium_weather"),
                ("likes_budget", "budget_weather"),
            ):
                for city in ("Oslo", "Paris", "Rome"):
                    for tool in ("budget_weather", "premium_weather"):
                        sel = c.post(
                            "/v1/select",
                            json={
                                "user_id": user,
                                "instruction": f"weather in {city}",
                                "toolset_id": "w",
                                "candidates": [tool],
                            },
                        ).json()
                        assert sel["call"]["tool"] == tool
                        rating = 1 if tool == liked else -1
                        fb = c.post(
                            "/v1/feedback",
                            json={"selection_id": sel["selection_id"], "rating": rating},
                        )
                        assert fb.status_code == 200, fb.text
                final = c.post(
                    "/v1/select",
                    json={"user_id": user, "instruction": "weather in Madrid", "toolset_id": "w"},
                )
                assert final.status_code == 200, final.text
                chosen[user] = final.json()
            assert chosen["likes_premium"]["call"]["tool"] == "premium_weather"
            assert chosen["likes_budget"]["call"]["tool"] == "budget_weather"
            alts = [a["tool"] for a in chosen["likes_budget"]["alternatives"]]
            assert alts[0] == "budget_weather" and len(alts) == 2
    finally:
        stop_live(live)
