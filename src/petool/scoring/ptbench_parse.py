"""A hand-written reader of Python expression syntax, for PTBench's answer format. Never evaluates.

PTBench's official parser (hyfshadow/PTBench ``src/parse.py``) wraps a model's answer in braces
and hands it to Python's own parser (``ast.parse('{' + answer + '}', mode="eval")``). Whether
an answer is *well formed* therefore means "is valid Python expression syntax". This module
answers that question without Python's parser or evaluator: it tokenizes and parses the text
into the small node classes below, raising :class:`PTBenchSyntaxError` exactly where Python
would raise a ``SyntaxError`` for the syntax it covers.

Covered (as in Python 3.9, the official environment):

* literals: strings with ``'``, ``"``, triple quotes, prefixes ``r``, ``u``, ``b``, ``rb``/``br``
  in any case, every escape sequence (``\\n``, ``\\x41``, ``\\101``, ``\\u00e9``, ``\\U0001F600``,
  ``\\N{...}``, backslash-newline; unknown escapes keep their backslash), implicit
  concatenation (``"a" 'b'``; mixing bytes and str is an error); integers (decimal, ``0x``,
  ``0o``, ``0b``, underscores; ``0123`` is an error), floats, imaginary numbers; ``True``,
  ``False``, ``None``, ``...``;
* names (Unicode identifiers, NFKC-normalized; hard keywords are not names), attributes,
  calls (positional, ``name=``, ``*``, ``**``; Python's rules on argument order and repeated
  keywords), subscripts and slices;
* unary ``- + ~ not``, the 13 binary operators, comparisons (chained, ``in``, ``not in``, ``is``,
  ``is not``), ``and``/``or``, ``x if c else y``;
* list, tuple, dict (with ``**``), set displays (with ``*``), trailing commas, parentheses,
  ``#`` comments and backslash line continuation (a comment on the last line swallows the
  closing brace, as in Python).

Not covered (a :class:`PTBenchSyntaxError` with "unsupported"): ``lambda``, comprehensions and
generator expressions, f-strings, ``:=``, ``await``/``yield``. Where the official parser would
only *read* such syntax without using it, this is a documented departure (see
``docs/suites/ptbench.md``); where it uses the value, both fail alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 200  # Python's tokenizer refuses more than 200 nested brackets

KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try "
    "while with yield".split()
)
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
_NAME = re.compile(r"[^\W\d]\w*")
_STRING_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb", "f", "fr", "rf"})
_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
    "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_ESCAPE = re.compile(r"\\(\r\n|[\s\S])")
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("|",),
    ("^",),
    ("&",),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "//", "%", "@"),
)
_COMPARE_OPS = frozenset({"<", ">", "==", ">=", "<=", "!="})


class PTBenchSyntaxError(ValueError):
    """Text that Python's parser would reject (or syntax this reader does not cover)."""

    def __init__(self, message: str, pos: int):
        super().__init__(f"{message} at offset {pos}")
        self.pos = pos


# ---------------------------------------------------------------- nodes (a subset of Python's ast)


@dataclass(frozen=True)
class Node:
    """Base class of parsed expressions."""


@dataclass(frozen=True)
class Const(Node):
    """A literal: str, bytes, int, float, complex, bool, None or Ellipsis (``...``)."""

    value: Any
    kind: str | None = None  # "u" for a u-prefixed string, as ast.Constant.kind


@dataclass(frozen=True)
class Name(Node):
    """An identifier."""

    id: str


@dataclass(frozen=True)
class Attribute(Node):
    """``value.attr``."""

    value: Node
    attr: str


@dataclass(frozen=True)
class Keyword:
    """A keyword argument; ``arg`` is None for ``**value``."""

    arg: str | None
    value: Node


@dataclass(frozen=True)
class Call(Node):
    """``func(*args, **keywords)``."""

    func: Node
    args: tuple[Node, ...]
    keywords: tuple[Keyword, ...]


@dataclass(frozen=True)
class Starred(Node):
    """``*value`` inside a display or a call."""

    value: Node


@dataclass(frozen=True)
class ListNode(Node):
    """``[a, b]``."""

    elts: tuple[Node, ...]


@dataclass(frozen=True)
class TupleNode(Node):
    """``(a, b)``."""

    elts: tuple[Node, ...]


