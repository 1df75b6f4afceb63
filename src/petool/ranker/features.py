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
  their mean), and whether the app's service area names the user's country or continent;
* **policy**: whether the app states rules, which the user falls under (minor, elderly, low
  income, body weight), whether the requested amount passes the app's cap, and how close the
  request is to a policy sentence (for the abstention decision).

Peers of a candidate are the candidates with the same endpoint name or a functionality cosine
of at least :data:`PEER_COS`; "relative" features are the value minus the best among peers.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from petool.ranker.relevance import schema_fit
from petool.schema import Task, Tool

F32 = NDArray[np.float32]
PEER_COS = 0.9

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
    "region_match",
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


def _region_names(country: str) -> set[str]:
    """The user's country and its continent, as they would be named in an app text."""
    c = country.strip().lower()
    names = {c} | ({"mainland china"} if c == "china" else set())
    names |= {k.lower() for k, v in _CONTINENTS.items() if c in v}
    if c in _CONTINENTS["North America"]:
        names |= {"united states", "canada"}
    return names


_ALL_REGIONS = sorted(
    {n for v in _CONTINENTS.values() for n in v if len(n) > 3} | {k.lower() for k in _CONTINENTS},
    key=len,
    reverse=True,
)


@functools.lru_cache(maxsize=65536)
def _named_regions(text: str) -> frozenset[str]:
    low = text.lower()
    return frozenset(r for r in _ALL_REGIONS if re.search(rf"\b{re.escape(r)}\b", low))


def region_match(text: str, country: str) -> float:
    """1 when the app text names the user's country or continent, -1 when it names only
    other regions (a service area that leaves the user out), 0 when it names none."""
    if not country:
        return 0.0
    named = _named_regions(text)
    if not named:
        return 0.0
    return 1.0 if named & _region_names(country) else -1.0


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
    sims = np.concatenate(list(app)) @ facts.T
    starts = np.cumsum([0, *sizes[:-1]])
    return np.asarray(np.maximum.reduceat(sims, starts, axis=0), dtype=np.float64)


@dataclass
class TaskFeatures:
    """The feature matrix of one task's candidates, with the zero-shot ranking behind it."""

    names: list[str]
    matrix: NDArray[np.float64]
    ranking: Ranking


