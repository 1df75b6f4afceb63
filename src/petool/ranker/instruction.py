"""Values written in an instruction, and fitting values to a parameter's JSON Schema.

The instruction gives enum values as written in the enum, numbers, ISO dates and
double-quoted strings. :func:`from_instruction` hands them to a tool's parameters of matching
type in schema order (required parameters first). :func:`coerce` fits any value to a
parameter's schema (enum spelling, integer/number/boolean/string).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from petool.schema import Tool

_QUOTED_RE = re.compile(r"\"([^\"]*)\"|“([^”]*)”")
_DATE_RE = re.compile(
    r"(?<![\w-])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w-])"
)
_NUMBER_RE = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|\.\d)")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    value: Any
    kind: str  # "quoted" | "date" | "number"


def schema_types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON Schema ``type`` of a property as a set of names (empty: any type)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return {str(k) for k in kind}
    return {str(kind)} if kind else set()


def coerce(value: Any, schema: Mapping[str, Any]) -> tuple[bool, Any]:
    """Fit ``value`` to a JSON Schema property; returns (ok, fitted value).

    Enum values match case-insensitively and come back in the enum's own spelling.
    """
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        for option in enum:
            if option == value or (
                not isinstance(option, bool) and str(option).lower() == str(value).lower()
            ):
                return True, option
        return False, None
    types = schema_types(schema)
    if not types:
        return True, value
    if "boolean" in types:
        if isinstance(value, bool):
            return True, value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True, True
        if text in ("false", "no", "off", "0"):
            return True, False
    if types & {"integer", "number"} and not isinstance(value, bool):
        number = _to_number(value)
        if number is not None:
            if number == int(number):
                return True, int(number)
            if "number" in types:
                return True, number
    if "string" in types and isinstance(value, str | int | float) and not isinstance(value, bool):
        return True, str(value)
    if "array" in types and isinstance(value, list):
        return True, value
    if "object" in types and isinstance(value, dict):
        return True, value
    return False, None


def _to_number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _is_date_param(name: str, schema: Mapping[str, Any]) -> bool:
    fmt = str(schema.get("format", ""))
    if fmt in ("date", "date-time"):
        return True
    hint = f"{name} {schema.get('description', '')}".lower()
    return "date" in name.lower() or "yyyy-mm-dd" in hint


def _overlaps(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


@lru_cache(maxsize=2048)
def _scan(instruction: str) -> tuple[_Span, ...]:
    """Quoted strings, ISO dates and numbers in the instruction, in text order (kept for
    the instructions seen last: every candidate tool of a task scans the same one)."""
    spans: list[_Span] = []
    taken: list[tuple[int, int]] = []
    for m in _QUOTED_RE.finditer(instruction):
        text = m.group(1) if m.group(1) is not None else m.group(2)
        spans.append(_Span(m.start(), m.end(), text, "quoted"))
        taken.append((m.start(), m.end()))
    for m in _DATE_RE.finditer(instruction):
        if not _overlaps(taken, m.start(), m.end()):
            spans.append(_Span(m.start(), m.end(), m.group(0), "date"))
            taken.append((m.start(), m.end()))
    for m in _NUMBER_RE.finditer(instruction):
        if not _overlaps(taken, m.start(), m.end()):
            spans.append(_Span(m.start(), m.end(), m.group(0).replace(",", ""), "number"))
    return tuple(sorted(spans, key=lambda s: s.start))


def _ordered_params(tool: Tool) -> list[str]:
    required = [p for p in tool.properties if p in tool.required]
    return required + [p for p in tool.properties if p not in required]


def _distinctive(text: str) -> bool:
    """Whether an enum value is unlikely to be an ordinary word ("metric", "US", not "it")."""
    return len(text) >= 3 or text != text.lower()


@lru_cache(maxsize=4096)
def _enum_pattern(texts: tuple[str, ...], strict: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    flags = 0 if strict else re.IGNORECASE
    return re.compile(r"(?<![\w-])(?:" + alternatives + r")(?![\w-])", flags)


def _enum_occurrences(
    instruction: str, enum: list[Any], quoted: Sequence[_Span], strict: bool
) -> list[tuple[int, int, Any]]:
    """Where enum values are written (longest first); inside quotes only as the whole text.

    ``strict``: exact case and distinctive values only (for optional parameters).
    """
    options: dict[str, Any] = {}
    for option in enum:
        if isinstance(option, bool) or option is None:
            continue
        text = str(option)
        if not text.strip() or (strict and not _distinctive(text)):
            continue
        options.setdefault(text if strict else text.lower(), option)
    if not options:
        return []
    found = []
    for m in _enum_pattern(tuple(options), strict).finditer(instruction):
        around = [q for q in quoted if q.start < m.start() and m.end() < q.end]
        if any(q.start + 1 != m.start() or m.end() != q.end - 1 for q in around):
            continue
        key = m.group(0) if strict else m.group(0).lower()
        found.append((m.start(), m.end(), options[key]))
    return found


def from_instruction(tool: Tool, instruction: str) -> dict[str, Any]:
    """Values the instruction gives for the tool's parameters.

    Enum parameters take the earliest enum value written in the text that no earlier
    parameter took; the other parameters take quoted strings, ISO dates and numbers of
    their type, in order of appearance, parameters in schema order (required first).
    """
    order = _ordered_params(tool)
    props = tool.properties
    required = set(tool.required)
    found: dict[str, Any] = {}
    used: list[tuple[int, int]] = []
    scanned = _scan(instruction)
    quoted = [s for s in scanned if s.kind == "quoted"]
    for name in order:
        enum = props[name].get("enum")
        if not isinstance(enum, list) or not enum:
            continue
        strict = name not in required
        for start, end, option in _enum_occurrences(instruction, enum, quoted, strict):
            if not _overlaps(used, start, end):
                found[name] = option
                used.append((start, end))
                break
    spans = [s for s in scanned if not _overlaps(used, s.start, s.end)]
    for name in order:
        if name in found:
            continue
        schema = props[name]
        types = schema_types(schema)
        if isinstance(schema.get("enum"), list) and schema.get("enum"):
            wanted = {"number", "quoted"}
        elif "string" in types or not types:
            wanted = {"date"} if _is_date_param(name, schema) else {"quoted"}
        elif types & {"integer", "number"}:
            wanted = {"number"}
        else:
            continue
        for span in spans:
            if span.kind not in wanted:
                continue
            ok, value = coerce(span.value, schema)
            if ok:
                found[name] = value
                spans.remove(span)
                break
    return found