@dataclass(frozen=True)
class SetNode(Node):
    """``{a, b}``."""

    elts: tuple[Node, ...]


@dataclass(frozen=True)
class DictNode(Node):
    """``{k: v, **m}``; a key of None stands for ``**value``."""

    keys: tuple[Node | None, ...]
    values: tuple[Node, ...]


@dataclass(frozen=True)
class UnaryOp(Node):
    """``-x``, ``+x``, ``~x``, ``not x``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class BinOp(Node):
    """``left op right`` for the 13 binary operators."""

    left: Node
    op: str
    right: Node


@dataclass(frozen=True)
class BoolOp(Node):
    """``a and b and c`` / ``a or b``."""

    op: str
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Compare(Node):
    """``a < b == c`` (ops: ``<``, ``in``, ``not in``, ``is``, ``is not``, ...)."""

    left: Node
    ops: tuple[str, ...]
    comparators: tuple[Node, ...]


@dataclass(frozen=True)
class IfExp(Node):
    """``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node


@dataclass(frozen=True)
class Slice(Node):
    """``lower:upper:step`` inside a subscript."""

    lower: Node | None
    upper: Node | None
    step: Node | None


@dataclass(frozen=True)
class Subscript(Node):
    """``value[slice]``."""

    value: Node
    slice: Node


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One token: kind ``name``, ``number``, ``string``, ``op`` or ``end``."""

    kind: str
    text: str
    pos: int
    value: Any = None
    prefix: str = ""


def _decode_escapes(body: str, is_bytes: bool, pos: int) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in ("\n", "\r", "\r\n"):
            return ""
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        start = match.end()
        if code in "01234567":
            digits = code + re.match(r"[0-7]{0,2}", body[start:]).group(0)  # type: ignore[union-attr]
            state["skip"] = start + len(digits) - 1
            return chr(int(digits, 8))
        sizes = {"x": 2} if is_bytes else {"x": 2, "u": 4, "U": 8}
        if code in sizes:
            hexa = body[start : start + sizes[code]]
            if len(hexa) < sizes[code] or not re.fullmatch(r"[0-9a-fA-F]+", hexa):
                raise PTBenchSyntaxError(f"truncated \\{code} escape", pos)
            value = int(hexa, 16)
            if value > 0x10FFFF:
                raise PTBenchSyntaxError("illegal Unicode character", pos)
            state["skip"] = start + len(hexa)
            return chr(value)
        if code == "N" and not is_bytes:
            named = re.match(r"\{([^}]*)\}", body[start:])
            if named is None:
                raise PTBenchSyntaxError("malformed \\N character escape", pos)
            try:
                char = unicodedata.lookup(named.group(1))
            except KeyError:
                raise PTBenchSyntaxError("unknown Unicode character name", pos) from None
            state["skip"] = start + named.end()
            return char
        return "\\" + code

    # re.sub cannot consume extra characters, so walk the escapes by hand
    out: list[str] = []
    i = 0
    state: dict[str, int] = {}
    while True:
        match = _ESCAPE.search(body, i)
        if match is None:
            out.append(body[i:])
            return "".join(out)
        out.append(body[i : match.start()])
        state["skip"] = match.end()
        out.append(one(match))
        i = state["skip"]


class _Lexer:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth: list[str] = []

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        if "\x00" in text:
            raise PTBenchSyntaxError("source code cannot contain null bytes", text.index("\x00"))
        while True:
            self.pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
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
            if end < len(text) and (text[end].isalnum() or text[end] in "_."):
                if kind == "int" or text[end] != ".":
                    raise PTBenchSyntaxError("invalid number literal", pos)
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
        quote = text[quote_at] * 3 if text.startswith(text[quote_at] * 3, quote_at) else text[quote_at]
        i = quote_at + len(quote)
        while True:
            if i >= len(text):
                raise PTBenchSyntaxError("unterminated string literal", start)
            char = text[i]
            if char == "\\":
                i += 2
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


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def at(self, *texts: str) -> bool:
        tok = self.tok
        return tok.kind in ("op", "name") and tok.text in texts

    def take(self, *texts: str) -> Token | None:
        if self.at(*texts):
            tok = self.tok
            self.i += 1
            return tok
        return None

    def expect(self, text: str) -> Token:
        tok = self.take(text)
        if tok is None:
            raise self.error(f"expected '{text}'")
        return tok

    def error(self, message: str = "invalid syntax") -> PTBenchSyntaxError:
        tok = self.tok
        if tok.kind == "name" and tok.text in UNSUPPORTED_KEYWORDS:
            message = f"unsupported: {tok.text}"
        return PTBenchSyntaxError(message, tok.pos)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH * 4:
            raise self.error("expression too deeply nested")

    def _no_comprehension(self) -> None:
        if self.at("for", "async"):
            raise self.error("unsupported: comprehension")

    # -- expressions
    def expression(self) -> Node:
        self._enter()
        try:
            if self.at("lambda"):
                raise self.error()
            body = self.disjunction()
            if self.take("if"):
                test = self.disjunction()
                self.expect("else")
                return IfExp(test, body, self.expression())
            return body
        finally:
            self.depth -= 1

    def disjunction(self) -> Node:
        return self._boolop("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._boolop("and", self.inversion)

    def _boolop(self, op: str, operand: Any) -> Node:
        values = [operand()]
        while self.take(op):
            values.append(operand())
        return values[0] if len(values) == 1 else BoolOp(op, tuple(values))

    def inversion(self) -> Node:
        if self.take("not"):
            self._enter()
            try:
                return UnaryOp("not", self.inversion())
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self) -> Node:
        left = self.binary(0)
        ops: list[str] = []
        comparators: list[Node] = []
        while True:
            tok = self.tok
            if tok.kind == "op" and tok.text in _COMPARE_OPS:
                self.i += 1
                ops.append(tok.text)
            elif self.take("in"):
                ops.append("in")
            elif self.at("not") and self.tokens[self.i + 1].text == "in":
                self.i += 2
                ops.append("not in")
            elif self.take("is"):
                ops.append("is not" if self.take("not") else "is")
            else:
                break
            comparators.append(self.binary(0))
        return Compare(left, tuple(ops), tuple(comparators)) if ops else left

    def binary(self, level: int) -> Node:
        if level == len(_BINARY_LEVELS):
            return self.factor()
        node = self.binary(level + 1)
        while self.tok.kind == "op" and self.tok.text in _BINARY_LEVELS[level]:
            op = self.tok.text
            self.i += 1
            node = BinOp(node, op, self.binary(level + 1))
        return node

    def factor(self) -> Node:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("+", "-", "~"):
            self.i += 1
            self._enter()
            try:
                return UnaryOp(tok.text, self.factor())
            finally:
                self.depth -= 1
        base = self.primary()
        if self.take("**"):
            return BinOp(base, "**", self.factor())
        return base

    def primary(self) -> Node:
        node = self.atom()
        while True:
            if self.take("."):
                tok = self.tok
                if tok.kind != "name" or tok.text in KEYWORDS:
                    raise self.error()
                self.i += 1
                node = Attribute(node, tok.text)
            elif self.take("("):
                node = self.call(node)
            elif self.take("["):
                node = Subscript(node, self.slices())
                self.expect("]")
            else:
                return node

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "name":
            if tok.text in ("True", "False", "None"):
                self.i += 1
                return Const({"True": True, "False": False, "None": None}[tok.text])
            if tok.text in KEYWORDS:
                raise self.error()
            self.i += 1
            return Name(tok.text)
        if tok.kind == "number":
            self.i += 1
            return Const(tok.value)
        if tok.kind == "string":
            return self.strings()
        if self.take("..."):
            return Const(Ellipsis)
        self._enter()
        try:
            if self.take("("):
                return self.group()
            if self.take("["):
                elts = self.star_items("]")
                return ListNode(tuple(elts))
            if self.take("{"):
                return self.braces()
        finally:
            self.depth -= 1
        raise self.error()

    def strings(self) -> Node:
        first = self.tok
        parts: list[Any] = []
        while self.tok.kind == "string":
            parts.append(self.tok.value)
            self.i += 1
        if len({type(p) for p in parts}) > 1:
            raise PTBenchSyntaxError("cannot mix bytes and nonbytes literals", first.pos)
        value = b"".join(parts) if isinstance(parts[0], bytes) else "".join(parts)
        return Const(value, "u" if first.prefix == "u" else None)

    def star_item(self) -> Node:
        if self.take("*"):
            return Starred(self.binary(0))
        return self.expression()

    def star_items(self, closer: str) -> list[Node]:
        elts: list[Node] = []
        while not self.take(closer):
            elts.append(self.star_item())
            if len(elts) == 1:
                self._no_comprehension()
            if not self.take(","):
                self.expect(closer)
                break
        return elts

    def group(self) -> Node:
        if self.take(")"):
            return TupleNode(())
        if self.at("yield"):
            raise self.error()
        first = self.star_item()
        self._no_comprehension()
        if self.take(")"):
            if isinstance(first, Starred):
                raise self.error("cannot use starred expression here")
            return first
        self.expect(",")
        return TupleNode((first, *self.star_items(")")))

    def braces(self) -> Node:
        if self.take("}"):
            return DictNode((), ())
        if self.at("**") or not self.at("*"):
            first_key: Node | None = None
            if self.take("**"):
                first_value = self.binary(0)
            else:
                first = self.expression()
                if not self.take(":"):
                    self._no_comprehension()
                    return self._set_rest(first)
                first_key, first_value = first, self.expression()
            self._no_comprehension()
            return self._dict_rest(first_key, first_value)
        first = Starred(self._star_value())
        return self._set_rest(first)

    def _star_value(self) -> Node:
        self.expect("*")
        return self.binary(0)

    def _set_rest(self, first: Node) -> Node:
        elts = [first]
        if self.take(","):
            elts += self.star_items("}")
        else:
            self.expect("}")
        return SetNode(tuple(elts))

    def _dict_rest(self, key: Node | None, value: Node) -> Node:
        keys: list[Node | None] = [key]
        values = [value]
        while self.take(","):
            if self.take("}"):
                return DictNode(tuple(keys), tuple(values))
            if self.take("**"):
                keys.append(None)
                values.append(self.binary(0))
            else:
                keys.append(self.expression())
                self.expect(":")
                values.append(self.expression())
        self.expect("}")
        return DictNode(tuple(keys), tuple(values))

    def call(self, func: Node) -> Node:
        args: list[Node] = []
        keywords: list[Keyword] = []
        seen: set[str] = set()
        double_star = False
        while not self.take(")"):
            if self.take("**"):
                keywords.append(Keyword(None, self.expression()))
                double_star = True
            elif self.take("*"):
                if double_star:
                    raise self.error("iterable argument unpacking follows keyword unpacking")
                args.append(Starred(self.expression()))
            elif self.tok.kind == "name" and self.tokens[self.i + 1].text == "=":
                name = self.tok.text
                if name in KEYWORDS:
                    raise self.error("cannot assign to keyword")
                if name in seen:
                    raise self.error(f"keyword argument repeated: {name}")
                seen.add(name)
                self.i += 2
                keywords.append(Keyword(name, self.expression()))
            else:
                if keywords:
                    raise self.error("positional argument follows keyword argument")
                args.append(self.expression())
                self._no_comprehension()
            if not self.take(","):
                self.expect(")")
                break
        return Call(func, tuple(args), tuple(keywords))

    def slices(self) -> Node:
        items = [self.slice_item()]
        tuple_form = False
        while self.take(","):
            tuple_form = True
            if self.at("]"):
                break
            items.append(self.slice_item())
        return TupleNode(tuple(items)) if tuple_form else items[0]

    def slice_item(self) -> Node:
        lower = None if self.at(":") else self.expression()
        if not self.take(":"):
            if lower is None:  # pragma: no cover - guarded by at(":")
                raise self.error()
            return lower
        upper = None if self.at(":", ",", "]") else self.expression()
        step = None
        if self.take(":"):
            step = None if self.at(",", "]") else self.expression()
        return Slice(lower, upper, step)


def parse_expression(text: str) -> Node:
    """Parse ``text`` as one Python expression (``ast.parse(text, mode="eval")``, covered part).

    Args:
        text: the source text.

    Returns:
        The parsed expression.

    Raises:
        PTBenchSyntaxError: Python would reject the text, or it uses syntax not covered here.
    """
    parser = _Parser(_Lexer(text).tokens())
    node = parser.expression()
    if parser.tok.kind != "end":
        raise parser.error()
    return node
