"""Per-candidate features of the learned ranker (one row per candidate of a task).

Groups of features (names in :data:`FEATURES`):

* **relevance** of instruction and tool: embedding cosine, its gap to the best candidate and
  rank, schema fit, word overlap with the tool's name and description;
* **functional equivalence** among the candidates: the zero-shot ranker's functional group,
  similarity to the most relevant candidate, same endpoint name, how many peers it has;
* **history** at the tool and provider/app level: used, liked and disliked counts, recency of
  the last use, whether it is the peer used last, embedding similarity with the tools the user
  liked and disliked (functionality and non-functional attribute texts), and the zero-shot
  ranker's preference, habit and total scores;
* **profile and environment**: similarity of the tool's app/attribute text with the user's
  profile sentences and environment facts, absolute and relative to its peers, and per single
  fact against each sentence of the app text (best match, lead over the peers, margin over
  their mean);
* **policy**: whether the app states rules, which the user falls under (minor, elderly, low
  income, body weight), whether the requested amount passes the app's cap, and how close the
  request is to a policy sentence (for the abstention decision).

Peers of a candidate are the candidates with the same endpoint name or a functionality cosine
of at least :data:`PEER_COS`; "relative" features are the value minus the best among peers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from petool.ranker.model import PersonalizedRanker, Ranking
from petool.ranker.policy import (
    PolicyRules,
    policy_sentences,
    profile_facts,
    requested_amount,
)
from petool.ranker.preference import attribute_text
from petool.schema import Task, Tool

F32 = NDArray[np.float32]
PEER_COS = 0.9
CHUNK = 256  # tasks featurized (and their texts embedded) together

FEATURES: tuple[str, ...] = (
    # relevance
    "relevance",
    "relevance_gap",
    "relevance_rank",
    "schema_fit",
    "word_overlap",
    "app_relevance",
    # functional equivalence
    "zs_in_group",
    "sim_to_best",
    "same_endpoint_as_best",
    "peer_share",
    # history
    "history_length",
    "mode_preferred",
    "mode_rated",
    "mode_chronological",
    "candidates",
    "tool_used",
    "tool_liked",
    "tool_disliked",
    "app_used",
    "app_liked",
    "app_disliked",
    "tool_recency",
    "app_recency",
    "last_used_peer",
    "hist_sim_pos",
    "hist_sim_neg",
    "hist_sim_signed",
    "hist_sim_rel",
    "attr_sim_pos",
    "attr_sim_neg",
    "attr_sim_rel",
    "zs_preference",
    "zs_habit",
    "zs_score",
    "zs_choice",
    # profile and environment
    "profile_sim",
    "profile_sim_rel",
    "environment_sim",
    "environment_sim_rel",
    "situation_sim",
    "situation_sim_rel",
    "profile_overlap",
    "profile_overlap_rel",
    "environment_overlap",
    "environment_overlap_rel",
    "has_profile",
    "has_environment",
    "profile_fact_sim",
    "profile_fact_sim_rel",
    "environment_fact_sim",
    "environment_fact_sim_rel",
    "fact_margin",
    "fact_lead",
    # policy
    "policy_rules",
    "minor_hit",
    "elder_hit",
    "income_hit",
    "body_hit",
    "over_cap",
    "policy_sim",
    "requested_amount",
    "age",
    "low_income",
    "bmi",
)
INDEX = {name: i for i, name in enumerate(FEATURES)}
_RATING_KIND = {None: "used", 1: "liked", -1: "disliked"}

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP = {
    "the",
    "and",
    "for",
    "with",
    "you",
    "your",
    "that",
    "this",
    "are",
    "from",
    "can",
    "has",
    "have",
    "will",
    "its",
    "who",
    "all",
    "any",
    "get",
    "use",
    "app",
    "api",
    "data",
    "level",
}
_IDENTIFYING = ("name", "id", "email", "phone", "address", "user")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()))


def endpoint(name: str) -> str:
    """A tool's endpoint name: the last dotted segment, lower-cased, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def app_text(tool: Tool) -> str:
    """What the user would weigh when choosing among apps: app name and attribute text."""
    attrs = {k: v for k, v in tool.attributes.items() if k not in ("policy", "policies")}
    text = attribute_text(tool.model_copy(update={"attributes": attrs}))
    return f"{tool.app or ''}: {text}".strip(": ")


