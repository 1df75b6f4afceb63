"""Two tenants: every endpoint tried with the other tenant's ids and keys sees nothing of theirs."""

from __future__ import annotations

from typing import Any

from test_api import TOOLS

Live = Any


def _seed(c: Any) -> str:
    assert c.post("/v1/toolsets", json={"name": "ts", "tools": TOOLS}).status_code == 201
    c.put("/v1/users/u1", json={"profile": {"secret": "a-only"}})
    c.post(
        "/v1/users/u1/interactions",
        json={
            "items": [
                {"id": "x1", "instruction": "w", "call": {"tool": "pro_weather", "arguments": {}}}
            ]
        },
    )
    sel = c.post("/v1/select", json={"user_id": "u1", "instruction": "w", "toolset_id": "ts"})
    return str(sel.json()["selection_id"])


def test_other_tenant_sees_nothing(live: Live) -> None:
    with live.client(0) as a, live.client(1) as b:
        sel = _seed(a)
        before = a.get("/v1/users/u1/history").json()
        # b uses a's ids: users, toolsets and selections of a do not exist for b
        assert b.get("/v1/users/u1/history").status_code == 404
        assert b.delete("/v1/users/u1").status_code == 404
        assert (
            b.post(
                "/v1/select", json={"user_id": "u1", "instruction": "w", "toolset_id": "ts"}
            ).status_code
            == 404
        )
        assert (
            b.post(
                "/v1/select", json={"user_id": "u1", "instruction": "w", "toolset_id": "ts@1"}
            ).status_code
            == 404
        )
        assert b.post("/v1/feedback", json={"selection_id": sel, "rating": -1}).status_code == 404
        # b writing under the same user id makes b's own user, a's memory is untouched
        assert b.put("/v1/users/u1", json={"profile": {"b": 1}}).status_code == 200
        same_id = {"id": "x1", "instruction": "b", "call": {"tool": "other", "arguments": {}}}
        assert b.post("/v1/users/u1/interactions", json={"items": [same_id]}).json() == {
            "created": 1,
            "duplicates": 0,
        }
        assert (
            b.post("/v1/toolsets", json={"name": "ts", "tools": TOOLS}).json()["toolset_id"]
            == "ts@1"
        )
        b_hist = b.get("/v1/users/u1/history").json()["items"]
        assert [i["instruction"] for i in b_hist] == ["b"]
        assert b.delete("/v1/users/u1").status_code == 200
        assert a.get("/v1/users/u1/history").json() == before
        a_fb = a.post("/v1/feedback", json={"selection_id": sel, "rating": 1})
        assert a_fb.status_code == 200
        assert (
            a.post(
                "/v1/select", json={"user_id": "u1", "instruction": "w", "toolset_id": "ts@2"}
            ).status_code
            == 404
        )
