"""PEToolBench's tools in petool's schema: candidate specs and tools seen only in histories.

A tool name is ``<Category>.<Provider>.<API>``; ``app`` is the provider (what preferences are
about) and ``category`` the first part. A candidate's ``required_parameters`` and
``optional_parameters`` become a JSON Schema; a tool seen only in histories gets the argument
names its calls used. Every function raises :class:`ValueError` with a short reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from petool.schema import ParamRoles, Tool, ToolCall

_JSON_TYPES = {
    "STRING": "string",
    "NUMBER": "number",
    "INTEGER": "integer",
    "BOOLEAN": "boolean",
    "ENUM": "string",
    "OBJECT": "object",
    "ARRAY": "array",
    "BINARY": "string",
}


def split_tool_name(name: str) -> tuple[str, str, str] | None:
    """``"<Category>.<Tool>.<API>"`` into its three parts (None for another shape)."""
    if not (name.startswith("<") and name.endswith(">")):
        return None
    parts = name[1:-1].split(">.<")
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]


def tool_category(name: str) -> str:
    """The category part of a PEToolBench tool name ("" if it has another shape)."""
    parts = split_tool_name(name)
    return parts[0] if parts else ""


def _param_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    native = str(spec.get("type") or "").strip()
    upper = native.upper()
    schema: dict[str, Any] = {"type": _JSON_TYPES.get(upper, "string")}
    if upper.startswith("DATE"):
        schema["format"] = "date"
    if schema["type"] == "array":
        schema["items"] = {}
    description = spec.get("description")
    if isinstance(description, str) and description:
        schema["description"] = description
    default = spec.get("default")
    if default is not None and default != "":
        schema["default"] = default
    return schema


def parameters_schema(
    required: Iterable[Mapping[str, Any]], optional: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """A JSON Schema object from PEToolBench's parameter lists, and the required names.

    Types map ``STRING``/``ENUM``/``BINARY``/``DATE``/``GEOPOINT`` to ``string`` (``DATE``
    adds ``format: date``), ``NUMBER`` to ``number``, ``BOOLEAN`` to ``boolean``,
    ``OBJECT``/``ARRAY`` to ``object``/``array``; an unknown type becomes ``string``.

    Raises:
        ValueError: a parameter is not an object with a non-empty string ``name``.
    """
    props: dict[str, Any] = {}
    names: list[str] = []
    for kind, specs in (("required", required), ("optional", optional)):
        for i, spec in enumerate(specs):
            name = spec.get("name") if isinstance(spec, Mapping) else None
            if not isinstance(name, str) or not name:
                raise ValueError(f"{kind}_parameters[{i}]: expected an object with a 'name'")
            if name in props:
                continue
            props[name] = _param_schema(spec)
            if kind == "required":
                names.append(name)
    return {"type": "object", "properties": props, "required": names}, names


def candidate_tool(spec: Mapping[str, Any]) -> Tool:
    """A candidate spec (``tool_name``, ``tool_description``, parameter lists) as a Tool.

    ``app`` is the middle part of the name (the provider, what preferences are about) and
    ``category`` the first part.

    Raises:
        ValueError: the spec lacks a name or its parameter lists are malformed.
    """
    name = spec.get("tool_name")
    if not isinstance(name, str) or not name:
        raise ValueError("candidate without a non-empty 'tool_name'")
    required = spec.get("required_parameters") or []
    optional = spec.get("optional_parameters") or []
    if not isinstance(required, list) or not isinstance(optional, list):
        raise ValueError(f"candidate '{name}': parameter lists must be lists")
    schema, names = parameters_schema(required, optional)
    parts = split_tool_name(name)
    description = spec.get("tool_description")
    return Tool(
        name=name,
        app=parts[1] if parts else None,
        category=parts[0] if parts else "",
        description=description if isinstance(description, str) else "",
        parameters=schema,
        param_roles=ParamRoles(required=names),
    )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def observed_tool(name: str, calls: Iterable[ToolCall]) -> Tool:
    """A tool seen only in histories: its parameters are the argument names its calls used.

    Types come from the first observed value; nothing is marked required (unknown).
    """
    props: dict[str, Any] = {}
    for call in calls:
        for arg, value in call.arguments.items():
            props.setdefault(arg, {"type": _json_type(value)})
    parts = split_tool_name(name)
    return Tool(
        name=name,
        app=parts[1] if parts else None,
        category=parts[0] if parts else "",
        parameters={"type": "object", "properties": props, "required": []},
    )
