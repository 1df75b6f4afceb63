"""PTBench's reading of an answer ``platform:[func(param=value, ...), ...]``: parsed, never run.

Reproduces ``ast_parse`` / ``resolve_ast_call`` / ``resolve_ast_by_type`` of hyfshadow/PTBench
``src/parse.py`` (commit 9678ecc): the text is parsed, as theirs, by
``ast.parse('{' + answer + '}', mode="eval")``; the tree is then only walked — never compiled,
never evaluated. Where theirs raises, :func:`parse_answer` raises :class:`PTBenchFormatError`
(a *format* failure). Their rules, quirks included:

* One dict display; only its *first* item counts. The key is a bare name (its text) or a
  literal (``'Amazon':[...]``); the value is one call or a list, tuple or set of calls.
* A call's name joins its dotted attribute chain (``a.b.f``); positional arguments are ignored;
  ``**m`` is stored under the key ``None``.
* Values: literals as themselves (``...`` -> ``"..."``), a bare name -> its text; lists, dicts,
  tuples recursively; *any* unary operator negates a literal (``+5`` -> ``-5``, ``not True``
  -> ``-1``) and fails on anything else (``--5``, ``-x``); a call with keyword arguments ->
  ``{name: {arg: value}}``, without -> its ``ast.unparse`` text (``now( )`` -> ``"now()"``); a
  subscript -> its text; a set, comparison, ``and``/``or``, conditional, attribute -> failure.
* Binary operations: theirs calls ``eval``; here the value is computed on the tree with
  Python's operators, over literals only.

Departures, each a format failure (no model is expected to write these): arithmetic touching a
name, call, attribute, f-string or ``is`` (``len(x) + 1``), or ``%`` on a string; a computed
value over :data:`MAX_SIZE` elements and characters (through nesting), an integer over
:data:`MAX_INT_BITS` bits, arithmetic over :data:`MAX_WORK` units of work — each checked before a
big value is built (``[[1] * 100000] * 100000`` is refused at once); an answer over
:data:`MAX_ANSWER_CHARS` characters; the part read nested over :data:`MAX_DEPTH` deep. Syntax and
``ast.unparse`` are the running Python's (3.11 or later; theirs ran 3.9).
"""

from __future__ import annotations

import ast
import operator
import warnings
from collections.abc import Callable
from typing import Any

Answer = tuple[Any, list[dict[str, dict[Any, Any]]]]
MAX_ANSWER_CHARS = 100_000  # longer answers are a format failure (a model writes ~100 tokens)
MAX_DEPTH = 100  # nodes, in the part of the tree that is read
MAX_SIZE = 100_000  # elements and characters of one computed value, counted through nesting
MAX_INT_BITS = 10_000  # ~3,000 digits: below Python's 4,300-digit limit on printing an int
MAX_WORK = 1_000_000  # sizes of all operands and results of one arithmetic expression

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.MatMult: operator.matmul, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}  # fmt: skip
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
    ast.Not: operator.not_,
}  # fmt: skip
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip
_DISPLAYS: dict[type[ast.expr], type] = {ast.List: list, ast.Tuple: tuple, ast.Set: set}


class PTBenchFormatError(ValueError):
    """An answer the official parser cannot read (their ``format`` failure)."""


class PTBenchSyntaxError(PTBenchFormatError):
    """Text that is not one Python expression (or too long or too deep to read)."""


def parse_expression(text: str) -> ast.expr:
    """``ast.parse(text, mode="eval").body``, every failure a :class:`PTBenchSyntaxError`."""
    if len(text) > MAX_ANSWER_CHARS + 2:  # the answer and its two braces
        raise PTBenchSyntaxError(f"longer than {MAX_ANSWER_CHARS} characters")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. warn; Python still parses
            return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise PTBenchSyntaxError(f"not Python syntax: {type(exc).__name__}: {exc}") from None


