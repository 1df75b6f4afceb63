"""Argument values and natural instructions for the demo suite.

Every required value appears verbatim in the instruction, in schema order: enum values as
written in the enum, numbers as plain digits, dates as ISO ``YYYY-MM-DD``, free text inside
double quotes. :func:`instruction_spans` is the check (the generator and the tests use it).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from petool.synth.demo_catalog import FunctionalGroup

_FIRST_DAY = dt.date(2026, 1, 5)
_DAYS = 355


def render_value(value: Any) -> str:
    """How a required value is written in an instruction (without template quotes)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sample_one(rng: random.Random, spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    kind = spec["kind"]
    if kind == "enum":
        return rng.choice(schema["enum"])
    if kind in ("text", "choice"):
        return rng.choice(spec["choices"])
    if kind == "date":
        return (_FIRST_DAY + dt.timedelta(days=rng.randrange(_DAYS))).isoformat()
    lo, hi, step = spec["min"], spec["max"], spec.get("step", 1)
    n = round((hi - lo) / step)
    value = lo + step * rng.randint(0, n)
    if kind == "int" or float(value).is_integer():
        return int(value)
    return round(float(value), 6)


def sample_required(group: FunctionalGroup, rng: random.Random) -> dict[str, Any]:
    """Values for the group's required parameters.

    A sampler may say ``distinct_from`` (differ from an earlier value) or ``same_index_as``
    (take the choice at the same position as an earlier text value, e.g. an email's body
    matching its subject).
    """
    props = group.parameters["properties"]
    args: dict[str, Any] = {}
    for name in group.required:
        spec = group.samplers[name]
        paired = spec.get("same_index_as")
        if paired is not None:
            args[name] = spec["choices"][group.samplers[paired]["choices"].index(args[paired])]
            continue
        value = _sample_one(rng, spec, props[name])
        other = spec.get("distinct_from")
        while other is not None and value == args.get(other):
            value = _sample_one(rng, spec, props[name])
        args[name] = value
    return args


def render_instruction(group: FunctionalGroup, args: dict[str, Any], rng: random.Random) -> str:
    """Fill one of the group's templates with the required values."""
    template = rng.choice(group.templates)
    values = {n: render_value(args[n]) for n in group.required}
    return template.format(**values)


def expected_snippets(group: FunctionalGroup, args: dict[str, Any]) -> list[str]:
    """The text each required value must show in the instruction, in schema order."""
    out = []
    for name in group.required:
        text = render_value(args[name])
        out.append(f'"{text}"' if group.samplers[name]["kind"] == "text" else text)
    return out


def instruction_spans(instruction: str, snippets: list[str]) -> list[int] | None:
    """Start offsets of ``snippets`` found one after another, or None if one is missing."""
    pos, starts = 0, []
    for snippet in snippets:
        at = instruction.find(snippet, pos)
        if at < 0:
            return None
        starts.append(at)
        pos = at + len(snippet)
    return starts
