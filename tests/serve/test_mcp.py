"""The MCP server, for real: ``petool serve --mcp`` spawned as a subprocess, and the ``mcp``
SDK's client calling its three tools over stdio."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

TOOLS = [
    {
        "name": "budget_weather",
        "description": "Get the weather forecast for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
    {
        "name": "premium_weather",
        "description": "Get the weather forecast, paid, accurate",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
]


def payload(result: Any) -> dict[str, Any]:
    assert not result.is_error if hasattr(result, "is_error") else not result.isError, result
    structured = getattr(result, "structured_content", None) or getattr(
        result, "structuredContent", None
    )
    if structured is not None:
        return structured.get("result", structured)
    return json.loads(result.content[0].text)


def test_stdio_server_selects_records_and_takes_feedback(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "petool",
            "serve",
            "--data-dir",
            str(tmp_path / "d"),
            "--backend",
            "random",
            "--mcp",
            "--tenant",
            "acme",
        ],
    )

    async def run() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            names = {t.name for t in (await s.list_tools()).tools}
            assert names == {"select_tool", "record_interaction", "record_feedback"}
            rec = payload(
                await s.call_tool(
                    "record_interaction",
                    {
                        "user_id": "u1",
                        "instruction": "weather in Oslo",
                        "tool": "premium_weather",
                        "arguments": {"city": "Oslo"},
                        "rating": 1,
                        "id": "i-1",
                    },
                )
            )
            assert rec == {"created": 1, "duplicates": 0}
            again = payload(
                await s.call_tool(
                    "record_interaction",
                    {
                        "user_id": "u1",
                        "instruction": "weather in Oslo",
                        "tool": "premium_weather",
                        "id": "i-1",
                    },
                )
            )
            assert again == {"created": 0, "duplicates": 1}
            sel = payload(
                await s.call_tool(
                    "select_tool",
                    {"user_id": "u1", "instruction": "weather in Rome", "tools": TOOLS},
                )
            )
            assert sel["call"]["tool"] in {"budget_weather", "premium_weather"}
            assert len(sel["selection_id"]) == 36
            fb = payload(
                await s.call_tool(
                    "record_feedback", {"selection_id": sel["selection_id"], "rating": -1}
                )
            )
            assert fb["rating"] == -1 and fb["interaction_id"] is not None
            bad = await s.call_tool("record_feedback", {"selection_id": "nope", "rating": 1})
            assert getattr(bad, "is_error", getattr(bad, "isError", None)) is True

    anyio.run(run)


def test_http_server_needs_a_key_and_acts_for_its_tenant(tmp_path: Path) -> None:
    import httpx
    import httpx2
    from mcp.client.streamable_http import streamable_http_client
    from petool_serve_live import start_live, stop_live

    from petool.serve.settings import ServeSettings

    live = start_live(ServeSettings(data_dir=tmp_path / "d", backend="random", rate_limit=0))
    url = live.url + "/mcp/"

    async def run() -> str:
        client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {live.keys[0]}"})
        async with (
            client,
            streamable_http_client(url, http_client=client) as (read, write, *_),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            rec = payload(
                await s.call_tool(
                    "record_interaction",
                    {
                        "user_id": "h1",
                        "instruction": "weather in Oslo",
                        "tool": "budget_weather",
                        "rating": 1,
                    },
                )
            )
            assert rec == {"created": 1, "duplicates": 0}
            sel = payload(
                await s.call_tool(
                    "select_tool",
                    {"user_id": "h1", "instruction": "weather in Rome", "tools": TOOLS},
                )
            )
            fb = payload(
                await s.call_tool(
                    "record_feedback", {"selection_id": sel["selection_id"], "rating": 1}
                )
            )
            assert fb["rating"] == 1
            return str(sel["selection_id"])

    try:
        assert httpx.post(url, json={}).status_code == 401
        anyio.run(run)
        with live.client(0) as mine, live.client(1) as other:
            assert len(mine.get("/v1/users/h1/history").json()["items"]) == 2
            assert other.get("/v1/users/h1/history").status_code == 404
    finally:
        stop_live(live)