def _bounded(node: ast.AST) -> ast.AST:
    """``node``, once its tree is checked to be at most :data:`MAX_DEPTH` deep (no recursion)."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PTBenchSyntaxError(f"nested more than {MAX_DEPTH} deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return node


def unparse(node: ast.AST) -> str:
    """The source text ``ast.unparse`` writes for ``node`` (depth-checked first)."""
    return ast.unparse(_bounded(node))


class _Arithmetic:
    """The value Python's ``eval`` gives an expression of literals, with sizes and work bounded.

    Every step returns ``(value, size)``; the size (elements and characters through nesting,
    64-bit words of an int) is known before a repetition or a power is built.
    """

    def __init__(self) -> None:
        self.work = 0

    def sized(self, value: Any, bound: int) -> tuple[Any, int]:
        if isinstance(value, int):
            if value.bit_length() > MAX_INT_BITS:
                raise PTBenchFormatError(f"an integer over {MAX_INT_BITS} bits")
            size = 1 + value.bit_length() // 64
        elif isinstance(value, str | bytes):
            size = max(1, len(value))
        else:
            size = max(1, bound) if isinstance(value, list | tuple | set | dict) else 1
        return value, self.charge(size)

    def charge(self, size: int) -> int:
        self.work += size
        if size > MAX_SIZE or self.work > MAX_WORK:
            raise PTBenchFormatError("a value too large to compute")
        return size

    def value(self, node: ast.expr) -> tuple[Any, int]:
        if isinstance(node, ast.Constant):
            return self.sized(node.value, 1)
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, ast.UnaryOp):
            operand, size = self.value(node.operand)
            return self.sized(_UNARY[type(node.op)](operand), size)
        if isinstance(node, ast.BoolOp):
            for item in node.values[:-1]:
                found = self.value(item)
                if bool(found[0]) == isinstance(node.op, ast.Or):
                    return found
            return self.value(node.values[-1])
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            return self.value(node.body if self.value(node.test)[0] else node.orelse)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items: list[Any] = []
            size = 0
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    value, n = self.value(elt.value)
                    items.extend(value)
                else:
                    value, n = self.value(elt)
                    items.append(value)
                size += self.charge(n)
            return self.sized(_DISPLAYS[type(node)](items), size)
        if isinstance(node, ast.Dict):
            out: dict[Any, Any] = {}
            size = 0
            for key, item in zip(node.keys, node.values, strict=True):
                if key is None:
                    mapping, n = self.value(item)
                    if not isinstance(mapping, dict):
                        raise PTBenchFormatError("'**' needs a mapping")
                    out.update(mapping)
                else:
                    found, n = self.value(key)
                    out[found], m = self.value(item)
                    n += m
                size += self.charge(n)
            return self.sized(out, size)
        if isinstance(node, ast.Subscript):
            container, size = self.value(node.value)
            if isinstance(node.slice, ast.Slice):
                parts = (node.slice.lower, node.slice.upper, node.slice.step)
                index: Any = slice(*(None if p is None else self.value(p)[0] for p in parts))
            else:
                index = self.value(node.slice)[0]
            return self.sized(container[index], size)
        raise PTBenchFormatError(f"{type(node).__name__} in arithmetic (no code is run)")

    def compare(self, node: ast.Compare) -> tuple[Any, int]:
        left = self.value(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                raise PTBenchFormatError("'is' in arithmetic is not evaluated")
            right = self.value(comparator)
            self.charge(left[1] + right[1])
            if not (result := _COMPARE[type(op)](left[0], right[0])):
                return result, 1
            left = right
        return result, 1

    def binary(self, op: ast.operator, left: tuple[Any, int], right: tuple[Any, int]) -> Any:
        (a, size_a), (b, size_b) = left, right
        self.charge(size_a + size_b)
        sequences = str | bytes | list | tuple
        for seq, count, size in ((a, b, size_a), (b, a, size_b)):
            if isinstance(op, ast.Mult) and isinstance(seq, sequences) and isinstance(count, int):
                total = size * count if count > 0 and len(seq) else 1
                if total > MAX_SIZE:  # refused before the repetition is built
                    raise PTBenchFormatError("a repetition too large to compute")
                return self.sized(seq * count, total)
        if isinstance(a, int) and isinstance(b, int) and b > 0:  # refused before computed
            bits = abs(a).bit_length()  # the result has more than b * (bits - 1) bits
            if isinstance(op, ast.Pow) and b * (bits - 1) > MAX_INT_BITS:
                raise PTBenchFormatError(f"a power over {MAX_INT_BITS} bits")
            if isinstance(op, ast.LShift) and bits + b > MAX_INT_BITS:
                raise PTBenchFormatError(f"a shift over {MAX_INT_BITS} bits")
        if isinstance(op, ast.Mod) and isinstance(a, str | bytes):
            raise PTBenchFormatError("string formatting is not evaluated")
        return self.sized(_BINARY[type(op)](a, b), size_a + size_b)


def _evaluate(node: ast.BinOp) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. ~True; as in their eval, not an error
            return _Arithmetic().value(node)[0]
    except PTBenchFormatError:
        raise
    except Exception as exc:  # whatever Python raises (1 / 0, "a" - 1): their eval raises too
        raise PTBenchFormatError(f"{type(exc).__name__}: {exc}") from None


def _resolve(node: ast.expr) -> Any:
    """A parameter value as their ``resolve_ast_by_type`` reads it (see the module docstring)."""
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        literal: Any = node.operand.value
        try:
            return -literal
        except TypeError as exc:
            raise PTBenchFormatError(str(exc)) from None
    if isinstance(node, ast.List | ast.Tuple):
        items = [_resolve(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise PTBenchFormatError("'**' in a dict value")
            resolved = _resolve(key)
            try:
                out[resolved] = _resolve(value)
            except TypeError as exc:  # an unhashable key
                raise PTBenchFormatError(str(exc)) from None
        return out
    if isinstance(node, ast.BinOp):
        return _evaluate(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _call(node) if node.keywords else ast.unparse(node)
    if isinstance(node, ast.Subscript):
        return f"{ast.unparse(node.value)}[{ast.unparse(node.slice)}]"
    raise PTBenchFormatError(f"unsupported value: {type(node).__name__}")


def _call(node: ast.Call) -> dict[str, dict[Any, Any]]:
    """One call as ``{dotted_name: {argument: value}}`` (their ``resolve_ast_call``)."""
    parts: list[str] = []
    func = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return {".".join(reversed(parts)): {kw.arg: _resolve(kw.value) for kw in node.keywords}}


def parse_answer(text: str) -> Answer:
    """Read a model's answer as PTBench's ``ast_parse`` does: ``(platform, [{func: args}])``.

    Raises:
        PTBenchFormatError: theirs would raise (the sample is a format failure).
    """
    if not isinstance(text, str):
        raise PTBenchFormatError("the answer is not text")
    if len(text) > MAX_ANSWER_CHARS:
        raise PTBenchSyntaxError(f"longer than {MAX_ANSWER_CHARS} characters")
    body = parse_expression("{" + text + "}")
    if not isinstance(body, ast.Dict) or not body.keys:
        raise PTBenchFormatError("not of the form platform:[func(param=value, ...)]")
    key, value = body.keys[0], _bounded(body.values[0])
    if not isinstance(key, ast.Name | ast.Constant):
        raise PTBenchFormatError("the platform is neither a name nor a literal")
    elts = value.elts if isinstance(value, ast.List | ast.Tuple | ast.Set) else [value]
    calls = [_call(elt) for elt in elts if isinstance(elt, ast.Call)]
    if len(calls) < len(elts) or not isinstance(value, ast.Call | ast.List | ast.Tuple | ast.Set):
        raise PTBenchFormatError("the platform's value is neither a call nor a list of calls")
    return (key.id if isinstance(key, ast.Name) else key.value), calls
