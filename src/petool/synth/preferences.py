"""Preferences: what a user wants of a tool beyond what it does, and whom it picks.

A :class:`Preference` gives, per non-functional dimension, the phrase the user wants
("free of charge", "strong privacy protection") and a weight: one or two dominant dimensions
and small weights elsewhere. A tool fits it by embedding similarity (all-MiniLM-L6-v2) of
the wanted phrase and the tool's own phrase on the same dimension, weighted:

    fit(tool) = sum_d w_d * cos(e(wanted_d), e(attribute_d(tool))) / sum_d w_d

The user's preferred member of a group is the best-fitting one, and only when it beats the
runner-up by ``margin`` is the choice well defined (otherwise the group is no choice point
for this user). Fits are rounded to 5 decimals so that tiny float differences between
embedding batches cannot flip a choice.

Offline preferences are drawn per user from :data:`~petool.synth.understand.DIMENSIONS`;
with an LLM, a pool of personas is written by the model (:func:`persona_request`) and each
user draws one.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from petool.embedding import TextEncoder
from petool.schema import Tool
from petool.synth.attributes import DIMENSION_BY_NAME, DIMENSION_NAMES, DIMENSIONS
from petool.synth.histories import GroupLike
from petool.synth.llm import LLMRequest

#: Default margin (fit scale 0–1) by which the preferred member must beat the runner-up.
MARGIN = 0.05
_ROUND = 5
_MEMO = 8


@dataclass(frozen=True)
class Preference:
    """Wanted phrase and weight per dimension; ``dominant``: the dimensions that matter most."""

    priorities: dict[str, str]
    weights: dict[str, float]
    dominant: tuple[str, ...]
    statement: str = ""
    persona: str | None = None

    @property
    def label(self) -> str:
        """The wanted phrases of the dominant dimensions, joined by ``+``."""
        return "+".join(self.priorities[d] for d in self.dominant)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``users.jsonl`` and task metadata record)."""
        data: dict[str, Any] = {
            "label": self.label,
            "dominant": list(self.dominant),
            "priorities": dict(self.priorities),
            "weights": dict(self.weights),
        }
        if self.statement:
            data["statement"] = self.statement
        if self.persona is not None:
            data["persona"] = self.persona
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preference:
        """Inverse of :meth:`as_dict`."""
        return cls(
            priorities={str(k): str(v) for k, v in dict(data["priorities"]).items()},
            weights={str(k): float(v) for k, v in dict(data["weights"]).items()},
            dominant=tuple(data.get("dominant", ())),
            statement=str(data.get("statement", "")),
            persona=data.get("persona"),
        )


def sample_preference(rng: random.Random, avoid: Sequence[str] = ()) -> Preference:
    """Draw 1–2 dominant dimensions (none of ``avoid``) with small weights elsewhere."""
    pool = [d for d in DIMENSION_NAMES if d not in avoid]
    k = 1 if rng.random() < 0.5 else 2
    dominant = tuple(rng.sample(pool, k))
    weights = {d: round(rng.uniform(0.0, 0.1), 2) for d in DIMENSION_NAMES}
    weights[dominant[0]] = 1.0
    if k == 2:
        weights[dominant[1]] = round(rng.uniform(0.6, 0.9), 2)
    priorities = {d.name: d.preference for d in DIMENSIONS}
    return Preference(priorities=priorities, weights=weights, dominant=dominant)


def draw_persona(
    rng: random.Random, personas: Sequence[Preference], avoid: Sequence[str] = ()
) -> Preference:
    """One persona of the pool, preferring those whose dominant dimensions avoid ``avoid``."""
    pool = [p for p in personas if not set(p.dominant) & set(avoid)] or list(personas)
    return pool[rng.randrange(len(pool))]


