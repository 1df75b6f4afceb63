"""ToolSpectrum's toolset: ``api/API_description.json`` as petool tools, and back again.

The file holds 23 apps with ``desc``, optional ``policy`` and ``APIs``; each API has ``desc``
and ``required_arguments``, ``personalized_arguments``, ``environmental_arguments`` keyed
``"name (type)": "description"``. :func:`load_toolset` makes one
:class:`~petool.schema.Tool` per (app, API), named ``"<app>.<api>"`` (API names repeat
across apps: ``getProductList`` exists in 7 apps), with ``app`` set, the API ``desc`` as
description, ``attributes = {"app_description", "policy"}``, JSON-Schema parameters typed
from the ``(type)`` suffix (``str``, ``bool``, ``int``, ``float``, ``list``, ``dict``; the one
``(syt)`` in the data is read as ``str`` and kept under ``x-toolspectrum-type`` for the
prompt) with an ``enum`` (``items.enum`` for lists) taken from "Available values: [...]"
where it can be read, and ``param_roles`` required / personalized / environmental.

:func:`native_toolset` rebuilds the file's shape from those tools, for the prompt: the
per-scenario files ``API_description_{persona,environment}.json`` are the same without the
environmental, resp. personalized arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import read_json
from petool.parsing.literal import LiteralError, read_whole
from petool.schema import ParamRoles, Tool

ROLE_KEYS: dict[str, str] = {
    "required_arguments": "required",
    "personalized_arguments": "personalized",
    "environmental_arguments": "environmental",
}

JSON_TO_NATIVE: dict[str, str] = {
    "string": "str",
    "boolean": "bool",
    "integer": "int",
    "number": "float",
    "array": "list",
    "object": "dict",
}
NATIVE_TYPE_KEY = "x-toolspectrum-type"  # a property's native type when not the usual one
NATIVE_TYPES: dict[str, str] = {
    "str": "string",
    "syt": "string",  # a typo in the data (Ctrip.rentCar vehicleModel)
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "list": "array",
    "dict": "object",
}
_ARG_KEY = re.compile(r"(.+?)\s*\((\w+)\)")
_AVAILABLE = re.compile(r"Available values:\s*(\[.*\])", re.S)


def tool_name(app: str, api: str) -> str:
    """The petool name of an app's API: ``"<app>.<api>"``."""
    return f"{app}.{api}"


def api_name(tool: Tool) -> str:
    """The benchmark's API name of a tool (its name without the ``"<app>."`` prefix)."""
    prefix = f"{tool.app}." if tool.app else ""
    return tool.name[len(prefix) :] if prefix and tool.name.startswith(prefix) else tool.name


def _fail(path: Path, where: str, message: str) -> InputError:
    return InputError(f"{path}: {where}: {message}")


def _enum_values(description: str, json_type: str) -> list[Any] | None:
    """The values listed after "Available values:" in a description, or None."""
    match = _AVAILABLE.search(description)
    if match is None:
        return None
    text = match.group(1)
    text = text[: text.rfind("]") + 1]
    for candidate in (text, f"[{text}]"):
        try:
            value = read_whole(candidate)
        except LiteralError:
            continue
        if isinstance(value, list) and value:
            return value
    inner = text.strip()[1:-1]
    if "[" in inner or "]" in inner:
        return None
    items = [part.strip().strip("'\"").strip() for part in inner.split(",")]
    items = [item for item in items if item]
    if not items:
        return None
    if json_type == "boolean":
        flags = {"true": True, "false": False}
        return [flags[i.lower()] for i in items] if all(i.lower() in flags for i in items) else None
    return items


def _property(description: str, native_type: str) -> dict[str, Any]:
    json_type = NATIVE_TYPES[native_type]
    prop: dict[str, Any] = {"type": json_type, "description": description}
    if JSON_TO_NATIVE[json_type] != native_type:
        prop[NATIVE_TYPE_KEY] = native_type  # keeps "(syt)" for a faithful prompt
    values = _enum_values(description, json_type)
    if values is not None:
        if json_type == "array":
            if not any(isinstance(v, list | dict) for v in values):
                prop["items"] = {"enum": values}
        elif json_type != "object":
            prop["enum"] = values
    return prop


