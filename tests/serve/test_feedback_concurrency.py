"""Concurrent ratings of one selection: no 5xx, exactly one history interaction, the last rating.

Against the live server on SQLite and on a real PostgreSQL (the ``live`` fixture): on
PostgreSQL two transactions that both found no feedback for the selection used to both insert
its history row and the second broke ``uq_interaction_client`` (HTTP 500).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from petool.serve.db import FeedbackRow, InteractionRow, make_engine

Live = Any

TOOLS = [
    {
        "name": "weather",
        "description": "Weather forecast for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
N = 20


async def _rate_all(live: Live, selection_ids: list[str]) -> list[tuple[int, str]]:
    headers = {"Authorization": f"Bearer {live.keys[0]}"}
    limits = httpx.Limits(max_connections=N * 2)
    async with httpx.AsyncClient(
        base_url=live.url, headers=headers, timeout=60, limits=limits
    ) as c:
        start = asyncio.Event()

        async def rate(sid: str, i: int) -> tuple[int, str]:
            await start.wait()
            r = await c.post(
                "/v1/feedback", json={"selection_id": sid, "rating": 1 if i % 2 else -1}
            )
            return r.status_code, r.text

        tasks = [asyncio.create_task(rate(sid, i)) for sid in selection_ids for i in range(N)]
        await asyncio.sleep(0.05)
        start.set()
        return await asyncio.gather(*tasks)


async def _stored(url: str) -> list[tuple[str, int, int | None, int | None]]:
    """(selection, feedback rating, feedback's interaction id, that interaction's rating)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(
                    FeedbackRow.selection_id,
                    FeedbackRow.rating,
                    FeedbackRow.interaction_id,
                    InteractionRow.rating,
                ).outerjoin(InteractionRow, InteractionRow.id == FeedbackRow.interaction_id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await engine.dispose()


def test_concurrent_feedback_on_one_selection(live: Live) -> None:
    with live.client() as c:
        assert c.post("/v1/toolsets", json={"name": "w", "tools": TOOLS}).status_code == 201
        sids = []
        for _ in range(3):
            r = c.post(
                "/v1/select",
                json={"user_id": "u", "instruction": "weather in Oslo", "toolset_id": "w"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["call"] is not None
            sids.append(r.json()["selection_id"])
    results = asyncio.run(_rate_all(live, sids))
    assert [code for code, _ in results] == [200] * len(results), [
        r for r in results if r[0] != 200
    ][:3]
    with live.client() as c:
        items = c.get("/v1/users/u/history", params={"limit": 200}).json()["items"]
        fb = [i for i in items if i["source"] == "feedback"]
        assert sorted(i["client_id"] for i in fb) == sorted(f"feedback:{s}" for s in sids)
    # one feedback row per selection, pointing at that interaction, with the same (last) rating
    stored = asyncio.run(_stored(live.settings.url))
    assert sorted(s for s, *_ in stored) == sorted(sids)
    by_client = {i["client_id"]: i for i in fb}
    for sid, rating, interaction_id, interaction_rating in stored:
        assert interaction_id == by_client[f"feedback:{sid}"]["id"]
        assert rating == interaction_rating == by_client[f"feedback:{sid}"]["rating"]
    with live.client() as c:
        # a last rating replaces the stored one: rating again sets it, still one row each
        for sid in sids:
            r = c.post("/v1/feedback", json={"selection_id": sid, "rating": -1})
            assert r.status_code == 200, r.text
        items2 = c.get("/v1/users/u/history", params={"limit": 200}).json()["items"]
        fb2 = [i for i in items2 if i["source"] == "feedback"]
        assert len(fb2) == len(sids) and {i["rating"] for i in fb2} == {-1}
        ids = {
            r.json()["interaction_id"]
            for r in (c.post("/v1/feedback", json={"selection_id": s, "rating": 1}) for s in sids)
        }
        assert ids == {i["id"] for i in fb2}
