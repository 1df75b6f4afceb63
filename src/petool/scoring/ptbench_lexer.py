"""Tokens of Python expression source, for the PTBench answer reader. Never evaluates.

Python 3.9's tokenizer rules for what :mod:`petool.scoring.ptbench_parse` covers: names
(Unicode, NFKC-normalized), numbers, strings with every prefix but ``f`` and every escape,
operators, comments, backslash continuations; brackets must balance (at most 200 deep), and
outside brackets a new line ends the expression.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 200  # Python's tokenizer refuses more than 200 nested brackets

KEYWORDS = frozenset(
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield",
    }
)  # fmt: skip
UNSUPPORTED_KEYWORDS = frozenset({"lambda", "await", "yield"})
_OPS = (
    "...", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", ":=",
    "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "@", "=",
    "+", "-", "*", "/", "%", "~", "&", "|", "^", "<", ">",
)  # fmt: skip
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_SPACE = re.compile(r"(?:[ \t\f\r\n]+|#[^\r\n]*|\\(?:\r\n|\r|\n))*")
_DIGITS = r"[0-9](?:_?[0-9])*"
_EXPONENT = rf"[eE][-+]?{_DIGITS}"
_FLOAT = rf"(?:{_DIGITS}\.(?:{_DIGITS})?|\.{_DIGITS})(?:{_EXPONENT})?|{_DIGITS}{_EXPONENT}"
_IMAG = re.compile(rf"(?:{_FLOAT}|{_DIGITS})[jJ]")
_FLOAT_RE = re.compile(_FLOAT)
_INT = re.compile(
    r"0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?0)*(?![0-9_])|[1-9](?:_?[0-9])*"
)
_CONTINUATION = re.compile(r"\\(?:\r\n|\r|\n)")
_NEWLINE = re.compile(r"[\r\n]")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_NAME = re.compile(r"[^\W\d]\w*")
_STRING_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb", "f", "fr", "rf"})
_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
    "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_HEX_SIZES = {"x": 2, "u": 4, "U": 8}
_HEX = re.compile(r"[0-9a-fA-F]+")


class PTBenchSyntaxError(ValueError):
    """Text that Python's parser would reject (or syntax this reader does not cover)."""

    def __init__(self, message: str, pos: int):
        super().__init__(f"{message} at offset {pos}")
        self.pos = pos


@dataclass(frozen=True)
class Token:
    """One token: kind ``name``, ``number``, ``string``, ``op`` or ``end``."""

    kind: str
    text: str
    pos: int
    value: Any = None
    prefix: str = ""


def _decode_escapes(body: str, is_bytes: bool, pos: int) -> str:
    """Decode the escapes of a non-raw string body as Python does (bytes: as latin-1 text)."""
    out: list[str] = []
    i = 0
    while True:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            return "".join(out)
        out.append(body[i:j])
        code = body[j + 1]  # a body never ends with a lone backslash
        i = j + 2
        if code in "\r\n":
            i += code == "\r" and body.startswith("\n", i)
        elif code in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[code])
        elif code in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[j + 1 :]).group(0)  # type: ignore[union-attr]
            i = j + 1 + len(digits)
            value = int(digits, 8)
            out.append(chr(value & 0xFF if is_bytes else value))
        elif code in _HEX_SIZES and not (is_bytes and code != "x"):
            hexa = body[i : i + _HEX_SIZES[code]]
            if len(hexa) < _HEX_SIZES[code] or not _HEX.fullmatch(hexa):
                raise PTBenchSyntaxError(f"truncated \\{code} escape", pos)
            if int(hexa, 16) > 0x10FFFF:
                raise PTBenchSyntaxError("illegal Unicode character", pos)
            out.append(chr(int(hexa, 16)))
            i += len(hexa)
        elif code == "N" and not is_bytes:
            named = re.match(r"\{([^}]*)\}", body[i:])
            if named is None:
                raise PTBenchSyntaxError("malformed \\N character escape", pos)
            try:
                out.append(unicodedata.lookup(named.group(1)))
            except KeyError:
                raise PTBenchSyntaxError("unknown Unicode character name", pos) from None
            i += named.end()
        else:  # an unknown escape keeps its backslash
            out.append("\\" + code)


def _ends_line(space: str) -> bool:
    """Whether skipped space/comments hold a newline that is not a backslash continuation."""
    return bool(_NEWLINE.search(_CONTINUATION.sub("", space)))