def _tool(path: Path, app: str, app_data: Mapping[str, Any], api: str, spec: Any) -> Tool:
    base = f"{app}.APIs.{api}"
    where = f"field '{base}'"
    if not isinstance(spec, Mapping):
        raise _fail(path, where, "expected an object")
    properties: dict[str, Any] = {}
    roles: dict[str, list[str]] = {role: [] for role in ROLE_KEYS.values()}
    for key, role in ROLE_KEYS.items():
        arguments = spec.get(key, {})
        if not isinstance(arguments, Mapping):
            raise _fail(path, f"field '{base}.{key}'", "expected an object")
        for arg_key, description in arguments.items():
            match = _ARG_KEY.fullmatch(str(arg_key))
            if match is None or match.group(2) not in NATIVE_TYPES:
                raise _fail(
                    path,
                    f"field '{base}.{key}'",
                    f"argument key '{arg_key}' is not 'name (type)' with a type among "
                    f"{', '.join(sorted(NATIVE_TYPES))}",
                )
            name = match.group(1)
            if name in properties:
                raise _fail(path, f"field '{base}.{key}'", f"argument '{name}' is defined twice")
            properties[name] = _property(str(description), match.group(2))
            roles[role].append(name)
    attributes: dict[str, Any] = {"app_description": str(app_data.get("desc", ""))}
    if "policy" in app_data:
        attributes["policy"] = app_data["policy"]
    description = str(spec.get("desc", ""))
    return Tool(
        name=tool_name(app, api),
        app=app,
        description=description,
        attributes=attributes,
        parameters={"type": "object", "properties": properties, "required": roles["required"]},
        param_roles=ParamRoles(**roles),
    )


def load_toolset(path: Path) -> list[Tool]:
    """The tools of an ``API_description*.json`` file, in file order.

    Raises:
        InputError: the file is missing or malformed (the message names file and field).
    """
    data = read_json(path)
    if not isinstance(data, Mapping) or not data:
        raise InputError(f"{path}: expected a non-empty object of apps")
    tools: list[Tool] = []
    for app, app_data in data.items():
        if not isinstance(app_data, Mapping) or not isinstance(app_data.get("APIs"), Mapping):
            raise _fail(path, f"field '{app}'", "expected an object with 'desc' and 'APIs'")
        policy = app_data.get("policy")
        if policy is not None and not isinstance(policy, list):
            raise _fail(path, f"field '{app}.policy'", "expected a list of strings")
        for api, spec in app_data["APIs"].items():
            tools.append(_tool(path, str(app), app_data, str(api), spec))
    return tools


def native_toolset(tools: Sequence[Tool], roles: Sequence[str]) -> dict[str, Any]:
    """The toolset in the benchmark's own ``API_description`` shape, for the prompt.

    Args:
        tools: tools made by :func:`load_toolset` (grouped by
            app in first-seen order).
        roles: which argument kinds to show (``required``, ``personalized``,
            ``environmental``): the persona prompt shows no environmental arguments, the
            environment prompt no personalized ones.

    Returns:
        ``{app: {"desc", "policy"?, "APIs": {api: {"desc", "<kind>_arguments": {...}}}}}``.
    """
    out: dict[str, Any] = {}
    for tool in tools:
        app = tool.app or ""
        if app not in out:
            entry: dict[str, Any] = {"desc": tool.attributes.get("app_description", "")}
            if "policy" in tool.attributes:
                entry["policy"] = tool.attributes["policy"]
            entry["APIs"] = {}
            out[app] = entry
        spec: dict[str, Any] = {"desc": tool.description}
        for key, role in ROLE_KEYS.items():
            if role not in roles:
                continue
            names: list[str] = getattr(tool.param_roles, role)
            args: dict[str, str] = {}
            for name in names:
                prop = tool.properties.get(name, {})
                native = prop.get(NATIVE_TYPE_KEY) or JSON_TO_NATIVE.get(
                    str(prop.get("type")), "str"
                )
                args[f"{name} ({native})"] = str(prop.get("description", ""))
            spec[key] = args
        out[app]["APIs"][api_name(tool)] = spec
    return out
