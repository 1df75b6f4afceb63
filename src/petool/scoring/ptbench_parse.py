"""A hand-written reader of Python expression syntax, for PTBench's answer format. Never evaluates.

PTBench's official parser (hyfshadow/PTBench ``src/parse.py``) wraps a model's answer in braces
and hands it to Python's own parser (``ast.parse('{' + answer + '}', mode="eval")``). Whether
an answer is *well formed* therefore means "is valid Python expression syntax". This module
answers that question without Python's parser or evaluator: it tokenizes and parses the text
into the nodes of :mod:`petool.scoring.ptbench_nodes`, raising :class:`PTBenchSyntaxError`
exactly where Python would raise a ``SyntaxError`` for the syntax it covers.

Covered (as in Python 3.9, the official environment):

* literals: strings with ``'``, ``"``, triple quotes, prefixes ``r``, ``u``, ``b``, ``rb``/``br``
  in any case, every escape sequence (``\\n``, ``\\x41``, ``\\101``, ``\\u00e9``, ``\\U0001F600``,
  ``\\N{...}``, backslash-newline; unknown escapes keep their backslash), implicit
  concatenation (``"a" 'b'``; mixing bytes and str is an error); integers (decimal, ``0x``,
  ``0o``, ``0b``, underscores; ``0123`` is an error), floats, imaginary numbers; ``True``,
  ``False``, ``None``, ``...``;
* names (Unicode identifiers, NFKC-normalized; hard keywords are not names), attributes,
  calls (positional, ``name=``, ``*``, ``**``; Python's rules on argument order; a repeated
  keyword is accepted, as ``ast.parse`` does), subscripts and slices;
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

from typing import Any

from petool.scoring.ptbench_lexer import (
    KEYWORDS,
    MAX_DEPTH,
    UNSUPPORTED_KEYWORDS,
    PTBenchSyntaxError,
    Token,
    tokenize,
)
from petool.scoring.ptbench_nodes import (
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    DictNode,
    IfExp,
    Keyword,
    ListNode,
    Name,
    Node,
    SetNode,
    Slice,
    Starred,
    Subscript,
    TupleNode,
    UnaryOp,
)

_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("|",),
    ("^",),
    ("&",),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "//", "%", "@"),
)
_COMPARE_OPS = frozenset({"<", ">", "==", ">=", "<=", "!="})


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

    def star_items_until_end(self) -> list[Node]:
        elts: list[Node] = []
        while self.tok.kind != "end":
            elts.append(self.star_item())
            if not self.take(","):
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
    parser = _Parser(tokenize(text))
    node = parser.star_item()
    if parser.take(","):  # eval mode reads ``a, b`` as a tuple
        node = TupleNode((node, *parser.star_items_until_end()))
    elif isinstance(node, Starred):
        raise parser.error("cannot use starred expression here")
    if parser.tok.kind != "end":
        raise parser.error()
    return node
