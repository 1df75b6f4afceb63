"""A tolerant reader of JSON and Python-literal-ish values that models write. Never evaluates.

A superset of JSON, written by hand so that model text is only ever *read*, never run:

* strings in double, single or triple quotes, with JSON and Python escapes (``\\n``,
  ``\\uXXXX`` including surrogate pairs, ``\\UXXXXXXXX``, ``\\xXX``, octal); an unknown
  or truncated escape (``\\q``, ``C:\\Users``) keeps its backslash;
* numbers as in JSON plus a leading ``+``, ``.5`` and ``5.``; ``Infinity``, ``-Infinity``
  and ``NaN`` as ``json.dumps`` writes them;
* ``true``/``false``/``null`` and Python's ``True``/``False``/``None``;
* objects with string, number or bare identifier keys; lists; Python tuples (read as lists);
* trailing commas, ``//``, ``/* */`` and ``#`` comments between tokens;
* Python keyword-argument lists (``a=1, b='x'``) for call syntax.

Nesting is limited to :data:`MAX_DEPTH` levels (deeper is a :class:`NestingError`). Errors
are :class:`LiteralError` with the position where reading stopped and whether the text simply
ended too early (``eof``).

Why by hand: a rebuild on ``tokenize`` and ``ast`` was tried; it came out no shorter (about
300 lines once self-contained), four times slower, and still read differently what this
reader accepts and Python does not (``//`` and ``/* */`` comments, raw newlines inside quoted
strings, ``07``, keywords such as ``from`` as keys and argument names) and where errors lie.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 100

_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/|#[^\n]*)+", re.S)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_SPECIAL_NUMBER = re.compile(r"(-?)(Infinity|NaN)(?!\w)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KWARG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
_STRINGS = {
    '"""': re.compile(r'"""((?:[^\\]|\\.)*?)"""', re.S),
    "'''": re.compile(r"'''((?:[^\\]|\\.)*?)'''", re.S),
    '"': re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S),
    "'": re.compile(r"'([^'\\]*(?:\\.[^'\\]*)*)'", re.S),
}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[0-7]{1,3}|\n|.)", re.S)
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "a": "\a",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
    "\n": "",
}
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_CONSTANTS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
_CLOSERS = {"{": "}", "[": "]", "(": ")"}
_JSON = json.JSONDecoder()


class LiteralError(ValueError):
    """Text that is not a readable value; ``pos`` is where reading stopped."""

    def __init__(self, message: str, pos: int, *, eof: bool = False):
        super().__init__(f"{message} at offset {pos}")
        self.pos = pos
        self.eof = eof


class NestingError(LiteralError):
    """A value nested deeper than :data:`MAX_DEPTH`; ``pos`` is the opener that was too deep."""


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    head = code[0]
    if head in ("u", "U", "x") and len(code) > 1:  # a truncated one is unknown: kept
        value = int(code[1:], 16)
        if value > 0x10FFFF:
            return match.group(0)
        return chr(value)
    if head.isdigit():
        return chr(int(code, 8))
    return _SIMPLE_ESCAPES.get(code, match.group(0))


def _join_surrogates(match: re.Match[str]) -> str:
    high, low = (ord(c) for c in match.group(0))
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def unescape(body: str) -> str:
    """Decode the escapes of a string literal's body (JSON and Python escapes)."""
    if "\\" not in body:
        return body
    text = _ESCAPE.sub(_unescape_one, body)
    return _SURROGATE_PAIR.sub(_join_surrogates, text)


