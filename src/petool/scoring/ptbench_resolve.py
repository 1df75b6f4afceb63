"""PTBench's reading of an answer ``platform:[func(param=value, ...), ...]``, without eval.

Reproduces ``ast_parse`` / ``ast_parse_1`` / ``resolve_ast_call`` / ``resolve_ast_by_type`` of
hyfshadow/PTBench ``src/parse.py`` (commit 9678ecc80b3b39fa9694f25662c44bf4245f0486) on the
nodes :mod:`petool.scoring.ptbench_parse` reads. :func:`parse_answer` returns what their
``ast_parse`` returns, and raises :class:`PTBenchFormatError` wherever theirs raises (any
exception there makes the sample a *format* failure). Their rules, quirks included:

* The answer is read as ``'{' + answer + '}'``: it must be a dict display; only its *first*
  item counts (later items are only syntax-checked). The key is a bare name (its text) or a
  literal (its value, so ``'Amazon':[...]`` works); the value is one call or a list, tuple
  or set of calls (``[]`` is an answer with no calls).
* A call's name joins its dotted attribute chain (``a.b.f`` -> ``"a.b.f"``); positional
  arguments are ignored; ``**m`` is stored under the key ``None``.
* Values: literals as themselves (``...`` -> ``"..."``), a bare name -> its text
  (``city=Paris`` -> ``"Paris"``, ``flag=true`` -> ``"true"``), lists, dicts and tuples
  recursively; *any* unary operator negates a literal operand (``+5`` -> ``-5``,
  ``not True`` -> ``-1``) and fails on anything else (``--5``, ``-x``); a call with keyword
  arguments -> ``{name: {arg: value}}``, without -> its source text as ``ast.unparse``
  writes it (``now()``); a subscript -> ``"x[0]"``; sets, comparisons, ``and``/``or``,
  conditionals, attributes, lambdas -> failure.
* Binary operations: theirs calls ``eval`` on them. Here :func:`evaluate` computes the same
  value with Python's operators on the literal operands, and fails where their ``eval`` would
  run code or touch a name (``len(x) + 1``, ``a * 2``), on ``is``, on ``%`` with a string on
  the left, and on results too large to build (``9 ** 9 ** 9``): documented departures.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from petool.scoring.ptbench_nodes import (
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    DictNode,
    IfExp,
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
from petool.scoring.ptbench_parse import PTBenchSyntaxError, parse_expression

Answer = tuple[Any, list[dict[str, dict[Any, Any]]]]
MAX_SIZE = 100_000  # elements, characters or bits of a computed value

# ast.unparse's precedence levels (Python 3.9, Lib/ast.py _Precedence)
TEST, OR, AND, NOT, CMP, EXPR, BXOR, BAND, SHIFT, ARITH, TERM, FACTOR, POWER, AWAIT, ATOM = range(
    3, 18
)
_BINOP_PRECEDENCE = {
    "|": EXPR, "^": BXOR, "&": BAND, "<<": SHIFT, ">>": SHIFT, "+": ARITH, "-": ARITH,
    "*": TERM, "@": TERM, "/": TERM, "%": TERM, "//": TERM, "**": POWER,
}  # fmt: skip
_UNARY_PRECEDENCE = {"not": NOT, "~": FACTOR, "+": FACTOR, "-": FACTOR}
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
    "<<": operator.lshift, ">>": operator.rshift, "&": operator.and_, "|": operator.or_,
    "^": operator.xor,
}  # fmt: skip
_UNARY: dict[str, Callable[[Any], Any]] = {
    "-": operator.neg,
    "+": operator.pos,
    "~": operator.invert,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, ">": operator.gt, "==": operator.eq, ">=": operator.ge,
    "<=": operator.le, "!=": operator.ne,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}  # fmt: skip


class PTBenchFormatError(ValueError):
    """An answer the official parser cannot read (their ``format`` failure)."""


# ---------------------------------------------------------------- ast.unparse (Python 3.9)


def _next(level: int) -> int:
    return min(level + 1, ATOM)


def _constant(node: Const) -> str:
    value = node.value
    if value is Ellipsis:
        return "..."
    if isinstance(value, float | complex):
        return repr(value).replace("inf", "1e309")
    return ("u" if node.kind == "u" else "") + repr(value)


def _items(elts: tuple[Node, ...]) -> str:
    if len(elts) == 1:
        return unparse(elts[0]) + ","
    return ", ".join(unparse(e) for e in elts)


def _keyword(arg: str | None, value: Node) -> str:
    return ("**" if arg is None else f"{arg}=") + unparse(value)


def _dict_item(key: Node | None, value: Node) -> str:
    if key is None:
        return "**" + unparse(value, EXPR)
    return f"{unparse(key)}: {unparse(value)}"


def _unparse_slice(node: Node) -> str:
    simple = isinstance(node, TupleNode) and node.elts
    if simple and not any(isinstance(e, Starred) for e in node.elts):  # type: ignore[attr-defined]
        return _items(node.elts)  # type: ignore[attr-defined]
    return unparse(node)


def _wrap(text: str, needed: bool) -> str:
    return f"({text})" if needed else text


def unparse(node: Node, level: int = TEST) -> str:
    """The source text ``ast.unparse`` (Python 3.9) writes for ``node`` at precedence ``level``.

    Raises:
        PTBenchFormatError: a node kind this reader does not produce.
    """
    if isinstance(node, Const):
        return _constant(node)
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Attribute):
        space = " " if isinstance(node.value, Const) and isinstance(node.value.value, int) else ""
        return f"{unparse(node.value, ATOM)}{space}.{node.attr}"
    if isinstance(node, Call):
        parts = [unparse(a) for a in node.args] + [_keyword(k.arg, k.value) for k in node.keywords]
        return f"{unparse(node.func, ATOM)}({', '.join(parts)})"
    if isinstance(node, Starred):
        return "*" + unparse(node.value, EXPR)
    if isinstance(node, ListNode):
        return "[" + ", ".join(unparse(e) for e in node.elts) + "]"
    if isinstance(node, TupleNode):
        return "(" + _items(node.elts) + ")"
    if isinstance(node, SetNode):
        return "{" + ", ".join(unparse(e) for e in node.elts) + "}"
    if isinstance(node, DictNode):
        return (
            "{"
            + ", ".join(_dict_item(k, v) for k, v in zip(node.keys, node.values, strict=True))
            + "}"
        )
    if isinstance(node, Subscript):
        return f"{unparse(node.value, ATOM)}[{_unparse_slice(node.slice)}]"
    if isinstance(node, Slice):
        text = (unparse(node.lower) if node.lower else "") + ":"
        text += unparse(node.upper) if node.upper else ""
        return text + (":" + unparse(node.step) if node.step else "")
    return _unparse_operation(node, level)


def _unparse_operation(node: Node, level: int) -> str:
    if isinstance(node, UnaryOp):
        own = _UNARY_PRECEDENCE[node.op]
        gap = "" if own == FACTOR else " "
        return _wrap(f"{node.op}{gap}{unparse(node.operand, own)}", level > own)
    if isinstance(node, BinOp):
        own = _BINOP_PRECEDENCE[node.op]
        left, right = (_next(own), own) if node.op == "**" else (own, _next(own))
        text = f"{unparse(node.left, left)} {node.op} {unparse(node.right, right)}"
        return _wrap(text, level > own)
    if isinstance(node, BoolOp):
        own = AND if node.op == "and" else OR
        parts = [unparse(v, min(own + i + 1, ATOM)) for i, v in enumerate(node.values)]
        return _wrap(f" {node.op} ".join(parts), level > own)
    if isinstance(node, Compare):
        text = unparse(node.left, _next(CMP))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            text += f" {op} {unparse(comparator, _next(CMP))}"
        return _wrap(text, level > CMP)
    if isinstance(node, IfExp):
        text = f"{unparse(node.body, _next(TEST))} if {unparse(node.test, _next(TEST))} else "
        return _wrap(text + unparse(node.orelse, TEST), level > TEST)
    raise PTBenchFormatError(f"cannot write back {type(node).__name__}")


# ---------------------------------------------------------------- safe arithmetic (their eval)


def _too_big(value: Any) -> bool:
    if isinstance(value, int):
        return value.bit_length() > MAX_SIZE
    if isinstance(value, str | bytes | list | tuple | set | dict):
        return len(value) > MAX_SIZE
    return False


def _binary(op: str, left: Any, right: Any) -> Any:
    ints = isinstance(left, int) and isinstance(right, int)
    if (
        op == "**"
        and ints
        and right > 0
        and abs(left) > 1
        and right * math.log2(abs(left)) > MAX_SIZE
    ):
        raise PTBenchFormatError("power too large to compute")
    if op == "<<" and ints and right > MAX_SIZE:
        raise PTBenchFormatError("shift too large to compute")
    count, seq = (left, right) if isinstance(left, int) else (right, left)
    sequence = isinstance(count, int) and isinstance(seq, str | bytes | list | tuple)
    if op == "*" and sequence and count * len(seq) > MAX_SIZE:
        raise PTBenchFormatError("repetition too large to compute")
    if op == "%" and isinstance(left, str | bytes):
        raise PTBenchFormatError("string formatting is not evaluated")
    result = _BINARY[op](left, right)
    if _too_big(result):
        raise PTBenchFormatError("value too large")
    return result


def _unpack(elts: tuple[Node, ...]) -> list[Any]:
    out: list[Any] = []
    for elt in elts:
        if isinstance(elt, Starred):
            items = evaluate(elt.value)
            if _too_big(items):
                raise PTBenchFormatError("value too large")
            out.extend(items)
        else:
            out.append(evaluate(elt))
    if len(out) > MAX_SIZE:
        raise PTBenchFormatError("value too large")
    return out


def _evaluate_display(node: Node) -> Any:
    if isinstance(node, ListNode):
        return _unpack(node.elts)
    if isinstance(node, TupleNode):
        return tuple(_unpack(node.elts))
    if isinstance(node, SetNode):
        return set(_unpack(node.elts))
    assert isinstance(node, DictNode)
    out: dict[Any, Any] = {}
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:
            mapping = evaluate(value)
            if not isinstance(mapping, dict):
                raise PTBenchFormatError("'**' needs a mapping")
            out.update(mapping)
        else:
            out[evaluate(key)] = evaluate(value)
    return out


def evaluate(node: Node) -> Any:
    """The value Python's ``eval`` gives ``node``, for expressions of literals only.

    Raises:
        PTBenchFormatError: a name, call, attribute or ``is`` (no code is ever run), a value
            too large to build, or any error Python itself would raise (``1 / 0``, ``"a" - 1``).
    """
    try:
        return _evaluate(node)
    except PTBenchFormatError:
        raise
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, RecursionError) as exc:
        raise PTBenchFormatError(f"{type(exc).__name__}: {exc}") from None


def _evaluate(node: Node) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, BinOp):
        return _binary(node.op, evaluate(node.left), evaluate(node.right))
    if isinstance(node, UnaryOp):
        value = evaluate(node.operand)
        if node.op == "not":
            return not value
        return _UNARY[node.op](value)
    if isinstance(node, BoolOp):
        for value_node in node.values[:-1]:
            value = evaluate(value_node)
            if bool(value) == (node.op == "or"):
                return value
        return evaluate(node.values[-1])
    if isinstance(node, Compare):
        left = evaluate(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if op not in _COMPARE:
                raise PTBenchFormatError(f"'{op}' is not evaluated")
            right = evaluate(comparator)
            result = _COMPARE[op](left, right)
            if not result:
                return result
            left = right
        return result
    if isinstance(node, IfExp):
        return evaluate(node.body) if evaluate(node.test) else evaluate(node.orelse)
    if isinstance(node, ListNode | TupleNode | SetNode | DictNode):
        return _evaluate_display(node)
    if isinstance(node, Subscript):
        container = evaluate(node.value)
        if isinstance(node.slice, Slice):
            bounds = (node.slice.lower, node.slice.upper, node.slice.step)
            index: Any = slice(*(None if b is None else evaluate(b) for b in bounds))
        else:
            index = evaluate(node.slice)
        return container[index]
    raise PTBenchFormatError(f"{type(node).__name__} in arithmetic is not evaluated")


# ---------------------------------------------------------------- their resolve_ast_* functions


def resolve_value(node: Node) -> Any:
    """A parameter value as ``resolve_ast_by_type`` reads it (see the module docstring)."""
    if isinstance(node, Const):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, UnaryOp):
        if not isinstance(node.operand, Const):
            raise PTBenchFormatError("unary operator on a non-literal")
        try:
            return -node.operand.value
        except TypeError as exc:
            raise PTBenchFormatError(str(exc)) from None
    if isinstance(node, ListNode):
        return [resolve_value(e) for e in node.elts]
    if isinstance(node, DictNode):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise PTBenchFormatError("'**' in a dict value")
            resolved_key = resolve_value(key)
            resolved = resolve_value(value)
            try:
                out[resolved_key] = resolved
            except TypeError as exc:
                raise PTBenchFormatError(str(exc)) from None
        return out
    if isinstance(node, BinOp):
        return evaluate(node)
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Call):
        return resolve_call(node) if node.keywords else unparse(node)
    if isinstance(node, TupleNode):
        return tuple(resolve_value(e) for e in node.elts)
    if isinstance(node, Subscript):
        return f"{unparse(node.value)}[{unparse(node.slice)}]"
    raise PTBenchFormatError(f"unsupported value: {type(node).__name__}")


def resolve_call(node: Call) -> dict[str, dict[Any, Any]]:
    """One call as ``{dotted_name: {argument: value}}`` (``resolve_ast_call``)."""
    parts: list[str] = []
    func = node.func
    while isinstance(func, Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, Name):
        parts.append(func.id)
    arguments: dict[Any, Any] = {}
    for keyword in node.keywords:
        arguments[keyword.arg] = resolve_value(keyword.value)
    return {".".join(reversed(parts)): arguments}


def parse_answer(text: str) -> Answer:
    """Read a model's answer as PTBench's ``ast_parse`` does: ``(platform, [{func: args}])``.

    Args:
        text: the raw model output.

    Returns:
        The platform (the first key: a name's text or a literal's value) and the calls.

    Raises:
        PTBenchFormatError: their parser would raise (the sample counts as a format failure).
    """
    if not isinstance(text, str):
        raise PTBenchFormatError("the answer is not text")
    try:
        body = parse_expression("{" + text + "}")
    except PTBenchSyntaxError as exc:
        raise PTBenchFormatError(f"not Python syntax: {exc}") from None
    except RecursionError:
        raise PTBenchFormatError("not Python syntax: nested too deeply") from None
    if not isinstance(body, DictNode) or not body.keys:
        raise PTBenchFormatError("not of the form platform:[func(param=value, ...)]")
    key_node, value_node = body.keys[0], body.values[0]
    if isinstance(value_node, Call):
        calls = [resolve_call(value_node)]
    elif isinstance(value_node, ListNode | TupleNode | SetNode):
        calls = []
        for elt in value_node.elts:
            if not isinstance(elt, Call):
                raise PTBenchFormatError("an item of the call list is not a call")
            calls.append(resolve_call(elt))
    else:
        raise PTBenchFormatError("the platform's value is neither a call nor a list of calls")
    if isinstance(key_node, Name):
        return key_node.id, calls
    if isinstance(key_node, Const):
        return key_node.value, calls
    raise PTBenchFormatError("the platform is neither a name nor a literal")