def _max_sim(a: F32, b: F32) -> NDArray[np.float64]:
    """Per row of ``a``: the largest cosine with a row of ``b`` (0 when ``b`` is empty)."""
    if len(b) == 0 or len(a) == 0:
        return np.zeros(len(a))
    return np.asarray((a @ b.T).max(axis=1), dtype=np.float64)


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
        self._rules: dict[str, PolicyRules] = {}
        self._policies: dict[str, list[str]] = {}
        self._app_texts: dict[str, str] = {}  # per tool name, for this toolset
        self._app_word_sets: dict[str, set[str]] = {}
        self._policy_vecs: dict[str, F32] = {}
        self._app_sentence_memo: dict[str, F32] = {}

    @property
    def encoder(self) -> Any:
        return self.zero_shot.encoder

    def index(self, tools: Sequence[Tool]) -> None:
        """Index the toolset in the zero-shot ranker; read each app's policies."""
        self.zero_shot.index(tools)
        self._rules = {}
        self._policies = {}
        self._app_texts = {}
        self._app_word_sets = {}
        self._policy_vecs = {}
        self._app_sentence_memo = {}

    def _app_text(self, name: str) -> str:
        if name not in self._app_texts:
            self._app_texts[name] = app_text(self._tool(name))
        return self._app_texts[name]

    def _app_words(self, name: str) -> set[str]:
        if name not in self._app_word_sets:
            self._app_word_sets[name] = _words(self._app_text(name)) - _STOP
        return self._app_word_sets[name]

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
        """Features of every task's candidates (texts are embedded in batches)."""
        if not tasks:
            return []
        instruction_vecs = self._encode([t.instruction for t in tasks])
        rankings = self.zero_shot.rank_batch(tasks, instruction_vecs)
        texts: list[str] = []
        for task, ranking in zip(tasks, rankings, strict=True):
            names = [c.name for c in ranking.candidates]
            history_tools = [h.call.tool for h in task.user.history]
            texts += [self._app_text(n) for n in dict.fromkeys(names + history_tools)]
            texts += profile_sentences(task.user.profile)
            texts += environment_sentences(task.user.environment)
            texts += fact_sentences(profile_sentences(task.user.profile))
            texts += fact_sentences(environment_sentences(task.user.environment))
            texts += [p for n in names for p in app_sentences(self._app_text(n))]
            for n in names:
                texts += self._policy(self._tool(n))[1]
        self._encode(list(dict.fromkeys(texts)))  # one batched pass; later lookups hit the memo
        return [
            self._task(task, ranking, vec)
            for task, ranking, vec in zip(tasks, rankings, instruction_vecs, strict=True)
        ]

    def _task(self, task: Task, ranking: Ranking, instruction_vec: F32) -> TaskFeatures:
        table = ranking.candidates
        names = [c.name for c in table]
        n = len(names)
        x = np.zeros((n, len(FEATURES)))
        if n == 0:
            return TaskFeatures(names=names, matrix=x, ranking=ranking)
        col = INDEX
        tools = [self._tool(name) for name in names]
        vecs = self.zero_shot.vectors(names)
        sims = vecs @ vecs.T
        ends = [endpoint(name) for name in names]
        same_end = np.array([[a == b for b in ends] for a in ends])
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
        x[:, col["schema_fit"]] = [schema_fit(t, task.instruction) for t in tools]
        x[:, col["word_overlap"]] = [
            len(words & (w := _words(f"{t.name} {t.description}"))) / max(len(w), 1) for t in tools
        ]
        app_vecs = self._encode([self._app_text(n) for n in names])
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

        profile = self._encode(profile_sentences(task.user.profile))
        environment = self._encode(environment_sentences(task.user.environment))
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
        for kind, sentences in (
            ("profile", profile_sentences(task.user.profile)),
            ("environment", environment_sentences(task.user.environment)),
        ):
            said = set().union(*(_words(v) for v in sentences)) - _STOP if sentences else set()
            overlap = np.array([len(w & said) for w in app_words], dtype=np.float64)
            x[:, col[f"{kind}_overlap"]] = overlap
            x[:, col[f"{kind}_overlap_rel"]] = _relative(overlap, peers)
        x[:, col["has_profile"]] = float(len(profile) > 0)
        x[:, col["has_environment"]] = float(len(environment) > 0)
        self._fact_features(task, names, peers, x)

        facts = profile_facts(task.user.profile)
        amount = requested_amount(task.instruction)
        for i, tool in enumerate(tools):
            rules, sentences = self._policy(tool)
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

    def _app_sentence_vecs(self, name: str) -> F32:
        if name not in self._app_sentence_memo:
            sentences = app_sentences(self._app_text(name)) or [name]
            self._app_sentence_memo[name] = self._encode(sentences)
        return self._app_sentence_memo[name]

    def _fact_features(
        self, task: Task, names: list[str], peers: NDArray[np.bool_], x: NDArray[np.float64]
    ) -> None:
        """Per-fact matching: each profile/environment fact against each sentence of the app
        text, so one matching trait is not diluted by the rest of the app's text."""
        col = INDEX
        app = [self._app_sentence_vecs(n) for n in names]
        per_fact = []
        for kind, sentences in (
            ("profile", profile_sentences(task.user.profile)),
            ("environment", environment_sentences(task.user.environment)),
        ):
            m = _fact_max(app, self._encode(fact_sentences(sentences)))
            best = m.max(axis=1) if m.shape[1] else np.zeros(len(names))
            x[:, col[f"{kind}_fact_sim"]] = best
            x[:, col[f"{kind}_fact_sim_rel"]] = _relative(best, peers)
            per_fact.append(m)
        country = next(
            (str(v) for k, v in task.user.environment.items() if "country" in k.lower()),
            next((str(v) for k, v in task.user.profile.items() if "country" in k.lower()), ""),
        )
        x[:, col["region_match"]] = [region_match(self._app_text(n), country) for n in names]
        m = np.concatenate(per_fact, axis=1)
        if m.shape[1] == 0:
            return
        count = peers.sum(axis=1, keepdims=True)
        mean = (peers.astype(np.float64) @ m) / count  # per fact: the mean among the peers
        x[:, col["fact_margin"]] = np.clip(m - mean, 0.0, None).sum(axis=1)
        lead = np.full(m.shape, -1.0)
        for i in range(len(names)):
            rivals = np.flatnonzero(peers[i])
            rivals = rivals[rivals != i]
            if len(rivals):
                lead[i] = m[i] - m[rivals].max(axis=0)
        x[:, col["fact_lead"]] = np.where(count[:, 0] > 1, lead.max(axis=1), 0.0)

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
        apps = [t.app or "" for t in tools]
        size = len(history)
        last_pos: dict[str, int] = {}
        for pos, item in enumerate(history):
            tool, app = item.call.tool, item.call.app or ""
            kind = {None: "used", 1: "liked", -1: "disliked"}[item.rating]
            for i, name in enumerate(names):
                if name == tool:
                    x[i, col[f"tool_{kind}"]] += 1
                    x[i, col["tool_recency"]] = (size - 1 - pos) / size
                    last_pos[name] = pos
                if app and apps[i] == app:
                    x[i, col[f"app_{kind}"]] += 1
                    x[i, col["app_recency"]] = (size - 1 - pos) / size
        for i, name in enumerate(names):
            if name in last_pos:
                rivals = [last_pos.get(names[j], -1) for j in np.flatnonzero(peers[i])]
                x[i, col["last_used_peer"]] = float(last_pos[name] == max(rivals))

        hist_names = [h.call.tool for h in history]
        signs = np.array([-1.0 if h.rating == -1 else 1.0 for h in history])
        weights = (
            0.5 ** ((size - 1 - np.arange(size)) / 3.0)
            if mode == "chronological"
            else (np.ones(size))
        )
        hist_vecs = self.zero_shot.vectors(hist_names)
        hist_apps = self._encode([self._app_text(h) for h in hist_names])
        pos_rows, neg_rows = signs > 0, signs < 0
        sim = vecs @ hist_vecs.T
        x[:, col["hist_sim_pos"]] = _max_sim(vecs, hist_vecs[pos_rows])
        x[:, col["hist_sim_neg"]] = _max_sim(vecs, hist_vecs[neg_rows])
        x[:, col["hist_sim_signed"]] = (sim * (signs * weights)).sum(axis=1) / weights.sum()
        x[:, col["hist_sim_rel"]] = _relative(x[:, col["hist_sim_pos"]], peers)
        attr_pos = _max_sim(app_vecs, hist_apps[pos_rows])
        x[:, col["attr_sim_pos"]] = attr_pos
        x[:, col["attr_sim_neg"]] = _max_sim(app_vecs, hist_apps[neg_rows])
        x[:, col["attr_sim_rel"]] = _relative(attr_pos, peers)
