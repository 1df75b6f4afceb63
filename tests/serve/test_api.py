"""The /v1 API end to end over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

Live = Any

TOOLS = [
    {
        "name": "cheap_weather",
        "description": "Weather forecast for a city",
        "attributes": {"price": "free", "accuracy": "low"},
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
    {
        "type": "function",
        "function": {
            "name": "pro_weather",
            "description": "Weather forecast for a city, accurate",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    },
]


def test_roundtrip(live: Live) -> None:
    with live.client() as c:
        r = c.post("/v1/toolsets", json={"name": "weather", "tools": TOOLS})
        assert r.status_code == 201, r.text
        assert r.json() == {"toolset_id": "weather@1", "name": "weather", "version": 1, "tools": 2}
        assert (
            c.post("/v1/toolsets", json={"name": "weather", "tools": TOOLS}).json()["version"] == 2
        )
        r = c.put("/v1/users/u1", json={"profile": {"age": 30}, "environment": {"city": "Oslo"}})
        assert r.status_code == 200, r.text
        items = [
            {
                "id": f"i{n}",
                "instruction": "weather in Oslo",
                "call": {"tool": "pro_weather", "arguments": {"city": "Oslo"}},
                "rating": 1,
            }
            for n in range(3)
        ]
        assert c.post("/v1/users/u1/interactions", json={"items": items}).json() == {
            "created": 3,
            "duplicates": 0,
        }
        assert c.post("/v1/users/u1/interactions", json={"items": items}).json() == {
            "created": 0,
            "duplicates": 3,
        }
        page = c.get("/v1/users/u1/history", params={"limit": 2}).json()
        assert [i["client_id"] for i in page["items"]] == ["i0", "i1"]
        rest = c.get("/v1/users/u1/history", params={"cursor": page["next_cursor"]}).json()
        assert [i["client_id"] for i in rest["items"]] == ["i2"] and rest["next_cursor"] is None
        sel = c.post(
            "/v1/select",
            json={"user_id": "u1", "instruction": "weather in Bergen", "toolset_id": "weather"},
        )
        assert sel.status_code == 200, sel.text
        body = sel.json()
        assert body["call"]["tool"] in {"cheap_weather", "pro_weather"}
        fb = c.post("/v1/feedback", json={"selection_id": body["selection_id"], "rating": -1})
        assert fb.status_code == 200, fb.text
        hist = c.get("/v1/users/u1/history").json()["items"]
        assert hist[-1]["source"] == "feedback" and hist[-1]["rating"] == -1
        # a second rating replaces the first, it does not add a second interaction
        c.post("/v1/feedback", json={"selection_id": body["selection_id"], "rating": 1})
        hist2 = c.get("/v1/users/u1/history").json()["items"]
        assert len(hist2) == len(hist) and hist2[-1]["rating"] == 1
        d = c.delete("/v1/users/u1")
        assert d.status_code == 200 and d.json()["deleted"]["interactions"] == 4
        assert c.get("/v1/users/u1/history").status_code == 404
        assert (
            c.post(
                "/v1/feedback", json={"selection_id": body["selection_id"], "rating": 1}
            ).status_code
            == 404
        )


def test_errors_are_clear_4xx(live: Live) -> None:
    with live.client() as c:
        assert (
            c.post(
                "/v1/select", json={"user_id": "u", "instruction": "x", "toolset_id": "nope"}
            ).status_code
            == 404
        )
        r = c.post("/v1/select", json={"user_id": "u", "instruction": "x"})
        assert r.status_code == 400 and "toolset_id or tools" in r.json()["detail"]
        r = c.post("/v1/toolsets", json={"name": "t", "tools": [{"name": ""}]})
        assert r.status_code == 400 and "tools[0]" in r.json()["detail"]
        assert c.post("/v1/feedback", json={"selection_id": "x", "rating": 2}).status_code == 422
        big = {"name": "t", "jsonl": "x" * 300_000}
        assert c.post("/v1/toolsets", json=big).status_code == 413
    with live.client() as c:
        c.headers["Authorization"] = "Bearer pt_000000000000_nope"
        assert c.get("/v1/users/u/history").status_code == 401
    assert __import__("httpx").get(live.url + "/v1/users/u/history").status_code == 401


def test_ops_endpoints(live: Live) -> None:
    import httpx

    assert httpx.get(live.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(live.url + "/readyz").json() == {"status": "ready"}
    with live.client() as c:
        c.post("/v1/toolsets", json={"name": "w", "tools": TOOLS})
        c.post("/v1/select", json={"user_id": "u", "instruction": "x", "toolset_id": "w"})
    text = httpx.get(live.url + "/metrics").text
    assert 'petool_requests_total{method="POST",route="/v1/select",status="200"} 1.0' in text
    assert "petool_selections_total" in text and "petool_request_seconds_bucket" in text
    assert "/docs" and httpx.get(live.url + "/openapi.json").json()["info"]["title"]
