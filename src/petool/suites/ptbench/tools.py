"""Tools of PTBench records: read the ``tools`` field's common shapes, add the gold functions.

PTBench shows ``tools`` to the model verbatim, so the faithful prompt never depends on how it
is read. For every other backend (the unified prompt, the ranker) petool needs
:class:`~petool.schema.Tool` objects. The released layout could not be checked offline, so
this reader accepts the usual shapes and never fails on an unknown one:

* ``{platform: [api, ...]}``, ``{platform: {api_name: spec}}``, ``[api, ...]`` (each api
  naming its platform), ``{api_name: spec}`` when the record has one platform, or any of these
  as a JSON string;
* an api is an object with a name (``name``, ``api_name``, ``function_name``, ``function``,
  ``func``, ``tool_name``, ``api``), optionally OpenAI's ``{"function": {...}}`` wrapper, a
  description (``description``, ``desc``) and parameters (``parameters``, ``params``,
  ``arguments``, ``args``) as a JSON Schema object, a ``{param: description-or-schema}``
  object, or a list of ``{name, ...}`` objects or names.

Every function of a gold answer is added too (with the gold parameters, typed from their
values) when the record's ``tools`` did not yield it. Tools are named
``"<platform>.<function>"`` with ``app`` set to the platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from petool.schema import Tool, ToolCall

NAME_KEYS = ("name", "api_name", "function_name", "function", "func", "tool_name", "api")
PLATFORM_KEYS = ("platform", "platform_name", "app", "app_name")
DESCRIPTION_KEYS = ("description", "desc", "api_description", "function_description")
PARAM_KEYS = ("parameters", "params", "arguments", "args")
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))

Spec = tuple[str | None, str | None, Mapping[str, Any]]


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _first_str(spec: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = spec.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def platform_names(raw: Any) -> list[str]:
    """The platform names of a record's ``platforms`` field (object keys or list items)."""
    value = _decode(raw)
    if isinstance(value, dict):
        return [str(k) for k in value]
    names: list[str] = []
    if isinstance(value, list):
        for item in value:
            name = item if isinstance(item, str) else None
            if isinstance(item, dict):
                name = _first_str(item, (*NAME_KEYS, *PLATFORM_KEYS))
            if name:
                names.append(name)
    return names


def _unwrap(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = spec.get("function")
    return inner if isinstance(inner, dict) else spec


def _is_api(spec: Mapping[str, Any]) -> bool:
    spec = _unwrap(spec)
    return _first_str(spec, NAME_KEYS) is not None or any(
        k in spec for k in (*PARAM_KEYS, *DESCRIPTION_KEYS)
    )


def _walk(value: Any, platform: str | None, platforms: Sequence[str], out: list[Spec]) -> None:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and _is_api(item):
                out.append((platform, None, item))
            elif isinstance(item, list | dict):
                _walk(item, platform, platforms, out)
        return
    if not isinstance(value, dict):
        return
    if _is_api(value) and _first_str(_unwrap(value), NAME_KEYS):
        out.append((platform, None, value))
        return
    for key, item in value.items():
        if str(key) in platforms:
            _walk(item, str(key), platforms, out)
        elif isinstance(item, dict) and _is_api(item):
            out.append((platform, str(key), item))
        elif isinstance(item, list | dict):
            _walk(item, platform, platforms, out)


def _property(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {"description": str(value)}


def _parameters(spec: Mapping[str, Any]) -> dict[str, Any]:
    raw = next((spec[k] for k in PARAM_KEYS if k in spec), None)
    properties: dict[str, Any] = {}
    required = [r for r in spec.get("required") or [] if isinstance(r, str)]
    if isinstance(raw, dict) and isinstance(raw.get("properties"), dict):
        properties = {str(k): _property(v) for k, v in raw["properties"].items()}
        required += [r for r in raw.get("required") or [] if isinstance(r, str)]
    elif isinstance(raw, dict):
        properties = {str(k): _property(v) for k, v in raw.items()}
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, str):
                properties[item] = {}
            elif isinstance(item, dict) and (name := _first_str(item, ("name", "param_name"))):
                properties[name] = {k: v for k, v in item.items() if k != "name"}
                if item.get("required") is True:
                    required.append(name)
    required = [r for r in dict.fromkeys(required) if r in properties]
    return {"type": "object", "properties": properties, "required": required}


def _tool(platform: str | None, default: str | None, spec: Mapping[str, Any]) -> Tool | None:
    inner = _unwrap(spec)
    platform = _first_str(inner, PLATFORM_KEYS) or _first_str(spec, PLATFORM_KEYS) or platform
    name = _first_str(inner, NAME_KEYS) or default
    if not platform or not name:
        return None
    description = _first_str(inner, DESCRIPTION_KEYS) or ""
    try:
        return Tool(
            name=f"{platform}.{name}",
            app=platform,
            description=description,
            functionality=description,
            parameters=_parameters(inner),
        )
    except ValidationError:
        return Tool(name=f"{platform}.{name}", app=platform, description=description)


def extract_tools(raw_tools: Any, raw_platforms: Any) -> list[Tool]:
    """The tools a record's ``tools`` field describes (possibly none; never raises)."""
    platforms = platform_names(raw_platforms)
    specs: list[Spec] = []
    _walk(_decode(raw_tools), None, platforms, specs)
    only = platforms[0] if len(platforms) == 1 else None
    tools = (_tool(platform or only, default, spec) for platform, default, spec in specs)
    return [t for t in tools if t is not None]


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "string")


class Toolset:
    """The suite's tools by name: first full definition wins; gold-only ones are filled in."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        self._from_gold: set[str] = set()

    def add_all(self, tools: Iterable[Tool]) -> list[str]:
        """Add tools read from a record; return their names (the record's candidates)."""
        names: list[str] = []
        for tool in tools:
            if tool.name not in self._tools or tool.name in self._from_gold:
                self._tools[tool.name] = tool
                self._from_gold.discard(tool.name)
            if tool.name not in names:
                names.append(tool.name)
        return names

    def add_gold(self, calls: Iterable[ToolCall]) -> list[str]:
        """Make sure every gold function is a tool; return the gold tool names."""
        names: list[str] = []
        for call in calls:
            names.append(call.tool)
            if call.tool in self._tools and call.tool not in self._from_gold:
                continue
            tool = self._tools.get(call.tool) or Tool(name=call.tool, app=call.app)
            props = dict(tool.properties)
            for param, value in call.arguments.items():
                props.setdefault(param, {"type": _json_type(value)})
            self._tools[call.tool] = tool.model_copy(
                update={"parameters": {"type": "object", "properties": props, "required": []}}
            )
            self._from_gold.add(call.tool)
        return names

    def tools(self) -> list[Tool]:
        """All tools, in order of first appearance."""
        return list(self._tools.values())
