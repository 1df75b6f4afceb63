"""Comparing a predicted argument value with a gold one, and a predicted call with a gold call.

The comparison is deliberately lenient about *encoding* (how a model happened to spell a value in
JSON) and strict about *content*. :func:`values_match` rules, in the order they are checked:

* ``None`` matches only ``None``.
* A boolean matches the same boolean, or the strings ``"true"`` / ``"false"`` in any case with
  surrounding spaces (``True`` ~ ``"True"`` ~ ``" true "``). A boolean never matches a number.
* A number (``int`` or ``float``, not ``bool``) matches another number of equal value
  (``1 == 1.0``; compared as decimals, so large integers are exact) or a numeric string
  (``"1.50"`` ~ ``1.5``, ``" 2 "`` ~ ``2``, ``"1e3"`` ~ ``1000``). Two *strings* are compared as
  text, never as numbers (``"007"`` does not match ``"7"``).
* Strings match after ``str.strip`` and ``str.casefold`` (``" Paris"`` ~ ``"paris"``).
* Lists (and tuples) match elementwise, in order, with the same length.
* Dicts match when they have exactly the same keys and every value matches recursively.
* Anything else does not match.

The official per-benchmark scorers may be stricter (PEToolBench compares parameter dicts with
``==``); this leniency belongs to petool's unified metrics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from petool.schema import ToolCall

_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BOOL_TEXT = {"true": True, "false": False}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_decimal(value: Any) -> Decimal | None:
    """A number or numeric string as a Decimal; None when it is neither (or not finite)."""
    if _is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    if isinstance(value, str) and _NUMERIC.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _BOOL_TEXT.get(value.strip().casefold())
    return None


def values_match(pred: Any, gold: Any) -> bool:
    """Whether a predicted value counts as the gold value (see the module docstring).

    Args:
        pred: the value the model gave (any JSON value).
        gold: one accepted gold value (any JSON value).

    Returns:
        True when they match under the lenient rules: numbers numerically (also against
        numeric strings), booleans against ``"true"``/``"false"``, strings casefolded and
        stripped, lists in order, dicts by the same keys recursively, ``None`` only to ``None``.
    """
    if pred is None or gold is None:
        return pred is None and gold is None
    if isinstance(pred, bool) or isinstance(gold, bool):
        left, right = _as_bool(pred), _as_bool(gold)
        return left is not None and left == right
    if _is_number(pred) or _is_number(gold):
        if (
            _is_number(pred)
            and _is_number(gold)
            and not (math.isfinite(pred) and math.isfinite(gold))
        ):
            return bool(pred == gold)
        a, b = _as_decimal(pred), _as_decimal(gold)
        return a is not None and b is not None and a == b
    if isinstance(pred, str) and isinstance(gold, str):
        return pred.strip().casefold() == gold.strip().casefold()
    if isinstance(pred, list | tuple) and isinstance(gold, list | tuple):
        if len(pred) != len(gold):
            return False
        return all(values_match(p, g) for p, g in zip(pred, gold, strict=True))
    if isinstance(pred, Mapping) and isinstance(gold, Mapping):
        return set(pred) == set(gold) and all(values_match(pred[k], gold[k]) for k in gold)
    return False


def value_accepted(pred: Any, gold_call: ToolCall, argument: str) -> bool:
    """Whether ``pred`` matches any of the gold call's accepted values for ``argument``."""
    return any(values_match(pred, v) for v in gold_call.accepted_values(argument))


def argument_accepted(pred_call: ToolCall, gold_call: ToolCall, argument: str) -> bool:
    """Whether the predicted call gives ``argument`` a value the gold call accepts."""
    return argument in pred_call.arguments and value_accepted(
        pred_call.arguments[argument], gold_call, argument
    )


def arguments_match(pred_call: ToolCall, gold_call: ToolCall) -> bool:
    """Whether a predicted call's arguments are exactly right for a gold call.

    Every argument of the gold call must be given with an accepted value, and no other
    argument may be given, except one that the gold call lists only in ``alternatives``
    (an optional argument: leaving it out is right, and so is giving an accepted value).
    The tool names are not compared.
    """
    allowed = set(gold_call.arguments) | set(gold_call.alternatives)
    if not set(gold_call.arguments) <= set(pred_call.arguments) <= allowed:
        return False
    return all(argument_accepted(pred_call, gold_call, name) for name in pred_call.arguments)