class _Reader:
    """Recursive-descent reader over ``text``; ``close_at_eof`` closes containers left open;
    ``memo`` (when given) gets the outcome of every container read, by its opener's offset."""

    def __init__(
        self, text: str, *, close_at_eof: bool = False, memo: dict[int, Any] | None = None
    ):
        self.text = text
        self.close_at_eof = close_at_eof
        self.memo = memo

    def skip(self, pos: int) -> int:
        match = _SKIP.match(self.text, pos)
        return match.end() if match else pos

    def fail(self, message: str, pos: int) -> LiteralError:
        return LiteralError(message, pos, eof=pos >= len(self.text))

    def value(self, pos: int, depth: int = 0) -> tuple[Any, int]:
        pos = self.skip(pos)
        if pos >= len(self.text):
            raise self.fail("expected a value, found the end of the text", pos)
        char = self.text[pos]
        if char in _CLOSERS:
            if depth >= MAX_DEPTH:
                raise NestingError(f"nested deeper than {MAX_DEPTH} levels", pos)
            return self.container(pos, char, depth + 1)
        if char in "\"'":
            return self.string(pos)
        special = _SPECIAL_NUMBER.match(self.text, pos) if char in "-IN" else None
        if special:
            number = math.nan if special.group(2) == "NaN" else math.inf
            return (-number if special.group(1) else number), special.end()
        number_match = _NUMBER.match(self.text, pos)
        if number_match:
            return self.number(number_match.group(0), pos), number_match.end()
        ident = _IDENT.match(self.text, pos)
        if ident and ident.group(0) in _CONSTANTS:
            return _CONSTANTS[ident.group(0)], ident.end()
        raise self.fail(f"unexpected {self.text[pos]!r}", pos)

    def container(self, pos: int, char: str, depth: int) -> tuple[Any, int]:
        """The object, list or tuple opening at ``pos``; its outcome goes to ``memo``."""
        try:
            if char == "{":
                result: tuple[Any, int] = self.mapping(pos + 1, depth)
            else:
                result = self.sequence(pos + 1, _CLOSERS[char], depth)
        except NestingError:
            raise  # read from a shallower start, the same container may fit
        except LiteralError as exc:
            if self.memo is not None:
                self.memo[pos] = exc
            raise
        if self.memo is not None:
            self.memo[pos] = result
        return result

    def number(self, token: str, pos: int) -> int | float:
        try:
            if "." in token or "e" in token or "E" in token:
                return float(token)
            return int(token)
        except ValueError as exc:  # e.g. more digits than int() accepts
            raise LiteralError(f"unreadable number ({exc})", pos) from None

    def string(self, pos: int) -> tuple[str, int]:
        for quote in ('"""', "'''", self.text[pos]):
            if self.text.startswith(quote, pos):
                match = _STRINGS[quote].match(self.text, pos)
                if match:
                    return unescape(match.group(1)), match.end()
                if len(quote) == 1:
                    break
        raise LiteralError("unterminated string", pos, eof=True)

    def key(self, pos: int) -> tuple[str, int]:
        char = self.text[pos]
        if char in "\"'":
            return self.string(pos)
        ident = _IDENT.match(self.text, pos)
        if ident:
            return ident.group(0), ident.end()
        number_match = _NUMBER.match(self.text, pos)
        if number_match:
            return str(self.number(number_match.group(0), pos)), number_match.end()
        raise self.fail(f"expected a key, found {char!r}", pos)

    def mapping(self, pos: int, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        while True:
            pos = self.skip(pos)
            if pos >= len(self.text):
                if self.close_at_eof:
                    return result, pos
                raise self.fail("unclosed object", pos)
            if self.text[pos] == "}":
                return result, pos + 1
            key, pos = self.key(pos)
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail("expected ':' after a key", pos)
            result[key], pos = self.value(pos + 1, depth)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos += 1
            elif pos < len(self.text) and self.text[pos] != "}":
                raise self.fail("expected ',' or '}'", pos)

    def sequence(self, pos: int, closer: str, depth: int) -> tuple[Any, int]:
        items: list[Any] = []
        trailing_comma = False
        while True:
            pos = self.skip(pos)
            if pos >= len(self.text):
                if self.close_at_eof:
                    return items, pos
                raise self.fail(f"unclosed list (expected '{closer}')", pos)
            if self.text[pos] == closer:
                if closer == ")" and len(items) == 1 and not trailing_comma:
                    return items[0], pos + 1  # (x) is x, (x,) is a tuple
                return items, pos + 1
            item, pos = self.value(pos, depth)
            items.append(item)
            pos = self.skip(pos)
            trailing_comma = self.text.startswith(",", pos)
            if trailing_comma:
                pos += 1
            elif pos < len(self.text) and self.text[pos] != closer:
                raise self.fail(f"expected ',' or '{closer}'", pos)

    def kwargs(self, pos: int) -> tuple[dict[str, Any], int, int]:
        result: dict[str, Any] = {}
        positional = 0
        while True:
            pos = self.skip(pos)
            if pos >= len(self.text):
                raise self.fail("unclosed call (expected ')')", pos)
            if self.text[pos] == ")":
                return result, positional, pos + 1
            named = _KWARG.match(self.text, pos)
            if named:
                result[named.group(1)], pos = self.value(named.end(), 1)
            else:
                _, pos = self.value(pos, 1)
                positional += 1
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos += 1
            elif pos < len(self.text) and self.text[pos] != ")":
                raise self.fail("expected ',' or ')'", pos)


def read_value(
    text: str, pos: int = 0, *, close_at_eof: bool = False, memo: dict[int, Any] | None = None
) -> tuple[Any, int]:
    """Read one value starting at ``pos``.

    Args:
        text: The text to read from.
        pos: Where the value starts (leading whitespace and comments are skipped).
        close_at_eof: Close objects and lists that are still open when the text ends.
        memo: The outcomes of the containers read so far in ``text`` (always with the same
            ``close_at_eof``), consulted and filled here: a scan that tries every opener of a
            text reads each container once (the value, or the error, is the same from any
            start; only the depth limit depends on where reading began, and is not kept).

    Returns:
        The value and the offset just after it.

    Raises:
        LiteralError: The text at ``pos`` is not a readable value.
    """
    if memo is not None and pos in memo:
        known = memo[pos]
        if isinstance(known, LiteralError):
            raise known.with_traceback(None)
        return known
    if pos < len(text) and text[pos] in "{[":
        try:  # strict JSON, the common case, at C speed
            return _JSON.raw_decode(text, pos)
        except (ValueError, RecursionError):
            pass
    return _Reader(text, close_at_eof=close_at_eof, memo=memo).value(pos)


def read_whole(text: str) -> Any:
    """Read ``text`` as exactly one value (surrounding whitespace and comments allowed).

    Raises:
        LiteralError: The text is not one readable value.
    """
    reader = _Reader(text)
    value, end = reader.value(0)
    end = reader.skip(end)
    if end != len(text):
        raise LiteralError("unexpected text after the value", end)
    return value


def read_kwargs(text: str, pos: int) -> tuple[dict[str, Any], int, int]:
    """Read a Python argument list that starts just after its ``(``.

    Returns:
        The keyword arguments, the number of positional arguments, and the offset after ``)``.

    Raises:
        LiteralError: An argument is not a readable literal or the list is not closed.
    """
    return _Reader(text).kwargs(pos)


def skip_space(text: str, pos: int) -> int:
    """The offset of the first character at or after ``pos`` that is not space or comment."""
    return _Reader(text).skip(pos)
