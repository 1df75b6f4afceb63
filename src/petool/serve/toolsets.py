"""Toolset input: petool ``Tool`` objects, OpenAI function specs or Tool JSONL -> ``Tool``."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from petool.errors import InputError
from petool.schema import Tool


def tool_from_dict(item: dict[str, Any], where: str = "tool") -> Tool:
    """A petool Tool from a Tool object, ``{"type": "function", "function": {...}}`` or a bare
    OpenAI function (``name``, ``description``, ``parameters``). Raises InputError."""
    if item.get("type") == "function" and isinstance(item.get("function"), dict):
        fn = item["function"]
        item = {
            "name": fn.get("name"),
            "description": fn.get("description") or "",
            "parameters": fn.get("parameters") or {"type": "object", "properties": {}},
        }
    try:
        return Tool.model_validate(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InputError(f"{where}: {field}: {err['msg']}") from None


def parse_tools(items: list[dict[str, Any]] | None, jsonl: str | None = None) -> list[Tool]:
    """Every tool of a toolset body, names unique; raises InputError naming the bad item."""
    tools = [tool_from_dict(t, f"tools[{i}]") for i, t in enumerate(items or [])]
    for n, line in enumerate((jsonl or "").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"jsonl line {n}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"jsonl line {n}: expected an object")
        tools.append(tool_from_dict(obj, f"jsonl line {n}"))
    if not tools:
        raise InputError("a toolset needs at least one tool (tools or jsonl)")
    seen: set[str] = set()
    for t in tools:
        if t.name in seen:
            raise InputError(f"tool name {t.name!r} appears twice")
        seen.add(t.name)
    return tools
