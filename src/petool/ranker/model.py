"""The zero-shot personalized ranker: functional relevance, then the user's preference.

Stage 1 (functional): relevance is the cosine of the instruction's and each candidate's
functionality embeddings plus a bonus for schema fit (the instruction holds values for the
tool's required parameters); the *functional group* is the candidates close to the best one
(see :func:`~petool.ranker.relevance.functional_group`).

Stage 2 (preference, inside the group): the user's preference vector over attribute
features is learned from their history: each past tool's advantage over its functional peers
in the toolset, signed by the rating, averaged, then sharpened so the attributes the user
favours consistently outweigh incidental ones. In chronological mode recent calls weigh more
and calls before a detected change of preference are dropped. Each group member scores
``dot(preference, its advantage within the group)`` plus a direct-habit term (the user
called this very tool before, liked or disliked). When the attributes give no
structured signal (free text, or tools outside the toolset), the member's attribute text is
compared with the texts of the user's liked/disliked tools instead. Without history the most
relevant candidate wins (ties: candidate order).

Then the chosen tool's parameters are filled (:mod:`petool.ranker.arguments`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from petool.embedding import MODEL_NAME, TextEncoder, get_embedder
from petool.ranker.arguments import FilledArguments, fill_arguments
from petool.ranker.preference import (
    AttributeSpace,
    advantages,
    attribute_text,
    change_point,
    habit_scores,
    rating_sign,
    recency_weights,
    sharpen,
)
from petool.ranker.relevance import functional_group, relevance_scores, schema_fit, tool_text
from petool.schema import Interaction, Task, Tool, ToolCall

Array = NDArray[np.float64]


@dataclass(frozen=True)
class RankerConfig:
    """Hyperparameters of the ranker (recorded in a run's config.json).

    Attributes:
        group_margin: candidates within this relevance of the best join the functional group.
        fit_weight: weight of the schema fit (share of required parameters the instruction
            gives) added to the embedding similarity.
        same_functionality_cos: functionality vectors at least this close count as the same
            job (functional group members; functional peers in the toolset).
        half_life: in chronological mode, the age (in steps) at which a past call weighs 0.5.
        change_min_gain: in chronological mode, how much more coherent the history must be
            when split in two for a change of preference to be assumed.
        old_weight: factor on the weight of calls before a detected change of preference.
        sharpness: power that sharpens the preference vector (1: plain weighted mean).
        habit_weight: weight of the direct-habit term against the attribute preference.
        text_weight: weight of the free-text attribute similarity (the fallback).
        habit_share: share of the history a value needs to fill a parameter that is not
            marked personalized (a habit, not a one-off value).
        min_count: calls a value needs for the same purpose.
    """

    group_margin: float = 0.02
    fit_weight: float = 0.2
    same_functionality_cos: float = 0.95
    half_life: float = 2.0
    change_min_gain: float = 1.0
    old_weight: float = 0.0
    sharpness: float = 3.0
    habit_weight: float = 1.0
    text_weight: float = 1.0
    habit_share: float = 0.5
    min_count: int = 2


@dataclass
class CandidateScore:
    """How one candidate fared."""

    name: str
    relevance: float
    in_group: bool
    preference: float = 0.0
    habit: float = 0.0
    score: float = 0.0
    fit: float = 0.0  # share of the tool's required parameters the instruction gives


@dataclass
class Ranking:
    """The ranker's decision for one task, with the scores behind it."""

    task_id: str
    choice: str | None
    candidates: list[CandidateScore] = field(default_factory=list)
    arguments: FilledArguments = field(default_factory=FilledArguments)
    preference: dict[str, float] = field(default_factory=dict)
    fallback: str | None = None
    explanation: dict[str, Any] = field(default_factory=dict)
    scored_all: bool = False  # every candidate's score is comparable (the learned ranker)

    def call(self) -> ToolCall | None:
        """The chosen call, or None when there was nothing to choose from."""
        if self.choice is None:
            return None
        return ToolCall(tool=self.choice, arguments=dict(self.arguments.values))

    def answer(self) -> dict[str, Any]:
        """The unified answer object ``{"tool_name": ..., "parameters": {...}}``."""
        return {"tool_name": self.choice, "parameters": dict(self.arguments.values)}

    def answer_text(self) -> str:
        """The unified answer as JSON text (what a model would write)."""
        return json.dumps(self.answer(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything about the decision, JSON-ready (for ``explain`` and the serve API)."""
        return {
            "task_id": self.task_id,
            "choice": self.choice,
            "candidates": [asdict(c) for c in self.candidates],
            "arguments": dict(self.arguments.values),
            "argument_sources": dict(self.arguments.sources),
            "preference": dict(self.preference),
            "fallback": self.fallback,
            "explanation": dict(self.explanation),
        }


class RankingMethods:
    """``rank``, ``explain`` and ``predict`` of a ranker, on top of its ``rank_batch``."""

    def rank_batch(self, tasks: Sequence[Task]) -> list[Ranking]:
        raise NotImplementedError

    def rank(self, task: Task) -> Ranking:
        """Rank one task's candidates."""
        return self.rank_batch([task])[0]

    def explain(self, task: Task) -> dict[str, Any]:
        """The whole decision of one task, JSON-ready: per-candidate scores, the arguments
        and their sources, the explanation."""
        return self.rank(task).to_dict()

    def predict(self, tasks: Sequence[Task]) -> list[str]:
        """The unified answer text of each task."""
        return [r.answer_text() for r in self.rank_batch(tasks)]


class PersonalizedRanker(RankingMethods):
    """Zero-shot personalized tool ranker over one toolset.

    Args:
        config: hyperparameters.
        encoder: text encoder; the shared all-MiniLM-L6-v2 embedder of ``device`` if None.
        device: torch device for the default encoder.
    """

    def __init__(
        self,
        config: RankerConfig | None = None,
        encoder: TextEncoder | None = None,
        device: str = "cpu",
    ):
        self.config = config or RankerConfig()
        self.device = device
        self._encoder = encoder
        self._tools: list[Tool] = []
        self._row: dict[str, int] = {}
        self._by_name: dict[str, Tool] = {}
        self._vecs: NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self._space = AttributeSpace()
        self._features: Array = np.zeros((0, 0))
        self._toolset_adv: dict[int, Array | None] = {}

    @property
    def encoder(self) -> TextEncoder:
        """The text encoder (loads the embedding model on first use)."""
        if self._encoder is None:
            self._encoder = get_embedder(self.device)
        return self._encoder

    @property
    def tools(self) -> list[Tool]:
        """The indexed toolset."""
        return list(self._tools)

    def index(self, tools: Sequence[Tool]) -> None:
        """Index a toolset: embed every tool's functionality once, encode its attributes."""
        self._tools = list(tools)
        self._row = {t.name: i for i, t in enumerate(self._tools)}
        self._by_name = {t.name: t for t in self._tools}
        self._vecs = self.encoder.encode([tool_text(t) for t in self._tools])
        self._space = AttributeSpace.fit(self._tools)
        self._features = self._feature_matrix(self._tools)
        self._toolset_adv = {}

    def tool(self, name: str) -> Tool | None:
        """The indexed tool of this name (None: unknown)."""
        return self._by_name.get(name)

    def vectors(self, names: Sequence[str]) -> NDArray[np.float32]:
        """The functionality vectors of indexed tools (unknown names are indexed by name)."""
        self._ensure_indexed(names)
        return self._vecs[[self._row[n] for n in names]]

    def fill(self, tool: Tool, task: Task) -> FilledArguments:
        """The arguments of ``tool`` for this task (instruction, history, profile, environment)."""
        cfg = self.config
        history = task.user.history
        return fill_arguments(
            tool,
            task.instruction,
            history,
            recency_weights(history, task.mode, cfg.half_life),
            task.user.profile,
            task.user.environment,
            habit_share=cfg.habit_share,
            min_count=cfg.min_count,
            tools=self._by_name,
        )

    def _feature_matrix(self, tools: Sequence[Tool]) -> Array:
        if not tools:
            return np.zeros((0, len(self._space.columns)))
        return np.stack([self._space.vector(t) for t in tools])

    def _ensure_indexed(self, names: Sequence[str]) -> None:
        """Add bare tools for candidate names the toolset lacks (known by name only)."""
        new = [Tool(name=n) for n in dict.fromkeys(names) if n not in self._row]
        if not new:
            return
        vecs = self.encoder.encode([tool_text(t) for t in new])
        base = len(self._tools)
        self._tools += new
        self._row.update({t.name: base + i for i, t in enumerate(new)})
        self._by_name.update({t.name: t for t in new})
        self._vecs = np.concatenate([self._vecs.reshape(base, -1), vecs]) if base else vecs
        self._features = np.concatenate([self._features, self._feature_matrix(new)])

    def _advantage_in_toolset(self, row: int) -> Array | None:
        """The tool's advantage among its functional peers in the toolset (None: no peers)."""
        if row not in self._toolset_adv:
            peers = np.flatnonzero(
                self._vecs @ self._vecs[row] >= self.config.same_functionality_cos
            )
            if peers.size < 2:
                self._toolset_adv[row] = None
            else:
                adv = advantages(self._features[peers])
                self._toolset_adv[row] = adv[int(np.flatnonzero(peers == row)[0])]
        return self._toolset_adv[row]

    def _past_advantages(self, history: Sequence[Interaction]) -> list[tuple[int, Array]]:
        """(position, advantage among its peers) of each past call of a tool with peers."""
        out = []
        for pos, item in enumerate(history):
            row = self._row.get(item.call.tool)
            adv = None if row is None else self._advantage_in_toolset(row)
            if adv is not None:
                out.append((pos, adv))
        return out

    def choice_weights(self, task: Task, past: list[tuple[int, Array]]) -> Array:
        """Weight of each past call as evidence of the *current* preference.

        Recency decay in chronological mode; there, calls before a detected change of
        preference (see :func:`~petool.ranker.preference.change_point`) weigh
        ``old_weight``.
        """
        history = task.user.history
        weights = recency_weights(history, task.mode, self.config.half_life)
        if task.mode == "chronological" and past:
            signed = np.stack([rating_sign(history[pos]) * adv for pos, adv in past])
            k = change_point(signed, self.config.change_min_gain)
            if k:
                weights[: past[k][0]] *= self.config.old_weight
        return weights

    def preference_vector(
        self, history: Sequence[Interaction], weights: Array, past: list[tuple[int, Array]]
    ) -> Array:
        """The user's preference over attribute features.

        The weighted mean signed advantage of their past tools, sharpened so that the
        attributes they favour consistently dominate.
        """
        total = np.zeros(len(self._space.columns))
        mass = 0.0
        for pos, adv in past:
            total += weights[pos] * rating_sign(history[pos]) * adv
            mass += weights[pos]
        mean = total / mass if mass > 0 else total
        return sharpen(mean, self.config.sharpness)

    def _text_preference(
        self, members: Sequence[Tool], history: Sequence[Interaction], weights: Array
    ) -> Array:
        """Similarity of each member's attribute text to the liked minus the disliked tools'."""
        total = float(weights.sum())
        if total <= 0:
            return np.zeros(len(members))
        texts = []
        for item in history:
            row = self._row.get(item.call.tool)
            if row is not None:
                texts.append(attribute_text(self._tools[row]))
            else:
                texts.append(" ".join(p for p in (item.call.app, item.call.tool) if p))
        member_vecs = self.encoder.encode([attribute_text(t) for t in members])
        history_vecs = self.encoder.encode(texts)
        signs = np.array([rating_sign(h) for h in history]) * weights
        scores = (member_vecs @ history_vecs.T).astype(np.float64) @ signs / total
        return np.asarray(scores - scores.mean(), dtype=np.float64)

    def rank_batch(
        self,
        tasks: Sequence[Task],
        instruction_vecs: NDArray[np.float32] | None = None,
        fill: bool = True,
    ) -> list[Ranking]:
        """Rank every task's candidates (instructions are embedded in one batch, unless the
        caller passes their vectors).

        Args:
            tasks: the tasks.
            instruction_vecs: their instructions' vectors, when the caller has them.
            fill: fill the chosen tool's arguments (a caller that only reads the scores, such
                as the learned ranker's features, skips it).
        """
        if not tasks:
            return []
        self._ensure_indexed([c for t in tasks for c in t.candidates])
        if instruction_vecs is None:
            instruction_vecs = self.encoder.encode([t.instruction for t in tasks])
        vecs = instruction_vecs
        return [self._rank(task, vec, fill) for task, vec in zip(tasks, vecs, strict=True)]

    def _rank(self, task: Task, instruction_vec: NDArray[np.float32], fill: bool) -> Ranking:
        cfg = self.config
        names = list(task.candidates) or [t.name for t in self._tools]
        if not names:
            return Ranking(task_id=task.id, choice=None)
        rows = [self._row[n] for n in names]
        cand_vecs = self._vecs[rows]
        relevance = relevance_scores(instruction_vec, cand_vecs)
        fits = np.asarray([schema_fit(self._tools[r], task.instruction) for r in rows])
        if cfg.fit_weight:
            relevance = relevance + cfg.fit_weight * fits
        group = functional_group(relevance, cand_vecs, cfg.group_margin, cfg.same_functionality_cos)
        history = task.user.history
        weights = recency_weights(history, task.mode, cfg.half_life)
        past = self._past_advantages(history) if history else []
        choice_weights = self.choice_weights(task, past) if history else weights

        pref = np.zeros(len(group))
        habit = np.zeros(len(group))
        fallback = None
        preference: dict[str, float] = {}
        if history and len(group) > 1:
            p = self.preference_vector(history, choice_weights, past)
            pref = advantages(self._features[[rows[i] for i in group]]) @ p
            preference = {
                c: round(float(v), 4) for c, v in zip(self._space.columns, p, strict=True) if v
            }
            members = [names[i] for i in group]
            habit = cfg.habit_weight * habit_scores(members, history, choice_weights)
            if np.ptp(pref) <= 1e-9:
                tools = [self._tools[rows[i]] for i in group]
                pref = cfg.text_weight * self._text_preference(tools, history, choice_weights)
                fallback = "attribute_text"

        scores = [float(v) for v in pref + habit]
        by_key = sorted(
            range(len(group)), key=lambda j: (-round(scores[j], 9), -relevance[group[j]], group[j])
        )
        choice = names[group[by_key[0]]]
        table = [
            CandidateScore(
                name=n, relevance=float(relevance[i]), in_group=False, fit=float(fits[i])
            )
            for i, n in enumerate(names)
        ]
        for j, i in enumerate(group):
            c = table[i]
            c.in_group = True
            c.preference, c.habit, c.score = float(pref[j]), float(habit[j]), float(scores[j])
        ranking = Ranking(
            task_id=task.id,
            choice=choice,
            candidates=table,
            preference=preference,
            fallback=fallback,
        )
        if not fill:
            return ranking
        ranking.arguments = fill_arguments(
            self._tools[self._row[choice]],
            task.instruction,
            history,
            weights,
            task.user.profile,
            task.user.environment,
            habit_share=cfg.habit_share,
            min_count=cfg.min_count,
            tools=self._by_name,
        )
        ranking.explanation = _zero_shot_explanation(table[names.index(choice)], fallback)
        return ranking

    def config_dict(self) -> dict[str, Any]:
        """Model name and hyperparameters."""
        return {"embedding_model": MODEL_NAME, "device": self.device, **asdict(self.config)}


def _zero_shot_explanation(chosen: CandidateScore, fallback: str | None) -> dict[str, Any]:
    """The zero-shot ranker's reasons for its choice: the chosen candidate's scores."""
    parts = [("relevance", chosen.relevance), ("preference", chosen.preference)]
    parts.append(("habit", chosen.habit))
    top = [{"feature": k, "value": round(float(v), 4)} for k, v in parts if v]
    out: dict[str, Any] = {"model": "zero-shot", "choice": chosen.name, "reasons": top}
    if fallback:
        out["fallback"] = fallback
    return out
