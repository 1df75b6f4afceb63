"""Expression nodes of the PTBench answer reader: the part of Python's ``ast`` it needs.

Produced by :mod:`petool.scoring.ptbench_parse`, read by :mod:`petool.scoring.ptbench_resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
