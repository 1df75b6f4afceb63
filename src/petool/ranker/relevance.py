"""Functional relevance: how well each candidate tool does what the instruction asks.

Relevance is the cosine similarity between the instruction's embedding and the embedding of
the tool's ``functionality`` (its ``description`` when it has none, its name as a last
resort), plus a bonus for *schema fit*: the share of the tool's required parameters whose
values the instruction contains (an enum value, a number, a date, a quoted string). The
*functional group* is the set of candidates that do the job: those within a
small margin of the best score, and those whose functionality is (nearly) the same as the
best candidate's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from petool.ranker.instruction import from_instruction
from petool.schema import Tool

Matrix = NDArray[np.float32]


def tool_text(tool: Tool) -> str:
    """The text that says what a tool does (functionality, else description, else name)."""
    for text in (tool.functionality, tool.description):
        if text.strip():
            return text.strip()
    return tool.name.replace("_", " ")


def relevance_scores(instruction_vec: Matrix, tool_vecs: Matrix) -> NDArray[np.float64]:
    """Cosine similarity of one (unit) instruction vector with each (unit) tool vector.

    Args:
        instruction_vec: shape ``(dim,)``.
        tool_vecs: shape ``(k, dim)``.

    Returns:
        Shape ``(k,)`` similarities in ``[-1, 1]``.
    """
    if tool_vecs.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(tool_vecs @ instruction_vec, dtype=np.float64)


def schema_fit(tool: Tool, instruction: str) -> float:
    """Share of the tool's required parameters the instruction gives values for.

    A tool without required parameters fits half-way (it neither needs nor uses the values).
    """
    required = tool.required
    if not required:
        return 0.5
    found = from_instruction(tool, instruction)
    return sum(name in found for name in required) / len(required)


def functional_group(
    relevance: NDArray[np.float64],
    tool_vecs: Matrix,
    margin: float,
    same_cos: float,
) -> list[int]:
    """Indices of the candidates that do the same job as the most relevant one.

    Args:
        relevance: relevance of each candidate (see :func:`relevance_scores`).
        tool_vecs: unit vectors of the candidates' functionality texts, same order.
        margin: a candidate within this much of the best relevance is in the group.
        same_cos: a candidate whose functionality vector has at least this cosine with the
            best candidate's is in the group (same functionality, reworded or identical).

    Returns:
        Sorted candidate indices; the best candidate (first on ties) is always included.
    """
    if relevance.size == 0:
        return []
    best = int(np.argmax(relevance))
    same = tool_vecs @ tool_vecs[best] >= same_cos
    close = relevance >= relevance[best] - margin
    members = np.flatnonzero(same | close)
    return [int(i) for i in members]