def _bucket(key: str, value: Any) -> str:
    """A readable fact for one environment entry ("" for one that reads as noise).

    Battery levels and hours are bucketed; places given as objects are named by their city;
    other free numbers (coordinates, ids) are dropped, so facts repeat across users.
    """
    k = key.lower()
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None and isinstance(value, str):
        m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*%?\s*", value)
        number = float(m.group(1)) if m else None
    if "battery" in k and number is not None:
        level = "low" if number <= 20 else "medium" if number <= 60 else "high"
        return f"{level} battery"
    if ("time" in k or "hour" in k) and isinstance(value, str) and number is None:
        m = re.search(r"\d{4}-\d{2}-\d{2}[T ](\d{1,2}):\d{2}", value)
        number = float(m.group(1)) if m else None
    if ("time" in k or "hour" in k) and number is not None:
        hour = int(number) % 24
        part = (
            "night"
            if hour < 6 or hour >= 22
            else "morning"
            if hour < 12
            else "afternoon"
            if hour < 18
            else "evening"
        )
        return f"time of day: {part}"
    if isinstance(value, Mapping):
        city = value.get("city") or value.get("name") or ""
        return f"{key}: {city}" if city else ""
    if number is not None or isinstance(value, list | tuple):
        return ""
    return f"{key}: {value}"


def environment_sentences(environment: Mapping[str, Any]) -> list[str]:
    """One short sentence per environment fact."""
    return [s for k, v in environment.items() if (s := _bucket(k, v))]


def profile_sentences(profile: Mapping[str, Any]) -> list[str]:
    """The profile's preference sentences and one sentence per other (non-identifying) fact."""
    out: list[str] = []
    for key, value in profile.items():
        k = key.lower()
        if any(k == p or k.endswith("_" + p) or k.endswith(" " + p) for p in _IDENTIFYING):
            continue
        if isinstance(value, list):
            out += [str(v) for v in value if str(v).strip()]
        elif isinstance(value, Mapping):
            continue
        else:
            out.append(f"{key}: {value}")
    return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CONTINENTS: dict[str, tuple[str, ...]] = {
    "Europe": (
        "germany",
        "france",
        "spain",
        "italy",
        "united kingdom",
        "uk",
        "england",
        "netherlands",
        "belgium",
        "austria",
        "switzerland",
        "portugal",
        "ireland",
        "sweden",
        "norway",
        "denmark",
        "finland",
        "poland",
        "greece",
        "czech republic",
        "hungary",
    ),
    "North America": ("united states", "usa", "us", "canada", "mexico"),
    "Asia": (
        "china",
        "japan",
        "south korea",
        "korea",
        "india",
        "singapore",
        "thailand",
        "vietnam",
        "indonesia",
        "malaysia",
        "philippines",
    ),
    "Oceania": ("australia", "new zealand"),
    "South America": ("brazil", "argentina", "chile", "colombia", "peru"),
    "Africa": ("south africa", "nigeria", "egypt", "kenya", "morocco"),
}


def app_sentences(text: str) -> list[str]:
    """An app text split into sentences (each trait of the app is usually one sentence)."""
    return [p for p in _SENTENCE.split(text) if p.strip()]


def _fact_phrase(sentence: str) -> str:
    """A fact made easier to match with app texts: countries named with their continent,
    ages with the life stage they imply."""
    key, _, value = sentence.partition(": ")
    k, v = key.lower(), value.strip().lower()
    if k in ("country", "region", "country/region"):
        for continent, names in _CONTINENTS.items():
            if v in names:
                return f"{sentence}, in {continent}"
    if k == "age" and re.fullmatch(r"\d{1,3}", v):
        age = int(v)
        stage = (
            "a child"
            if age < 13
            else "a teenager"
            if age < 18
            else "a young adult"
            if age <= 25
            else "an adult"
            if age < 60
            else "a senior, an older adult"
        )
        return f"{sentence}, {stage}"
    return sentence


