"""Filling a chosen tool's parameters for this user.

Sources, in order of trust:

1. the instruction: enum values written in the text, numbers, ISO dates and double-quoted
   strings, handed to the parameters of matching type in schema order (required first);
2. the user's history: the value this user gave the same parameter name in past calls
   (recency-weighted in chronological mode); for parameters not marked personalized the
   value must be a habit (the same value in most calls), not a one-off;
3. the profile, then the environment, when a key matches the parameter name (for a
   personalized enum parameter also the one profile value that fits its enum);
4. for a *required* parameter still missing: its schema ``default``, else its first enum value.

Optional parameters are only filled from sources 1-3 (schema defaults are never added).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from petool.ranker.instruction import coerce, from_instruction, schema_types
from petool.schema import Interaction, Tool

_PROFILE_PREFIXES = ("preferred_", "default_", "favorite_", "favourite_", "usual_", "my_")


@dataclass
class FilledArguments:
    """The arguments chosen for a call, and where each one came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: Any, source: str) -> None:
        """Record ``value`` for ``name`` from ``source``."""
        self.values[name] = value
        self.sources[name] = source


def _value_key(value: Any) -> str:
    return str(value).strip().lower() if isinstance(value, str) else repr(value)


def from_history(
    name: str,
    schema: Mapping[str, Any],
    history: Sequence[Interaction],
    weights: NDArray[np.float64],
    *,
    habit_share: float,
    min_count: int,
    tools: Mapping[str, Tool] | None = None,
) -> Any | None:
    """This user's usual value for parameter ``name`` in past calls, or None.

    Values are weighted by recency. With ``habit_share`` > 0 the winning value must carry
    at least that share of the weight and occur ``min_count`` times (a habit, not a one-off).
    Calls of a tool in ``tools`` where ``name`` was a required parameter are skipped: the
    request dictated that value, it says nothing about the user.
    """
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    values: dict[str, Any] = {}
    for item, weight in zip(history, weights, strict=True):
        if name not in item.call.arguments:
            continue
        past_tool = (tools or {}).get(item.call.tool)
        if past_tool is not None and name in past_tool.required:
            continue
        ok, value = coerce(item.call.arguments[name], schema)
        if not ok:
            continue
        key = _value_key(value)
        totals[key] = totals.get(key, 0.0) + float(weight)
        counts[key] = counts.get(key, 0) + 1
        values.setdefault(key, value)
    if not totals:
        return None
    best = max(totals, key=lambda k: totals[k])
    if habit_share > 0:
        share = totals[best] / sum(totals.values())
        if share < habit_share or counts[best] < min_count:
            return None
    return values[best]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _key_norm(key: str) -> str:
    key = key.rsplit(".", 1)[-1].lower().replace("-", "_").replace(" ", "_")
    for prefix in _PROFILE_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key.replace("_", "")


def _candidates(value: Any, schema: Mapping[str, Any]) -> list[Any]:
    return value if isinstance(value, list) and "array" not in schema_types(schema) else [value]


def from_mapping(name: str, schema: Mapping[str, Any], data: Mapping[str, Any]) -> Any | None:
    """The value of a profile/environment key that names parameter ``name``, or None."""
    target = _key_norm(name)
    for key, value in _flatten(data).items():
        if _key_norm(key) != target:
            continue
        for option in _candidates(value, schema):
            ok, fitted = coerce(option, schema)
            if ok:
                return fitted
    return None


def enum_from_values(schema: Mapping[str, Any], data: Mapping[str, Any]) -> Any | None:
    """The one value in ``data`` that fits the parameter's enum, whatever its key, or None.

    For an enum parameter whose name matches no key (``region`` vs a profile's ``country``);
    Only string values written exactly as in the enum count; None when no value fits or
    several different ones do.
    """
    enum = schema.get("enum")
    if not isinstance(enum, list):
        return None
    fits = []
    for value in _flatten(data).values():
        for option in _candidates(value, schema):
            if isinstance(option, str) and option in enum and option not in fits:
                fits.append(option)
    return fits[0] if len(fits) == 1 else None


def fill_arguments(
    tool: Tool,
    instruction: str,
    history: Sequence[Interaction] = (),
    weights: NDArray[np.float64] | None = None,
    profile: Mapping[str, Any] | None = None,
    environment: Mapping[str, Any] | None = None,
    *,
    habit_share: float = 0.5,
    min_count: int = 2,
    tools: Mapping[str, Tool] | None = None,
) -> FilledArguments:
    """Fill ``tool``'s parameters for this request and this user.

    Args:
        tool: the chosen tool.
        instruction: the user's request.
        history: the user's past interactions.
        weights: one weight per history item (recency); all 1 when None.
        profile: the user's profile.
        environment: the user's environment.
        habit_share: for parameters not marked personalized/profile/environmental, the
            share of history weight the usual value needs.
        min_count: ... and the number of calls it must appear in.
        tools: the toolset by name, to skip history values that were required by the
            request (see :func:`from_history`).

    Returns:
        The arguments in schema order, with the source of each.
    """
    w = np.ones(len(history)) if weights is None else weights
    personal = set(tool.param_roles.personalized) | set(tool.param_roles.profile)
    personal |= set(tool.param_roles.environmental)
    given = from_instruction(tool, instruction)
    out = FilledArguments()
    for name, schema in tool.properties.items():
        if name in given:
            out.set(name, given[name], "instruction")
            continue
        share = 0.0 if name in personal else habit_share
        count = 1 if name in personal else min_count
        value = from_history(
            name, schema, history, w, habit_share=share, min_count=count, tools=tools
        )
        if value is not None:
            out.set(name, value, "history")
            continue
        for source, data in (("profile", profile), ("environment", environment)):
            value = from_mapping(name, schema, data or {})
            if value is None and name in personal:
                value = enum_from_values(schema, data or {})
            if value is not None:
                out.set(name, value, source)
                break
        if name in out.values or name not in tool.required:
            continue
        if "default" in schema:
            out.set(name, schema["default"], "default")
        elif isinstance(schema.get("enum"), list) and schema["enum"]:
            out.set(name, schema["enum"][0], "default")
    return out
