"""Model output (text or native ``tool_calls``) to tool calls. Never raises, never evaluates.

:func:`parse_output` returns a :class:`ParseResult` whose ``status`` is ``ok`` (one or more
calls), ``no_call`` (the model explicitly declined) or ``parse_error`` (anything else, with a
message). A parse failure is never an abstention.

Accepted formats
----------------

Native function calls (``tool_calls``, OpenAI's shape), used whenever the list is non-empty:
``[{"type": "function", "function": {"name": ..., "arguments": ...}}]`` where ``arguments``
is a dict, a JSON string, ``""`` or missing (no arguments); an undecodable string is a parse
error. Bare ``{"name": ..., "arguments": ...}`` items are read too.

JSON call objects in text, anywhere in it (fenced or not, prose around them):

* the tool under ``tool_name``, ``api_name``, ``function_name``, ``tool``, ``name``,
  ``function`` or ``api`` (first present wins; keys are case-insensitive, so ToolSpectrum's
  ``{"APP": ..., "API": ..., "params": ...}`` works); ``app``/``app_name`` goes to
  ``ToolCall.app``;
* the arguments under ``parameters``, ``arguments``, ``args`` or ``params``: an object, or a
  string holding one (OpenAI style, PEToolBench's "JSON string"); missing or null = no arguments;
* a call nested in a value that is not one itself, depth first: OpenAI's
  ``{"type": "function", "function": {"name": ..., "arguments": ...}}``, wrappers such as
  ``{"tool_calls": [...]}`` or ``{"thought": ..., "action": {...}}``;
* a list of call objects = several calls;
* values as JSON or Python literals: single quotes, ``True/False/None``, trailing commas,
  comments (see :mod:`petool.parsing.literal`); an object left open at the very end of the
  text is closed (PEToolBench's own example answer lacks its last brace).

Python call syntax: ``tool(a=1, b="x", c=[1, 2])``, dotted names
(``Finance.FxQuick.convert_currency(amount=100)``), several calls as ``[f(a=1), g(b=2)]``.
Positional arguments are a parse error (they cannot be named).

Where to look: ``<think>...</think>`` reasoning is dropped first; Hermes/Qwen
``<tool_call>...</tool_call>`` blocks give one call each; otherwise the contents of fenced
blocks are searched before the whole text. A JSON answer wins over Python call syntax; within
each, the first value that decodes to a call (or to an abstention) wins, and with
``tool_names`` the first whose tools are all known, falling back to the first of any.

Explicit abstention (``no_call``), a deliberately short list (:mod:`petool.parsing.abstain`):

* a call object whose tool is ``null`` or one of ``"none"``, ``"null"``, ``"no_call"``,
  ``"no call"``, ``"no_tool"``, ``"no tool"`` (e.g. ``{"tool_name": null, "parameters": {}}``);
* the whole output (fences, quotes, final punctuation removed) being ``[]``, ``NO_CALL``,
  ``no call``, ``None``, ``null``, ``no tool`` or ``no tool call``;
* when no call was found and nothing call-like failed to parse: a sentence that declines a
  tool ("I cannot call any tool ...", "No tool should be called"), or one saying the request
  violates a policy.

Empty output is a parse error ("empty output"), and so is prose without a call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from petool.parsing.abstain import FENCE, declines, is_none_name
from petool.parsing.literal import (
    MAX_DEPTH,
    LiteralError,
    NestingError,
    read_kwargs,
    read_value,
    read_whole,
)
from petool.schema import ToolCall

ParseOutcome = Literal["ok", "no_call", "parse_error"]

TOOL_KEYS = ("tool_name", "api_name", "function_name", "tool", "name", "function", "api")
ARG_KEYS = ("parameters", "arguments", "args", "params")
APP_KEYS = ("app", "app_name")
#: What of an answer is read: its last 64 KiB after the reasoning is dropped (an answer comes
#: at the end; what is read stays linear in the answer's length).
MAX_TEXT = 64 * 1024
MAX_ATTEMPTS = 2_000  # start positions tried per scan (JSON, Python): bounds the time
# (a value refused for nesting deeper than MAX_DEPTH counts as MAX_DEPTH attempts)
#: Characters read by failed attempts per scan, after which it stops: bounds the time when
#: many starts each read far (one long line after ``#``) before failing.
MAX_FAILED_READ = 2 * MAX_TEXT

_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)>", re.I)
_TOOL_CALL_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.S)
_OPENERS = re.compile(r"[\[{]")
_PY_START = re.compile(r"\[|(?<![\w.])([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\(")
_PY_NAME = re.compile(r"([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\(")
_CALL_KEY = re.compile(
    r"[\"']?(?:tool_name|api_name|function_name|arguments|parameters)[\"']?\s*:", re.I
)


@dataclass(frozen=True)
class ParseResult:
    """The parsed answer: ``status``, the ``calls`` (empty unless ``ok``) and an ``error``."""

    status: ParseOutcome
    calls: list[ToolCall] = field(default_factory=list)
    error: str | None = None

    @property
    def call(self) -> ToolCall | None:
        """The first call, or None."""
        return self.calls[0] if self.calls else None


class _CallError(ValueError):
    """A value shaped like a call that cannot be one (bad arguments, positional arguments)."""


class _PositionalError(_CallError):
    """Python call syntax with positional arguments."""

    def __init__(self, tool: str):
        super().__init__(f"positional arguments in call to '{tool}' (arguments must be named)")
        self.tool = tool


@dataclass
class _Found:
    """A decoded candidate: the calls (empty = abstention)."""

    calls: list[ToolCall]


def _pick(mapping: Mapping[str, Any], keys: Sequence[str]) -> tuple[str | None, Any]:
    lowered = {str(k).lower(): k for k in mapping}
    for key in keys:
        if key in lowered:
            return key, mapping[lowered[key]]
    return None, None


#: Native tool-call arguments longer than this are refused, not read (no tool takes a megabyte).
MAX_ARGUMENTS = 1 << 20


def _decode_arguments(tool: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        if len(raw) > MAX_ARGUMENTS:
            raise _CallError(
                f"arguments of '{tool}' are {len(raw)} characters, over the {MAX_ARGUMENTS}"
                " petool reads"
            )
        if not raw.strip():
            return {}
        try:
            raw = read_whole(raw)
        except LiteralError as exc:
            raise _CallError(f"arguments of '{tool}' are not valid JSON: {exc}") from None
    if isinstance(raw, list) and not raw:
        return {}
    if not isinstance(raw, dict):
        kind = "a list (positional)" if isinstance(raw, list) else type(raw).__name__
        raise _CallError(f"arguments of '{tool}' must be an object, got {kind}")
    return {str(k): v for k, v in raw.items()}


def _decode_object(obj: Mapping[str, Any]) -> _Found | None:
    """A call object, an abstention, or None when ``obj`` is not shaped like a call."""
    key, name = _pick(obj, TOOL_KEYS)
    if key is None or not (name is None or isinstance(name, str)):
        return None
    if name is None or is_none_name(name):
        return _Found([])
    name = name.strip()
    if not name:
        raise _CallError(f"empty tool name under '{key}'")
    _, raw_args = _pick(obj, ARG_KEYS)
    _, app = _pick(obj, APP_KEYS)
    arguments = _decode_arguments(name, raw_args)
    app_name = (app.strip() or None) if isinstance(app, str) else None
    return _Found([ToolCall(tool=name, app=app_name, arguments=arguments)])


def _decode(value: Any) -> _Found | None:
    """Decode a JSON value into calls; None when nothing in it is shaped like a call.

    An object is a call or an abstention; a list whose items all decode is several calls;
    otherwise the first member that decodes, depth first, is taken. So wrappers such as
    ``{"tool_calls": [...]}``, ``{"thought": ..., "action": {...}}`` and OpenAI's
    ``{"type": "function", "function": {"name": ..., "arguments": ...}}`` are read.
    Every member is visited once.
    """
    if isinstance(value, Mapping):
        found = _decode_object(value)
        if found is not None:
            return found
        members = list(value.values())
    elif isinstance(value, list):
        members = value
    else:
        return None
    results = [_decode(m) if isinstance(m, Mapping | list) else None for m in members]
    all_calls = all(isinstance(m, Mapping) for m in members) and None not in results
    if isinstance(value, list) and value and all_calls:
        return _Found([call for r in results if r is not None for call in r.calls])
    return next((r for r in results if r is not None), None)


class _Scan:
    """Collects candidates from regions of text, and the errors of call-like fragments."""

    def __init__(self, tool_names: Sequence[str] | None) -> None:
        self.names = set(tool_names) if tool_names is not None else None
        self.found: dict[str, list[_Found]] = {"json": [], "python": []}
        self.errors: list[str] = []
        self.malformed: str | None = None
        self.attempts = {"json": 0, "python": 0}
        self.failed_read = {"json": 0, "python": 0}  # characters read by failed attempts

    def json(self, text: str) -> None:
        end = 0
        last_key = max((m.start() for m in _CALL_KEY.finditer(text)), default=-1)
        memo: dict[int, Any] = {}  # every container is read once, whichever start reached it
        for match in _OPENERS.finditer(text):
            start = match.start()
            if start < end:
                continue
            if not self._attempt("json"):
                return
            known = start in memo
            try:  # one read closes an object left open at the very end of the text
                value, end = read_value(text, start, close_at_eof=True, memo=memo)
            except LiteralError as exc:
                if start < last_key:
                    self.malformed = self.malformed or str(exc)
                end = self._refused(exc, "json", start, end, known)
                continue
            self._add(value, text[start:end])

    def _attempt(self, kind: str) -> bool:
        """Whether one more start may be tried (:data:`MAX_ATTEMPTS`, :data:`MAX_FAILED_READ`)."""
        self.attempts[kind] += 1
        return self.attempts[kind] <= MAX_ATTEMPTS and self.failed_read[kind] <= MAX_FAILED_READ

    def _refused(self, exc: LiteralError, kind: str, start: int, end: int, known: bool) -> int:
        """Where the next start may lie after a failed read, and what the read cost. A value
        refused for its depth read :data:`MAX_DEPTH` levels: it counts as that many attempts,
        and the starts inside it up to the opener that was too deep are not tried (each would
        read the same levels again: 1 MB of ``[`` took 0.35 s). Any other failure counts the
        characters it read (none when its outcome was already ``known``)."""
        if isinstance(exc, NestingError):
            self.attempts[kind] += MAX_DEPTH - 1
            return max(end, exc.pos)
        if not known:
            self.failed_read[kind] += max(0, exc.pos - start)
        return end

    def _add(self, value: Any, source: str) -> None:
        try:
            found = _decode(value)
        except _CallError as exc:
            self.errors.append(str(exc))
            return
        if found is not None:
            self.found["json"].append(found)
        elif _CALL_KEY.search(source):
            self.errors.append(f"not a tool call: {_clip(source)}")

    def python(self, text: str) -> None:
        end = 0
        for match in _PY_START.finditer(text):
            if match.start() < end:
                continue
            if not self._attempt("python"):
                return
            try:
                if match.group(1) is None:
                    calls, end = _python_list(text, match.end())
                else:
                    calls, end = _python_call(text, match.start())
            except LiteralError as exc:
                end = self._refused(exc, "python", match.start(), end, False)
                continue
            except _PositionalError as exc:
                if self.names is None or exc.tool in self.names:
                    self.errors.append(str(exc))
                continue
            self.found["python"].append(_Found(calls))


def _python_call(text: str, pos: int) -> tuple[list[ToolCall], int]:
    match = _PY_NAME.match(text, pos)
    if match is None:
        raise LiteralError("expected a call", pos)
    kwargs, positional, end = read_kwargs(text, match.end())
    name = match.group(1)
    if positional:
        raise _PositionalError(name)
    return [ToolCall(tool=name, arguments=kwargs)], end


def _python_list(text: str, pos: int) -> tuple[list[ToolCall], int]:
    calls: list[ToolCall] = []
    while True:
        pos = _skip(text, pos)
        if text.startswith("]", pos) and calls:
            return calls, pos + 1
        more, pos = _python_call(text, pos)
        calls += more
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            raise LiteralError("expected ',' or ']'", pos)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _clip(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _strip_reasoning(text: str) -> str:
    """The text after the last closing reasoning tag (all of it when there is none).

    Complete ``<think>...</think>`` blocks and an unopened reasoning prefix both end at a
    closing tag, so dropping everything up to the last one drops them all, in one linear scan
    (a lazy block pattern is quadratic on many unclosed ``<think>`` tags).
    """
    end = None
    for match in _THINK_CLOSE.finditer(text):
        end = match.end()
    return text if end is None else text[end:]


def _regions(text: str) -> Iterator[str]:
    for match in FENCE.finditer(text):
        yield match.group(1)
    yield text


def _known(found: _Found, names: set[str]) -> bool:
    """Whether every call names a known tool (``app.tool`` counts for a call with an app)."""
    return bool(found.calls) and all(
        c.tool in names or f"{c.app}.{c.tool}" in names for c in found.calls
    )


def _choose(found: list[_Found], tool_names: Sequence[str] | None) -> _Found:
    if tool_names is not None:
        names = set(tool_names)
        for item in found:
            if _known(item, names):
                return item
    return found[0]


def _result(found: _Found) -> ParseResult:
    if not found.calls:
        return ParseResult("no_call")
    return ParseResult("ok", found.calls)


def _parse_native(tool_calls: list[Any]) -> ParseResult:
    calls: list[ToolCall] = []
    for i, item in enumerate(tool_calls):
        if not isinstance(item, Mapping):
            return ParseResult("parse_error", error=f"tool_calls[{i}] is not an object")
        function = item.get("function", item)
        if not isinstance(function, Mapping):
            return ParseResult("parse_error", error=f"tool_calls[{i}].function is not an object")
        name = function.get("name")
        if not isinstance(name, str) or not name.strip():
            return ParseResult("parse_error", error=f"tool_calls[{i}] has no function name")
        try:
            arguments = _decode_arguments(name, function.get("arguments"))
        except _CallError as exc:
            return ParseResult("parse_error", error=f"tool_calls[{i}]: {exc}")
        calls.append(ToolCall(tool=name.strip(), arguments=arguments))
    return ParseResult("ok", calls)


def _parse_tagged(text: str, tool_names: Sequence[str] | None) -> ParseResult | None:
    blocks = [m.group(1) for m in _TOOL_CALL_TAG.finditer(text)]
    if not blocks:
        return None
    calls: list[ToolCall] = []
    for block in blocks:
        result = _parse_text(block, tool_names, tagged=False)
        if result.status == "parse_error":
            return result
        calls += result.calls
    return ParseResult("ok", calls) if calls else ParseResult("no_call")


def bounded_answer(text: str) -> str:
    """What of a model's text is read: reasoning dropped, then at most the last MAX_TEXT."""
    text = _strip_reasoning(text)
    return text[-MAX_TEXT:] if len(text) > MAX_TEXT else text


def _parse_text(text: str, tool_names: Sequence[str] | None, *, tagged: bool = True) -> ParseResult:
    text = bounded_answer(text)
    if not text.strip():
        return ParseResult("parse_error", error="empty output")
    if tagged:
        result = _parse_tagged(text, tool_names)
        if result is not None:
            return result
    scan = _Scan(tool_names)
    for region in _regions(text):
        scan.json(region)
    for region in _regions(text):
        scan.python(region)
    for kind in ("json", "python"):
        if scan.found[kind]:
            return _result(_choose(scan.found[kind], tool_names))
    if scan.errors:
        return ParseResult("parse_error", error=scan.errors[0])
    if _CALL_KEY.search(text):
        reason = f": {scan.malformed}" if scan.malformed else ""
        return ParseResult("parse_error", error=f"malformed tool call{reason}")
    if declines(text):
        return ParseResult("no_call")
    return ParseResult("parse_error", error=f"no tool call found in output: {_clip(text)}")


def _rename(result: ParseResult, name_map: Mapping[str, str] | None) -> ParseResult:
    if not name_map or not result.calls:
        return result
    calls = [c.model_copy(update={"tool": name_map.get(c.tool, c.tool)}) for c in result.calls]
    return ParseResult(result.status, calls, result.error)


def _qualify(result: ParseResult, tool_names: Sequence[str] | None) -> ParseResult:
    """Name a call ``app.tool`` when only that qualified name is a known tool."""
    if tool_names is None or not result.calls:
        return result
    names = set(tool_names)
    calls = [
        c.model_copy(update={"tool": f"{c.app}.{c.tool}"})
        if c.tool not in names and c.app and f"{c.app}.{c.tool}" in names
        else c
        for c in result.calls
    ]
    return ParseResult(result.status, calls, result.error)


def _known_names(
    tool_names: Sequence[str] | None, name_map: Mapping[str, str] | None
) -> list[str] | None:
    if tool_names is None:
        return None
    names = list(tool_names)
    return names + [safe for safe, original in (name_map or {}).items() if original in names]


def parse_output(
    text: str | None,
    tool_calls: list[dict[str, Any]] | None = None,
    *,
    tool_names: Sequence[str] | None = None,
    name_map: Mapping[str, str] | None = None,
) -> ParseResult:
    """Parse a model's answer into tool calls (see the module docstring for the formats).

    Args:
        text: The model's text output.
        tool_calls: Native function calls in OpenAI's shape; when non-empty they are the answer.
        tool_names: The candidate tools; among several decodable values, the first whose
            tools are all known is preferred.
        name_map: Safe function names to original tool names (from
            :func:`petool.prompts.tools_as_openai_functions`), applied to every parsed call.

    Returns:
        A :class:`ParseResult`; any failure (including an unexpected exception) is a
        ``parse_error`` with a message, never an exception.
    """
    try:
        if tool_calls:
            result = _parse_native(list(tool_calls))
        elif text is None or not text.strip():
            result = ParseResult("parse_error", error="empty output")
        else:
            result = _parse_text(text, _known_names(tool_names, name_map))
        return _qualify(_rename(result, name_map), tool_names)
    except Exception as exc:  # the contract: never raise
        return ParseResult("parse_error", error=f"parser failure: {type(exc).__name__}: {exc}")