def fact_sentences(sentences: Sequence[str]) -> list[str]:
    """Profile or environment sentences as single facts: multi-sentence preferences split,
    countries and ages phrased as :func:`_fact_phrase` does."""
    out: list[str] = []
    for sentence in sentences:
        _, sep, value = sentence.partition(": ")
        parts = app_sentences(value if sep else sentence)
        if len(parts) > 1:
            out += parts
        else:
            out.append(_fact_phrase(sentence))
    return list(dict.fromkeys(out))


def _fact_max(app: Sequence[F32], facts: F32) -> NDArray[np.float64]:
    """Per candidate and fact: the largest cosine of the fact with one of the app's sentences."""
    if len(facts) == 0 or not app:
        return np.zeros((len(app), len(facts)))
    sizes = [len(a) for a in app]
    sims = _dots(np.concatenate(list(app)), facts)
    starts = np.cumsum([0, *sizes[:-1]])
    return np.asarray(np.maximum.reduceat(sims, starts, axis=0), dtype=np.float64)


class _Said(NamedTuple):
    """What a task's user context says, as sentences and as single facts."""

    profile: list[str]
    environment: list[str]
    profile_facts: list[str]
    environment_facts: list[str]

    @classmethod
    def of(cls, task: Task) -> _Said:
        profile = profile_sentences(task.user.profile)
        environment = environment_sentences(task.user.environment)
        return cls(profile, environment, fact_sentences(profile), fact_sentences(environment))


@dataclass
class TaskFeatures:
    """The feature matrix of one task's candidates, with the zero-shot ranking behind it."""

    names: list[str]
    matrix: NDArray[np.float64]
    ranking: Ranking


def _dots(a: F32, b: F32) -> NDArray[np.float32]:
    """``a @ b.T``, one matrix-vector product per row of ``a``.

    A matrix-matrix product of this size (candidates x 384) runs on numpy's multi-threaded
    BLAS, and waking its second thread costs milliseconds when the cores are busy (measured:
    16 ms for a 50 x 50 Gram matrix beside a training job, against 0.14 ms this way). The
    matrix-vector products give the same bits on any thread count, so features do not
    depend on how busy the machine is.
    """
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    return np.stack([b @ row for row in a])


def _max_sim(a: F32, b: F32) -> NDArray[np.float64]:
    """Per row of ``a``: the largest cosine with a row of ``b`` (0 when ``b`` is empty)."""
    if len(b) == 0 or len(a) == 0:
        return np.zeros(len(a))
    return np.asarray(_dots(a, b).max(axis=1), dtype=np.float64)