class EmbeddingPreferences:
    """The embedding fit of preferences to tools, and each user's choices in the groups.

    Args:
        tools: the tools (their ``attributes`` hold one phrase per dimension).
        groups: the choice points.
        encoder: embeds phrases (unit-norm rows).
        margin: how much the best member must beat the runner-up by.
    """

    def __init__(
        self,
        tools: Sequence[Tool],
        groups: Sequence[GroupLike],
        encoder: TextEncoder,
        margin: float = MARGIN,
    ):
        self.margin = margin
        self.encoder = encoder
        self.groups = list(groups)
        self._group_index = {g.id: k for k, g in enumerate(self.groups)}
        self._column = {t.name: k for k, t in enumerate(tools)}
        self._phrases = {d: [str(t.attributes.get(d, "")) for t in tools] for d in DIMENSION_NAMES}
        self._sims: dict[tuple[str, str], NDArray[np.float64]] = {}
        width = max((len(g.tools) for g in self.groups), default=2)
        members = np.full((len(self.groups), width), len(tools), dtype=np.int64)
        for k, g in enumerate(self.groups):
            members[k, : len(g.tools)] = [self._column[t.name] for t in g.tools]
        self._members = members
        self._memo: OrderedDict[int, tuple[Any, NDArray[np.int64], NDArray[np.bool_]]] = (
            OrderedDict()
        )
        self._eligible: OrderedDict[int, tuple[Any, list[tuple[GroupLike, int]]]] = OrderedDict()

    def similarities(self, dim: str, phrase: str) -> NDArray[np.float64]:
        """Cosine of ``phrase`` with every tool's phrase on ``dim`` (0 where it has none)."""
        key = (dim, phrase)
        if key not in self._sims:
            column = self._phrases.get(dim, [])
            unique = sorted({p for p in column if p})
            vectors = self.encoder.encode([phrase, *unique]) if unique else None
            lookup: dict[str, float] = {}
            if vectors is not None:
                for text, sim in zip(unique, vectors[1:] @ vectors[0], strict=True):
                    lookup[text] = float(sim)
            self._sims[key] = np.array([lookup.get(p, 0.0) for p in column], dtype=np.float64)
        return self._sims[key]

    def fits(self, pref: Preference) -> NDArray[np.float64]:
        """The fit of every tool to ``pref`` (rounded), one entry per tool."""
        total = sum(w for d, w in pref.weights.items() if d in pref.priorities) or 1.0
        out = np.zeros(len(self._column), dtype=np.float64)
        for dim, weight in pref.weights.items():
            if weight and dim in pref.priorities and dim in DIMENSION_BY_NAME:
                out += weight * self.similarities(dim, pref.priorities[dim])
        return np.round(out / total, _ROUND)

    def _choices(self, pref: Any) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        key = id(pref)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is pref:
            self._memo.move_to_end(key)
            return hit[1], hit[2]
        fits = np.append(self.fits(pref), -np.inf)[self._members]
        order = np.argsort(-fits, axis=1, kind="stable")
        ranked = np.take_along_axis(fits, order, axis=1)
        defined = (ranked[:, 0] - ranked[:, 1]) >= self.margin - 1e-9
        self._memo[key] = (pref, order, defined)
        while len(self._memo) > _MEMO:
            self._memo.popitem(last=False)
        return order, defined

    def preferred(self, pref: Any, group: GroupLike) -> int | None:
        """Index of the user's preferred member of ``group``, or None (no margin)."""
        order, defined = self._choices(pref)
        k = self._group_index[group.id]
        return int(order[k, 0]) if defined[k] else None

    def ranking(self, pref: Any, group: GroupLike) -> list[int]:
        """Member indices of ``group``, best fit first (ties: member order)."""
        order, _ = self._choices(pref)
        k = self._group_index[group.id]
        return [int(i) for i in order[k, : len(group.tools)]]

    def eligible(self, pref: Any) -> list[tuple[GroupLike, int]]:
        """Groups with a well-defined preferred member, in group order."""
        key = id(pref)
        hit = self._eligible.get(key)
        if hit is not None and hit[0] is pref:
            return hit[1]
        order, defined = self._choices(pref)
        out = [(self.groups[k], int(order[k, 0])) for k in np.flatnonzero(defined)]
        self._eligible[key] = (pref, out)
        while len(self._eligible) > _MEMO:
            self._eligible.popitem(last=False)
        return out


# --------------------------------------------------------------------------- with an LLM

PERSONA_SYSTEM = (
    "You invent one user of software tools and what they care about beyond what a tool "
    "does. Answer with one JSON object and nothing else:\n"
    '{"statement": "<one or two sentences in the first person>", '
    '"priorities": {<dimension>: "<short phrase the user wants>", ...}, '
    '"weights": {<dimension>: <importance between 0.5 and 1>, ...}}\n'
    "Use one to three of these dimensions (phrase the wanted level in the style of the "
    "examples):\n" + "\n".join(f"- {d.name}: {d.meaning}; e.g. {d.preference}" for d in DIMENSIONS)
)


def persona_request(
    index: int, focus: Sequence[str], examples: Mapping[str, list[str]]
) -> LLMRequest:
    """The LLM request for persona ``index``, asked to care mostly about ``focus``."""
    key = f"persona:{index}"
    payload = {
        "id": key,
        "focus": list(focus),
        "attribute_examples": {d: examples.get(d, [])[:4] for d in focus},
    }
    return LLMRequest(
        key=key,
        system=PERSONA_SYSTEM,
        intro="Invent this user; they care most about the dimensions in 'focus'.",
        payload=payload,
    )


def parse_persona(index: int) -> Any:
    """A parser of the LLM's persona answer into a :class:`Preference`."""

    def parse(answer: dict[str, Any]) -> Preference:
        priorities = answer.get("priorities")
        weights = answer.get("weights") or {}
        if not isinstance(priorities, dict) or not isinstance(weights, dict):
            raise ValueError("'priorities' and 'weights' must be objects")
        wanted = {
            d: " ".join(str(p).split())[:80]
            for d, p in priorities.items()
            if d in DIMENSION_BY_NAME and isinstance(p, str) and p.strip()
        }
        if not 1 <= len(wanted) <= 3:
            raise ValueError("'priorities' must name one to three known dimensions")
        w: dict[str, float] = {}
        for d in wanted:
            value = weights.get(d, 1.0)
            w[d] = round(min(max(float(value), 0.1), 1.0), 2)
        dominant = tuple(sorted(wanted, key=lambda d: (-w[d], DIMENSION_NAMES.index(d))))
        statement = " ".join(str(answer.get("statement", "")).split())[:400]
        return Preference(wanted, w, dominant, statement=statement, persona=f"p{index:03d}")

    return parse


def offline_persona(index: int, focus: Sequence[str]) -> Preference:
    """The persona used when the LLM's answer is unusable: the focus at its best level."""
    priorities = {d: DIMENSION_BY_NAME[d].preference for d in focus}
    weights = {d: round(1.0 - 0.2 * k, 2) for k, d in enumerate(focus)}
    return Preference(priorities, weights, tuple(focus), persona=f"p{index:03d}")


def persona_focus(index: int, rng: random.Random) -> tuple[str, ...]:
    """The dimensions persona ``index`` is asked to care about (each dimension in turn)."""
    first = DIMENSION_NAMES[index % len(DIMENSION_NAMES)]
    if rng.random() < 0.5:
        return (first,)
    second = rng.choice([d for d in DIMENSION_NAMES if d != first])
    return (first, second)
