"""The OpenAI-compatible proxy, for real: uvicorn on 127.0.0.1 (SQLite), a loopback upstream,
and the official ``openai`` client pointed at petool's base URL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from petool_serve_live import Live, start_live, stop_live
from upstream_server import Upstream

openai = pytest.importorskip("openai")

from petool.serve.settings import ServeSettings  # noqa: E402


def fn(name: str, description: str, **attrs: str) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{description} ({', '.join(attrs.values())})",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }


TOOLS = [
    fn("budget_weather", "Get the weather forecast for a city", price="free, many ads"),
    fn("premium_weather", "Get the weather forecast for a city", price="paid, no ads"),
    fn("translate_text", "Translate a text into another language", price="free"),
]


def serve(tmp_path: Path, upstream: Upstream, backend: str = "random", **kw: object) -> Live:
    return start_live(
        ServeSettings(
            data_dir=tmp_path / "d", backend=backend, rate_limit=0, upstream=upstream.base_url, **kw
        )
    )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Live, Upstream]]:
    with Upstream(slow_s=3.0) as up:
        live = serve(tmp_path, up)
        try:
            yield live, up
        finally:
            stop_live(live)


Stack = tuple[Live, Upstream]


def client(live: Live, **kw: Any) -> Any:
    return openai.OpenAI(base_url=live.url + "/v1", api_key=live.keys[0], max_retries=0, **kw)


def test_non_streaming_keeps_the_upstream_shape_and_records_the_call(stack: Stack) -> None:
    live, up = stack
    with live.client() as api:
        api.put("/v1/users/ann", json={"profile": {"budget": "tight"}})
    raw = client(live).chat.completions.with_raw_response.create(
        model="m",
        messages=[{"role": "user", "content": "weather in Oslo"}],
        tools=TOOLS,
        user="ann",
    )
    body = json.loads(raw.http_response.text)
    assert body["stub_marker"] == "kept" and body["id"] == "chatcmpl-up"
    call = body["choices"][0]["message"]["tool_calls"][0]["function"]
    sent = up.bodies[-1]
    assert call["name"] == sent["tools"][0]["function"]["name"]
    assert sent["messages"][0]["role"] == "system" and "tight" in sent["messages"][0]["content"]
    assert len(sent["messages"][0]["content"]) <= 2000 and sent["user"] == "ann"
    sid = raw.headers["x-petool-selection-id"]
    with live.client() as api:
        assert api.post("/v1/feedback", json={"selection_id": sid, "rating": 1}).status_code == 200
        items = api.get("/v1/users/ann/history").json()["items"]
    assert items[-1]["call"] == {
        "tool": call["name"],
        "app": None,
        "arguments": {"city": "Oslo"},
        "alternatives": {},
    }
    assert items[-1]["instruction"] == "weather in Oslo" and items[-1]["rating"] == 1


def test_streaming_relays_chunks_and_records_the_assembled_call(stack: Stack) -> None:
    live, up = stack
    stream = client(live).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "weather in Rome"}],
        tools=TOOLS,
        user="bob",
        stream=True,
    )
    chunks = list(stream)
    assert len(chunks) == 4 and all(c.id == "chatcmpl-up" for c in chunks)
    parts = [c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[1:4]]
    assert json.loads("".join(p or "" for p in parts)) == {"city": "Rome"}
    name = chunks[1].choices[0].delta.tool_calls[0].function.name
    assert up.bodies[-1]["stream"] is True and name == up.bodies[-1]["tools"][0]["function"]["name"]
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from petool.serve.db import SelectionRow, make_engine

    async def rows() -> list[SelectionRow]:
        engine = make_engine(live.settings.url)
        async with async_sessionmaker(engine)() as s:
            q = select(SelectionRow).where(SelectionRow.user_id == "bob")
            found = (await s.scalars(q)).all()
        await engine.dispose()
        return list(found)

    deadline = time.monotonic() + 5  # the client stops at [DONE]; the record follows the stream
    while not (stored := asyncio.run(rows())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(r.call, r.source) for r in stored] == [
        ({"tool": name, "app": None, "arguments": {"city": "Rome"}, "alternatives": {}}, "proxy")
    ]


def test_top_k_keeps_the_forced_tool(stack: Stack) -> None:
    live, up = stack
    c = client(live, default_headers={"x-petool-top-k": "1"})
    forced = {"type": "function", "function": {"name": "translate_text"}}
    for _ in range(4):
        c.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi Oslo"}],
            tools=TOOLS,
            user="cy",
            tool_choice=forced,
        )
        names = [t["function"]["name"] for t in up.bodies[-1]["tools"]]
        assert "translate_text" in names and len(names) <= 2


def test_proxy_top_k_setting_and_relevant_history_first(tmp_path: Path) -> None:
    with Upstream() as up:
        live = serve(tmp_path, up, proxy_top_k=2)
        try:
            items = [
                {
                    "instruction": "translate hello",
                    "rating": 1,
                    "call": {"tool": "translate_text", "arguments": {"text": "hello"}},
                }
            ]
            items += [
                {"instruction": f"old news {n}", "call": {"tool": "news", "arguments": {}}}
                for n in range(12)
            ]
            with live.client() as api:
                assert (
                    api.post("/v1/users/h/interactions", json={"items": items}).status_code == 200
                )
            c = client(live)
            c.chat.completions.create(
                model="m",
                tools=TOOLS,
                user="h",
                messages=[{"role": "user", "content": "weather Oslo"}],
            )
            assert len(up.bodies[-1]["tools"]) == 2  # the setting, no header
            c.chat.completions.create(
                model="m",
                tools=[TOOLS[2]],
                user="h",
                messages=[{"role": "user", "content": "translate hi"}],
            )
            note = up.bodies[-1]["messages"][0]["content"]
            # the one use of the offered tool is older than 12 others, and still shown first
            lines = [ln for ln in note.splitlines() if "->" in ln]
            assert "translate_text" in lines[0] and len(lines) == 10
        finally:
            stop_live(live)


def test_upstream_errors_and_timeouts(stack: Stack, tmp_path: Path) -> None:
    live, _up = stack
    c = client(live)
    for status, error in (
        (400, openai.BadRequestError),
        (429, openai.RateLimitError),
        (503, openai.InternalServerError),
    ):
        with pytest.raises(error) as info:
            c.chat.completions.create(
                model="m",
                tools=TOOLS,
                user="d",
                messages=[{"role": "user", "content": f"fail {status}"}],
            )
        assert info.value.status_code == status
        assert info.value.body["message"] == f"upstream says {status}"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            base_url=live.url + "/v1", api_key="wrong", max_retries=0
        ).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    live.server.config.app.state.settings.upstream_timeout = 0.5
    live.server.config.app.state.upstream_client = None
    with pytest.raises(openai.APIStatusError) as info:
        c.chat.completions.create(model="m", messages=[{"role": "user", "content": "slow one"}])
    assert info.value.status_code == 504


@pytest.mark.slow
def test_tools_are_reordered_for_a_user_with_history(tmp_path: Path) -> None:
    with Upstream() as up:
        live = serve(tmp_path, up, backend="ranker")
        try:
            c = client(live)
            for user, liked, other in (
                ("p", "premium_weather", "budget_weather"),
                ("b", "budget_weather", "premium_weather"),
            ):
                items = [
                    {
                        "instruction": f"weather in {city}",
                        "call": {"tool": tool, "arguments": {"city": city}},
                        "rating": r,
                    }
                    for city in ("Oslo", "Paris", "Rome")
                    for tool, r in ((liked, 1), (other, -1))
                ]
                with live.client() as api:
                    assert (
                        api.post(
                            f"/v1/users/{user}/interactions", json={"items": items}
                        ).status_code
                        == 200
                    )
                out = c.chat.completions.create(
                    model="m",
                    messages=[{"role": "user", "content": "weather in Madrid"}],
                    tools=[TOOLS[0], TOOLS[2], TOOLS[1]],
                    user=user,
                )
                assert out.choices[0].message.tool_calls[0].function.name == liked
                assert up.bodies[-1]["tools"][0]["function"]["name"] == liked
        finally:
            stop_live(live)
