"""The structure inside PEToolBench's rendered prompts: interaction history, candidates.

PEToolBench ships each test entry's prompts already rendered (``instruction_preferred``,
``instruction_ratings``, ``instruction_chronological``): the authors' template
(travis-xu/PEToolBench ``prompts/prompt_template.py``, ``FORMAT_ENTRY_INPUT``) with the
interaction history and the candidate tools embedded as JSON lists after two fixed markers::

    Interaction history is:
    [{"instruction": ..., "tool_call": {"tool_name": ..., "parameters": {...}}, "rating": 1}, ...]

    Available tools you can call with input parameters are listed here:
    [{"tool_name": ..., "tool_description": ..., "required_parameters": [...],
      "optional_parameters": [...]}, ...]

This module decodes those lists (with :meth:`json.JSONDecoder.raw_decode`, so text around
them does not matter): the history becomes :class:`~petool.schema.Interaction` (ratings
``1``/``0`` become ``+1``/``-1``; ``step`` is the position in the shown list, so the
chronological order is kept); the candidate specs are returned as they are (the loader makes
them tools with :mod:`petool.suites.petoolbench.tools`). Every function raises
:class:`ValueError` with a short reason; the loader adds file and entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

from petool.schema import HistoryMode, Interaction, ToolCall
from petool.suites.petoolbench.tools import split_tool_name

HISTORY_MARKER = "Interaction history is:"
TOOLS_MARKER = "Available tools you can call with input parameters are listed here:"
_RATED_PHRASE = "binary ratings"
_CHRONO_PHRASE = "chronological order"
_DECODER = json.JSONDecoder()


class PromptParts(NamedTuple):
    """The JSON lists embedded in a rendered PEToolBench prompt."""

    history: list[dict[str, Any]]
    candidates: list[dict[str, Any]]


def _list_after(text: str, marker: str, start: int = 0) -> tuple[list[Any], int]:
    """Decode the JSON list that follows ``marker`` (at or after ``start``)."""
    at = text.find(marker, start)
    if at < 0:
        raise ValueError(f"marker '{marker}' not found")
    pos = at + len(marker)
    while pos < len(text) and text[pos].isspace():
        pos += 1
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the JSON after '{marker}' does not decode ({exc.msg})") from None
    if not isinstance(value, list):
        raise ValueError(f"expected a JSON list after '{marker}', got {type(value).__name__}")
    return value, end


def parse_prompt(text: str) -> PromptParts:
    """Decode the interaction history and the candidate tools of a rendered prompt.

    Args:
        text: an ``instruction_*`` field of a test entry (or the ``instruction`` of a
            LLaMA-Factory training row, which uses the same template).

    Returns:
        The raw history items and candidate specs, in prompt order.

    Raises:
        ValueError: a marker is missing or the JSON after it does not decode to a list of
            objects.
    """
    history, end = _list_after(text, HISTORY_MARKER)
    candidates, _ = _list_after(text, TOOLS_MARKER, end)
    for what, items in (("history", history), ("candidate", candidates)):
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValueError(f"{what} item {i} is {type(item).__name__}, not an object")
    return PromptParts(history, candidates)


def detect_mode(text: str) -> HistoryMode:
    """The history mode a rendered prompt was written for (from its description sentence)."""
    head = text.split(HISTORY_MARKER, 1)[0]
    if _RATED_PHRASE in head:
        return "rated"
    if _CHRONO_PHRASE in head:
        return "chronological"
    return "preferred"


def _call(raw: Any, where: str) -> ToolCall:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object with tool_name and parameters")
    name = raw.get("tool_name")
    params = raw.get("parameters")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: 'tool_name' must be a non-empty string")
    if not isinstance(params, dict):
        raise ValueError(f"{where}: 'parameters' must be an object")
    return ToolCall(tool=name, arguments=params)


def native_call(raw: Any, where: str = "call") -> ToolCall:
    """A native ``{"tool_name", "parameters"}`` object (or its JSON text) as a ToolCall.

    Raises:
        ValueError: not an object with a non-empty ``tool_name`` and a ``parameters`` object.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
    return _call(raw, where)


def history_interactions(
    items: Iterable[Mapping[str, Any]], mode: HistoryMode
) -> list[Interaction]:
    """History items of a prompt as Interactions (``step`` = position in the prompt).

    Each call's ``app`` is the provider part of its tool name (gold calls keep ``app`` unset,
    so an answer rendered from them keeps the native ``{"tool_name", "parameters"}`` shape).

    Ratings are read in ``rated`` mode only: ``1`` is liked (+1), ``0`` disliked (-1).

    Raises:
        ValueError: an item lacks its instruction or call, or has a rating other than 0/1.
    """
    out: list[Interaction] = []
    for step, item in enumerate(items):
        where = f"history item {step}"
        instruction = item.get("instruction", "")
        if not isinstance(instruction, str):
            raise ValueError(f"{where}: 'instruction' must be a string")
        call = _call(item.get("tool_call"), f"{where}: 'tool_call'")
        parts = split_tool_name(call.tool)
        if parts is not None:
            call.app = parts[1]
        rating: Literal[1, -1] | None = None
        if mode == "rated":
            raw = item.get("rating")
            if isinstance(raw, bool) or raw not in (0, 1):
                raise ValueError(f"{where}: 'rating' must be 0 or 1 in rated mode, got {raw!r}")
            rating = 1 if raw == 1 else -1
        out.append(Interaction(instruction=instruction, call=call, rating=rating, step=step))
    return out