def _row_max(sims: NDArray[np.float32], columns: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per row: the largest of the chosen columns (0 when none is chosen)."""
    if not columns.any():
        return np.zeros(len(sims))
    return np.asarray(sims[:, columns].max(axis=1), dtype=np.float64)


def _relative(values: NDArray[np.float64], peers: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Each value minus the best value among its peers (itself included)."""
    masked = np.where(peers, values[None, :], -np.inf)
    return np.asarray(values - masked.max(axis=1), dtype=np.float64)


class FeatureBuilder:
    """Computes :data:`FEATURES` for tasks over one indexed toolset.

    Args:
        zero_shot: the zero-shot ranker (it supplies the encoder, the tool vectors and its own
            scores as features).
    """

    def __init__(self, zero_shot: PersonalizedRanker):
        self.zero_shot = zero_shot
        self._forget_toolset()

    def _forget_toolset(self) -> None:
        """Empty the per-tool memos (they hold what was read or embedded for one toolset)."""
        self._rules: dict[str, PolicyRules] = {}
        self._policies: dict[str, list[str]] = {}
        self._app_texts: dict[str, str] = {}
        self._app_word_sets: dict[str, set[str]] = {}
        self._tool_word_sets: dict[str, set[str]] = {}
        self._endpoints: dict[str, str] = {}
        self._app_vec: dict[str, F32] = {}
        self._policy_vecs: dict[str, F32] = {}
        self._app_sentence_memo: dict[str, F32] = {}

    @property
    def encoder(self) -> Any:
        return self.zero_shot.encoder

    def index(self, tools: Sequence[Tool]) -> None:
        """Index the toolset in the zero-shot ranker; read each app's policies."""
        self.zero_shot.index(tools)
        self._forget_toolset()

    def _app_text(self, name: str) -> str:
        if name not in self._app_texts:
            self._app_texts[name] = app_text(self._tool(name))
        return self._app_texts[name]

    def _app_vecs(self, names: Sequence[str]) -> F32:
        """The vectors of the tools' app texts (kept per tool for this toolset)."""
        if not names:
            return np.zeros((0, 1), dtype=np.float32)
        missing = [n for n in dict.fromkeys(names) if n not in self._app_vec]
        if missing:
            vectors = self._encode([self._app_text(n) for n in missing])
            self._app_vec.update(zip(missing, vectors, strict=True))
        return np.stack([self._app_vec[n] for n in names])

    def _app_words(self, name: str) -> set[str]:
        if name not in self._app_word_sets:
            self._app_word_sets[name] = _words(self._app_text(name)) - _STOP
        return self._app_word_sets[name]

    def _endpoint(self, name: str) -> str:
        if name not in self._endpoints:
            self._endpoints[name] = endpoint(name)
        return self._endpoints[name]

    def _tool_words(self, tool: Tool) -> set[str]:
        if tool.name not in self._tool_word_sets:
            self._tool_word_sets[tool.name] = _words(f"{tool.name} {tool.description}")
        return self._tool_word_sets[tool.name]

    def _tool(self, name: str) -> Tool:
        return self.zero_shot.tool(name) or Tool(name=name)

    def _policy(self, tool: Tool) -> tuple[PolicyRules, list[str]]:
        if tool.name not in self._rules:
            sentences = policy_sentences(tool.attributes)
            self._policies[tool.name] = sentences
            self._rules[tool.name] = PolicyRules.read(sentences)
        return self._rules[tool.name], self._policies[tool.name]

    def _encode(self, texts: Sequence[str]) -> F32:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self.encoder.encode(list(texts)), dtype=np.float32)

    def build(self, tasks: Sequence[Task]) -> list[TaskFeatures]:
        """Features of every task's candidates (texts are embedded in batches of
        :data:`CHUNK` tasks, so memory stays flat however many tasks there are).
        """
        out: list[TaskFeatures] = []
        for start in range(0, len(tasks), CHUNK):
            out += self._build(tasks[start : start + CHUNK])
        return out

    def _build(self, tasks: Sequence[Task]) -> list[TaskFeatures]:
        if not tasks:
            return []
        instruction_vecs = self._encode([t.instruction for t in tasks])
        rankings = self.zero_shot.rank_batch(tasks, instruction_vecs, fill=False)
        texts: list[str] = []
        contexts: list[_Said] = []
        for task, ranking in zip(tasks, rankings, strict=True):
            names = [c.name for c in ranking.candidates]
            history_tools = [h.call.tool for h in task.user.history]
            contexts.append(_Said.of(task))
            texts += [self._app_text(n) for n in dict.fromkeys(names + history_tools)]
            texts += [t for part in contexts[-1] for t in part]
            texts += [p for n in names if n not in self._app_sentence_memo for p in self._split(n)]
            for n in names:
                texts += self._policy(self._tool(n))[1]
        # one batched pass; later lookups hit the memo
        prefetch = getattr(self.encoder, "prefetch", None) or self._encode
        prefetch(list(dict.fromkeys(texts)))
        return [
            self._task(task, ranking, vec, context)
            for task, ranking, vec, context in zip(
                tasks, rankings, instruction_vecs, contexts, strict=True
            )
        ]

    def _task(
        self,
        task: Task,
        ranking: Ranking,
        instruction_vec: F32,
        context: _Said,
    ) -> TaskFeatures:
        """One task's feature matrix (``context``: its profile and environment sentences)."""
        profile_said, environment_said = context.profile, context.environment
        table = ranking.candidates
        names = [c.name for c in table]
        n = len(names)
        x = np.zeros((n, len(FEATURES)))
        if n == 0:
            return TaskFeatures(names=names, matrix=x, ranking=ranking)
        col = INDEX
        tools = [self._tool(name) for name in names]
        vecs = self.zero_shot.vectors(names)
        sims = _dots(vecs, vecs)
        ends = np.unique([self._endpoint(name) for name in names], return_inverse=True)[1]
        same_end = ends[:, None] == ends[None, :]
        peers = (sims >= PEER_COS) | same_end

        rel = np.array([c.relevance for c in table])
        best = int(np.argmax(rel))
        order = np.argsort(-rel, kind="stable")
        rank = np.empty(n)
        rank[order] = np.arange(n)
        words = _words(task.instruction)
        x[:, col["relevance"]] = rel
        x[:, col["relevance_gap"]] = rel - rel[best]
        x[:, col["relevance_rank"]] = rank / max(n - 1, 1)
        x[:, col["schema_fit"]] = [c.fit for c in table]
        x[:, col["word_overlap"]] = [
            len(words & (w := self._tool_words(t))) / max(len(w), 1) for t in tools
        ]
        app_vecs = self._app_vecs(names)
        x[:, col["app_relevance"]] = app_vecs @ instruction_vec
        x[:, col["zs_in_group"]] = [c.in_group for c in table]
        x[:, col["sim_to_best"]] = sims[best]
        x[:, col["same_endpoint_as_best"]] = same_end[best]
        x[:, col["peer_share"]] = (peers.sum(axis=1) - 1) / max(n - 1, 1)

        self._history_features(task, names, tools, vecs, app_vecs, peers, x)
        x[:, col["zs_preference"]] = [c.preference for c in table]
        x[:, col["zs_habit"]] = [c.habit for c in table]
        x[:, col["zs_score"]] = [c.score for c in table]
        x[:, col["zs_choice"]] = [name == ranking.choice for name in names]

        profile = self._encode(profile_said)
        environment = self._encode(environment_said)
        profile_sim = _max_sim(app_vecs, profile)
        environment_sim = _max_sim(app_vecs, environment)
        situation = profile_sim + environment_sim
        x[:, col["profile_sim"]] = profile_sim
        x[:, col["profile_sim_rel"]] = _relative(profile_sim, peers)
        x[:, col["environment_sim"]] = environment_sim
        x[:, col["environment_sim_rel"]] = _relative(environment_sim, peers)
        x[:, col["situation_sim"]] = situation
        x[:, col["situation_sim_rel"]] = _relative(situation, peers)
        app_words = [self._app_words(n) for n in names]
        for kind, sentences in (("profile", profile_said), ("environment", environment_said)):
            said = set().union(*(_words(v) for v in sentences)) - _STOP if sentences else set()
            overlap = np.array([len(w & said) for w in app_words], dtype=np.float64)
            x[:, col[f"{kind}_overlap"]] = overlap
            x[:, col[f"{kind}_overlap_rel"]] = _relative(overlap, peers)
        x[:, col["has_profile"]] = float(len(profile) > 0)
        x[:, col["has_environment"]] = float(len(environment) > 0)
        self._fact_features(names, context, peers, x)

        facts = profile_facts(task.user.profile)
        amount = requested_amount(task.instruction)
        for i, tool in enumerate(tools):
            rules, sentences = self._policy(tool)
            if not rules.count:  # no rules: no hits, no policy sentence (the row stays 0)
                continue
            x[i, col["policy_rules"]] = rules.count
            for key, value in rules.hits(facts, amount).items():
                x[i, col[key]] = value
            if sentences:
                if tool.name not in self._policy_vecs:
                    self._policy_vecs[tool.name] = self._encode(sentences)
                x[i, col["policy_sim"]] = float(
                    (self._policy_vecs[tool.name] @ instruction_vec).max()
                )
        x[:, col["requested_amount"]] = math.log10(1 + amount)
        x[:, col["age"]] = facts["age"]
        x[:, col["low_income"]] = facts["low_income"]
        x[:, col["bmi"]] = facts["bmi"]
        return TaskFeatures(names=names, matrix=x, ranking=ranking)

    def _split(self, name: str) -> list[str]:
        return app_sentences(self._app_text(name))

    def _app_sentence_vecs(self, name: str) -> F32:
        if name not in self._app_sentence_memo:
            sentences = self._split(name) or [name]
            self._app_sentence_memo[name] = self._encode(sentences)
        return self._app_sentence_memo[name]

    def _fact_features(
        self,
        names: list[str],
        context: _Said,
        peers: NDArray[np.bool_],
        x: NDArray[np.float64],
    ) -> None:
        """Per-fact matching: each profile/environment fact against each sentence of the app
        text, so one matching trait is not diluted by the rest of the app's text."""
        col = INDEX
        app = [self._app_sentence_vecs(n) for n in names]
        per_fact = []
        kinds = (("profile", context.profile_facts), ("environment", context.environment_facts))
        for kind, facts in kinds:
            m = _fact_max(app, self._encode(facts))
            best = m.max(axis=1) if m.shape[1] else np.zeros(len(names))
            x[:, col[f"{kind}_fact_sim"]] = best
            x[:, col[f"{kind}_fact_sim_rel"]] = _relative(best, peers)
            per_fact.append(m)
        m = np.concatenate(per_fact, axis=1)
        if m.shape[1] == 0:
            return
        count = peers.sum(axis=1, keepdims=True)
        # per fact: the mean among the peers (itself included)
        mean = np.where(peers[:, :, None], m[None, :, :], 0.0).sum(axis=1) / count
        x[:, col["fact_margin"]] = np.clip(m - mean, 0.0, None).sum(axis=1)
        rivals = peers & ~np.eye(len(names), dtype=bool)
        strongest = np.where(rivals[:, :, None], m[None, :, :], -np.inf).max(axis=1)
        lead = (m - strongest).max(axis=1)
        x[:, col["fact_lead"]] = np.where(rivals.any(axis=1), lead, 0.0)

    def _history_features(
        self,
        task: Task,
        names: list[str],
        tools: list[Tool],
        vecs: F32,
        app_vecs: F32,
        peers: NDArray[np.bool_],
        x: NDArray[np.float64],
    ) -> None:
        col = INDEX
        history = task.user.history
        mode = task.mode
        x[:, col["history_length"]] = len(history)
        x[:, col["mode_preferred"]] = mode == "preferred"
        x[:, col["mode_rated"]] = mode == "rated"
        x[:, col["mode_chronological"]] = mode == "chronological"
        x[:, col["candidates"]] = len(names)
        x[:, col["tool_recency"]] = -1.0
        x[:, col["app_recency"]] = -1.0
        if not history:
            return
        size = len(history)
        rows_of_tool: dict[str, list[int]] = {}
        rows_of_app: dict[str, list[int]] = {}
        for i, (name, tool) in enumerate(zip(names, tools, strict=True)):
            rows_of_tool.setdefault(name, []).append(i)
            if tool.app:
                rows_of_app.setdefault(tool.app, []).append(i)
        last = np.full(len(names), -1)  # position of each candidate's last use
        for pos, item in enumerate(history):
            kind = _RATING_KIND[item.rating]
            recency = (size - 1 - pos) / size
            for i in rows_of_tool.get(item.call.tool, ()):
                x[i, col[f"tool_{kind}"]] += 1
                x[i, col["tool_recency"]] = recency
                last[i] = pos
            for i in rows_of_app.get(item.call.app or "", ()):
                x[i, col[f"app_{kind}"]] += 1
                x[i, col["app_recency"]] = recency
        rivals = np.where(peers, last[None, :], -1).max(axis=1)
        x[:, col["last_used_peer"]] = np.where(last >= 0, (last == rivals).astype(float), 0.0)

        hist_names = [h.call.tool for h in history]
        signs = np.array([-1.0 if h.rating == -1 else 1.0 for h in history])
        weights = (
            0.5 ** ((size - 1 - np.arange(size)) / 3.0)
            if mode == "chronological"
            else (np.ones(size))
        )
        hist_vecs = self.zero_shot.vectors(hist_names)
        hist_apps = self._app_vecs(hist_names)
        pos_rows, neg_rows = signs > 0, signs < 0
        sim = _dots(vecs, hist_vecs)
        x[:, col["hist_sim_pos"]] = _row_max(sim, pos_rows)
        x[:, col["hist_sim_neg"]] = _row_max(sim, neg_rows)
        x[:, col["hist_sim_signed"]] = (sim * (signs * weights)).sum(axis=1) / weights.sum()
        x[:, col["hist_sim_rel"]] = _relative(x[:, col["hist_sim_pos"]], peers)
        attr_sim = _dots(app_vecs, hist_apps)
        attr_pos = _row_max(attr_sim, pos_rows)
        x[:, col["attr_sim_pos"]] = attr_pos
        x[:, col["attr_sim_neg"]] = _row_max(attr_sim, neg_rows)
        x[:, col["attr_sim_rel"]] = _relative(attr_pos, peers)
