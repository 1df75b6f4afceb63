"""The demo catalog: functional groups of interchangeable tools with non-functional attributes.

The catalog lives in ``catalog/demo_catalog.json``. Each group names one functionality (one
JSON-Schema of parameters, instruction templates and value samplers) and the 2–5 tools from
different providers that offer it; the tools differ only in their ``attributes``:

========================  =====================================  ==============
attribute                 meaning                                better
========================  =====================================  ==============
``cost_per_call_usd``     price of one call (0 = free)           lower
``latency_ms``            typical response time                  lower
``accuracy``              share of correct answers (0–1)         higher
``ads``                   results carry advertising              ``false``
``privacy``               ``low`` / ``medium`` / ``high``        higher
``coverage``              countries / items covered              higher
``rate_limit_per_min``    calls allowed per minute               higher
========================  =====================================  ==============

:func:`goodness` maps a group's attributes to ``[0, 1]`` per attribute (1 = best in the group,
min-max normalized within the group), the scale on which user preferences are expressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import read_json
from petool.schema import ParamRoles, Tool

CATALOG_PATH = Path(__file__).parent / "catalog" / "demo_catalog.json"

ATTRIBUTES: tuple[str, ...] = (
    "cost_per_call_usd",
    "latency_ms",
    "accuracy",
    "ads",
    "privacy",
    "coverage",
    "rate_limit_per_min",
)
PREFERENCE_WORDS: dict[str, str] = {
    "cost_per_call_usd": "cheap",
    "latency_ms": "fast",
    "accuracy": "accurate",
    "ads": "ad-free",
    "privacy": "private",
    "coverage": "wide coverage",
    "rate_limit_per_min": "high rate limit",
}
PRIVACY_LEVELS: dict[str, float] = {"low": 0.0, "medium": 0.5, "high": 1.0}
SAMPLER_KINDS = ("enum", "text", "int", "number", "date", "choice")


@dataclass
class FunctionalGroup:
    """One functionality and the interchangeable tools that offer it."""

    id: str
    category: str
    api: str
    functionality: str
    parameters: dict[str, Any]
    personalized: list[str]
    samplers: dict[str, dict[str, Any]]
    templates: list[str]
    tools: list[Tool] = field(default_factory=list)

    @property
    def required(self) -> list[str]:
        """Required parameter names, in schema order."""
        return list(self.parameters.get("required", []))

    @property
    def names(self) -> list[str]:
        """Names of the member tools."""
        return [t.name for t in self.tools]


@dataclass
class Catalog:
    """All functional groups of the demo catalog."""

    groups: list[FunctionalGroup]

    @property
    def tools(self) -> list[Tool]:
        """Every tool, group by group."""
        return [t for g in self.groups for t in g.tools]

    @property
    def categories(self) -> list[str]:
        """Category names in catalog order, without repeats."""
        seen: dict[str, None] = {}
        for g in self.groups:
            seen.setdefault(g.category, None)
        return list(seen)

    def group_of(self) -> dict[str, FunctionalGroup]:
        """The group of each tool, by tool name."""
        return {t.name: g for g in self.groups for t in g.tools}


def _attr_value(attrs: dict[str, Any], name: str) -> float:
    value = attrs[name]
    if name == "ads":
        return 0.0 if value else 1.0
    if name == "privacy":
        return PRIVACY_LEVELS[value]
    if name in ("cost_per_call_usd", "latency_ms"):
        return -float(value)
    return float(value)


def goodness(tools: list[Tool]) -> list[list[float]]:
    """Per tool, per attribute (in :data:`ATTRIBUTES` order): 1 = best in the group, 0 = worst.

    Attributes on which all tools agree get 0 for everyone (they cannot tell tools apart).
    """
    raw = [[_attr_value(t.attributes, a) for a in ATTRIBUTES] for t in tools]
    out = [[0.0] * len(ATTRIBUTES) for _ in tools]
    for j in range(len(ATTRIBUTES)):
        col = [row[j] for row in raw]
        lo, hi = min(col), max(col)
        if hi > lo:
            for i, v in enumerate(col):
                out[i][j] = (v - lo) / (hi - lo)
    return out


def utilities(weights: dict[str, float], good: list[list[float]]) -> list[float]:
    """Weighted sum of goodness per tool, divided by the total weight (so in ``[0, 1]``)."""
    total = sum(weights.values()) or 1.0
    w = [weights.get(a, 0.0) for a in ATTRIBUTES]
    return [sum(wi * gi for wi, gi in zip(w, row, strict=True)) / total for row in good]


def validate_arguments(tool: Tool, arguments: dict[str, Any]) -> list[str]:
    """Problems of ``arguments`` against the tool's JSON Schema (empty list: valid).

    Checks the subset of JSON Schema the catalog uses: required, unknown names, ``type``
    (string, integer, number, boolean), ``enum``, ``minimum`` / ``maximum``.
    """
    problems: list[str] = []
    props = tool.properties
    for name in tool.required:
        if name not in arguments:
            problems.append(f"missing required argument '{name}'")
    for name, value in arguments.items():
        spec = props.get(name)
        if spec is None:
            problems.append(f"unknown argument '{name}'")
            continue
        kind = spec.get("type")
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
        }.get(str(kind), True)
        if not ok:
            problems.append(f"argument '{name}': expected {kind}, got {type(value).__name__}")
            continue
        if "enum" in spec and value not in spec["enum"]:
            problems.append(f"argument '{name}': {value!r} is not one of the enum values")
        if "minimum" in spec and isinstance(value, int | float) and value < spec["minimum"]:
            problems.append(f"argument '{name}': {value} is below the minimum {spec['minimum']}")
        if "maximum" in spec and isinstance(value, int | float) and value > spec["maximum"]:
            problems.append(f"argument '{name}': {value} is above the maximum {spec['maximum']}")
    return problems


def _check_group(where: str, data: dict[str, Any]) -> None:
    for key in ("id", "category", "api", "functionality", "parameters", "templates", "tools"):
        if key not in data:
            raise InputError(f"{where}: field '{key}': missing required field")
    params = data["parameters"]
    props = params.get("properties", {})
    required = params.get("required", [])
    if list(props)[: len(required)] != list(required):
        raise InputError(f"{where}: field 'parameters': required parameters must come first")
    for name in data.get("personalized", []):
        if name not in props or name in required:
            raise InputError(f"{where}: field 'personalized': '{name}' is not an optional param")
    samplers = data.get("samplers", {})
    for k, name in enumerate(required):
        spec = samplers.get(name, {})
        if spec.get("kind") not in SAMPLER_KINDS:
            raise InputError(f"{where}: field 'samplers.{name}': missing or unknown kind")
        paired = spec.get("same_index_as")
        if paired is not None and (
            paired not in required[:k]
            or len(samplers[paired].get("choices", [])) != len(spec.get("choices", []))
        ):
            raise InputError(
                f"{where}: field 'samplers.{name}.same_index_as': needs an earlier parameter"
                " with as many choices"
            )
    if not 2 <= len(data["tools"]) <= 5:
        raise InputError(f"{where}: field 'tools': a group needs 2 to 5 tools")
    for j, tool in enumerate(data["tools"]):
        missing = [a for a in ATTRIBUTES if a not in tool.get("attributes", {})]
        if missing:
            raise InputError(f"{where}: field 'tools.{j}.attributes': missing {missing[0]}")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load the demo catalog (the shipped one unless ``path`` is given).

    Raises:
        InputError: the file is missing, not JSON, or a group is malformed.
    """
    p = Path(path) if path is not None else CATALOG_PATH
    data = read_json(p)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise InputError(f"{p}: field 'groups': expected a list of functional groups")
    groups: list[FunctionalGroup] = []
    for i, g in enumerate(data["groups"]):
        where = f"{p}: groups.{i}"
        if not isinstance(g, dict):
            raise InputError(f"{where}: expected a JSON object")
        _check_group(where, g)
        params = g["parameters"]
        roles = ParamRoles(
            required=list(params.get("required", [])), personalized=list(g.get("personalized", []))
        )
        tools = [
            Tool(
                name=f"{g['category']}.{t['app']}.{g['api']}",
                app=t["app"],
                category=g["category"],
                description=t.get("description", ""),
                functionality=g["functionality"],
                attributes=dict(t["attributes"]),
                parameters=params,
                param_roles=roles,
            )
            for t in g["tools"]
        ]
        groups.append(
            FunctionalGroup(
                id=g["id"],
                category=g["category"],
                api=g["api"],
                functionality=g["functionality"],
                parameters=params,
                personalized=list(g.get("personalized", [])),
                samplers=dict(g.get("samplers", {})),
                templates=list(g["templates"]),
                tools=tools,
            )
        )
    return Catalog(groups=groups)