class _Lexer:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth: list[str] = []

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        bad = _FORBIDDEN.search(text)
        if bad is not None:
            raise PTBenchSyntaxError("null byte or lone surrogate in source", bad.start())
        while True:
            start = self.pos
            self.pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
            ended = out and not self.depth and _ends_line(text[start : self.pos])
            if ended and self.pos < len(text):  # eval mode: nothing may follow on a new line
                raise PTBenchSyntaxError("unexpected text after the expression", self.pos)
            if self.pos >= len(text):
                if self.depth:
                    raise PTBenchSyntaxError(f"'{self.depth[-1]}' was never closed", self.pos)
                out.append(Token("end", "", self.pos))
                return out
            out.append(self._next())

    def _next(self) -> Token:
        text, pos = self.text, self.pos
        char = text[pos]
        if char.isdigit() or (char == "." and pos + 1 < len(text) and text[pos + 1].isdigit()):
            return self._number()
        name = _NAME.match(text, pos)
        if name is not None:
            word = name.group(0)
            rest = name.end()
            if word.lower() in _STRING_PREFIXES and rest < len(text) and text[rest] in "'\"":
                return self._string(word.lower(), rest)
            self.pos = rest
            if not word.isascii():
                word = unicodedata.normalize("NFKC", word)
                if not word.isidentifier():
                    raise PTBenchSyntaxError("invalid character in identifier", pos)
            return Token("name", word, pos)
        if char in "'\"":
            return self._string("", pos)
        for op in _OPS:
            if text.startswith(op, pos):
                self.pos = pos + len(op)
                self._track(op, pos)
                return Token("op", op, pos)
        raise PTBenchSyntaxError(f"invalid character {char!r}", pos)

    def _track(self, op: str, pos: int) -> None:
        if op in _OPENERS:
            self.depth.append(op)
            if len(self.depth) > MAX_DEPTH:
                raise PTBenchSyntaxError("too many nested parentheses", pos)
        elif op in (")", "]", "}"):
            if not self.depth or _OPENERS[self.depth[-1]] != op:
                raise PTBenchSyntaxError(f"unmatched '{op}'", pos)
            self.depth.pop()

    def _number(self) -> Token:
        text, pos = self.text, self.pos
        for pattern, kind in ((_IMAG, "imag"), (_FLOAT_RE, "float"), (_INT, "int")):
            match = pattern.match(text, pos)
            if match is None:
                continue
            end = match.end()
            # what follows is the parser's business (``1if c else 2``, ``0x1F.real``)
            literal = match.group(0).replace("_", "")
            self.pos = end
            try:
                if kind == "imag":
                    value: Any = complex(0.0, float(literal[:-1]))
                elif kind == "float":
                    value = float(literal)
                elif literal[:2].lower() in ("0x", "0o", "0b"):
                    value = int(literal[2:], {"x": 16, "o": 8, "b": 2}[literal[1].lower()])
                else:
                    value = int(literal)
            except ValueError:  # e.g. more digits than int() converts
                raise PTBenchSyntaxError("number literal out of range", pos) from None
            return Token("number", match.group(0), pos, value)
        raise PTBenchSyntaxError("leading zeros in decimal integer literals are not permitted", pos)

    def _string(self, prefix: str, quote_at: int) -> Token:
        text, start = self.text, self.pos
        quote = text[quote_at]
        if text.startswith(quote * 3, quote_at):
            quote *= 3
        i = quote_at + len(quote)
        while True:
            if i >= len(text):
                raise PTBenchSyntaxError("unterminated string literal", start)
            char = text[i]
            if char == "\\":
                i += 3 if text.startswith("\r\n", i + 1) else 2
                continue
            if len(quote) == 1 and char in "\r\n":
                raise PTBenchSyntaxError("unterminated string literal", start)
            if text.startswith(quote, i):
                break
            i += 1
        body = text[quote_at + len(quote) : i]
        self.pos = i + len(quote)
        if "f" in prefix:
            raise PTBenchSyntaxError("unsupported: f-string", start)
        is_bytes = "b" in prefix
        if is_bytes and not body.isascii():
            raise PTBenchSyntaxError("bytes can only contain ASCII literal characters", start)
        value: str | bytes = body if "r" in prefix else _decode_escapes(body, is_bytes, start)
        if is_bytes:
            value = value.encode("latin-1")  # type: ignore[union-attr]
        return Token("string", text[start : self.pos], start, value, prefix)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token.

    Raises:
        PTBenchSyntaxError: Python's tokenizer would reject the text (or an f-string).
    """
    return _Lexer(text).tokens()
