"""Functional grouping: tools of different providers that do the same job.

Each tool's functionality (with its category, so that "get genres" of a radio directory and
of an anime database stay apart) is embedded with all-MiniLM-L6-v2. Pairs of tools of
different providers whose cosine similarity reaches ``threshold`` are merged, most similar
first, into groups with complete linkage: a merge happens only when every cross pair of the
two groups reaches the threshold, the providers stay distinct, and the group stays within
``max_size``. Groups of two or more are the choice points; with an LLM each group is then
confirmed (members that do not do the same job are dropped, see :func:`confirm_request`).

Similarities are rounded to 4 decimals before any decision, so the grouping does not depend
on float noise between embedding batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from petool.embedding import TextEncoder
from petool.schema import Tool
from petool.synth.llm import LLMRequest
from petool.synth.values import profile_key

THRESHOLD = 0.85
MAX_SIZE = 6
_CHUNK = 1024
_ROUND = 4


@dataclass
class Group:
    """A choice point: the member tools (distinct providers) and their shared job."""

    id: str
    category: str
    functionality: str
    tools: list[Tool] = field(default_factory=list)
    min_similarity: float = 1.0

    @property
    def names(self) -> list[str]:
        """Names of the members."""
        return [t.name for t in self.tools]

    @property
    def personalized(self) -> list[str]:
        """Parameters of any member whose value comes from the user's profile."""
        out: dict[str, None] = {}
        for t in self.tools:
            for name in t.properties:
                if profile_key(name):
                    out.setdefault(name, None)
        return list(out)

    def record(self) -> dict[str, Any]:
        """The group as a line of ``groups.jsonl``."""
        return {
            "id": self.id,
            "category": self.category,
            "functionality": self.functionality,
            "members": self.names,
            "min_similarity": self.min_similarity,
        }


def grouping_text(tool: Tool) -> str:
    """What is embedded for grouping: the functionality and the category."""
    category = tool.category.replace("_", " ").strip()
    return f"{tool.functionality} ({category})" if category else tool.functionality


def _provider(tool: Tool) -> str:
    return tool.app or tool.name


def _edges(
    vectors: np.ndarray, providers: list[str], threshold: float
) -> list[tuple[float, int, int]]:
    """Pairs (similarity, i, j), i < j, of different providers at or above the threshold."""
    out: list[tuple[float, int, int]] = []
    n = len(vectors)
    for start in range(0, n, _CHUNK):
        block = np.round(vectors[start : start + _CHUNK] @ vectors.T, _ROUND)
        rows, cols = np.nonzero(block >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if i < c and providers[i] != providers[c]:
                out.append((float(block[r, c]), i, c))
    out.sort(key=lambda e: (-e[0], e[1], e[2]))
    return out


def cluster(
    vectors: np.ndarray, providers: list[str], threshold: float, max_size: int
) -> list[tuple[list[int], float]]:
    """Complete-linkage clusters of 2+ items: (member indices ascending, min similarity)."""
    members: dict[int, list[int]] = {}
    owner = list(range(len(vectors)))
    low: dict[int, float] = {}
    for sim, i, j in _edges(vectors, providers, threshold):
        a, b = owner[i], owner[j]
        if a == b:
            continue
        left, right = members.get(a, [a]), members.get(b, [b])
        if len(left) + len(right) > max_size:
            continue
        if {providers[x] for x in left} & {providers[x] for x in right}:
            continue
        cross = np.round(vectors[left] @ vectors[right].T, _ROUND)
        worst = float(cross.min())
        if worst < threshold:
            continue
        members[a] = sorted(left + right)
        members.pop(b, None)
        low[a] = min(low.get(a, sim), low.get(b, sim), worst)
        for x in right:
            owner[x] = a
    out = [(m, low[k]) for k, m in members.items() if len(m) >= 2]
    out.sort(key=lambda c: c[0][0])
    return out


def group_tools(
    tools: Sequence[Tool],
    encoder: TextEncoder,
    *,
    threshold: float = THRESHOLD,
    max_size: int = MAX_SIZE,
) -> list[Group]:
    """Group tools that do the same job (see the module docstring).

    Args:
        tools: the understood tools (``functionality`` set).
        encoder: the sentence embedder.
        threshold: the cosine similarity every pair of a group reaches.
        max_size: the most members a group may have.

    Returns:
        The groups of two or more, ordered by their first member's position, ids ``g00000``...
    """
    if not tools:
        return []
    vectors = np.asarray(encoder.encode([grouping_text(t) for t in tools]), dtype=np.float32)
    providers = [_provider(t) for t in tools]
    groups = []
    for k, (idx, low) in enumerate(cluster(vectors, providers, threshold, max_size)):
        first = tools[idx[0]]
        groups.append(
            Group(
                id=f"g{k:05d}",
                category=first.category,
                functionality=first.functionality,
                tools=[tools[i] for i in idx],
                min_similarity=low,
            )
        )
    return groups


# --------------------------------------------------------------------------- with an LLM

CONFIRM_SYSTEM = (
    "You check a group of API endpoints from different providers that were put together "
    "because their descriptions look alike. Say which of them do the same job, so that a "
    "user could use any of them for the same request. Answer with one JSON object and "
    'nothing else: {"same_job": [<indices of the endpoints that do the same job as most '
    "of the others>]} (an empty list if no two of them do)."
)


def confirm_request(group: Group) -> LLMRequest:
    """The LLM request that confirms one group."""
    payload = {
        "id": f"group:{group.id}:{'|'.join(group.names)}",
        "endpoints": [
            {"index": i, "category": t.category, "functionality": t.functionality,
             "description": t.description[:300]}
            for i, t in enumerate(group.tools)
        ],
    }  # fmt: skip
    return LLMRequest(
        key=str(payload["id"]),
        system=CONFIRM_SYSTEM,
        intro="Which of these endpoints do the same job?",
        payload=payload,
    )


def parse_confirmation(group: Group) -> Any:
    """A parser of the LLM's answer: the member indices it keeps (ascending)."""

    def parse(answer: dict[str, Any]) -> list[int]:
        same = answer.get("same_job")
        if not isinstance(same, list) or not all(isinstance(i, int) for i in same):
            raise ValueError("'same_job' must be a list of indices")
        keep = sorted({i for i in same if 0 <= i < len(group.tools)})
        if len(keep) != len(set(same)):
            raise ValueError("'same_job' has an index out of range")
        return keep

    return parse


def apply_confirmations(groups: Sequence[Group], keep: dict[str, list[int] | None]) -> list[Group]:
    """Groups restricted to the confirmed members; groups left with fewer than 2 dropped.

    A group whose confirmation failed (None) is kept as the embeddings made it. Ids are
    renumbered in order.
    """
    out: list[Group] = []
    for g in groups:
        chosen = keep.get(confirm_request(g).key)
        tools = g.tools if chosen is None else [g.tools[i] for i in chosen]
        if len(tools) >= 2:
            out.append(
                Group(f"g{len(out):05d}", g.category, g.functionality, tools, g.min_similarity)
            )
    return out
