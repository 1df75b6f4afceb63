"""``ranker+BACKEND``: the ranker shortlists, another backend (an LLM) makes the final call.

The practical path for agents with thousands of tools: ``ranker+openai:MODEL`` (any backend
spec after the ``+``). For each task the ranker ranks the candidates (the whole toolset through
the catalog index when the task lists none, see :mod:`petool.ranker.catalog`); the inner
backend then gets a copy of the task restricted to the ranker's top ``k`` candidates in ranker
order, with the ranker's evidence in ``meta.ranker_evidence``: per candidate its score and
reasons (relevance, functional group, preference, habit), and the tools the user liked and
disliked. The unified prompt styles render that as a "Ranker evidence" section; a suite's own
prompt (``faithful``, ``task.system_prompt``) gets it appended to the system prompt. The
output is the inner backend's, parsed as usual.

``meta.restricted_candidates`` is set on the restricted task: the ``oracle`` then answers only
from the list it was handed (the gold when the ranker kept it in the top k, otherwise the
ranker's first candidate), so ``ranker+oracle`` measures the chain's ceiling, recall at k.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.ranker_backend import RankerBackend
from petool.ranker.catalog import shortlist_tasks
from petool.ranker.model import CandidateScore, Ranking
from petool.schema import Suite, Task

DEFAULT_TOP_K = 5


def ranked_candidates(ranking: Ranking) -> list[CandidateScore]:
    """The ranking's candidates, best first (ties: candidate order).

    The learned ranker scores every candidate: the choice, then the others by that score (a
    request it abstained on keeps the order of its scores). The zero-shot ranker scores only
    its functional group: the choice, the rest of the group by score, then the others by
    relevance.
    """
    table = list(ranking.candidates)
    if ranking.scored_all:
        order = sorted(
            range(len(table)),
            key=lambda i: (table[i].name != ranking.choice, -table[i].score, i),
        )
        return [table[i] for i in order]
    order = sorted(
        range(len(table)),
        key=lambda i: (
            table[i].name != ranking.choice,
            not table[i].in_group,
            -table[i].score if table[i].in_group else 0.0,
            -table[i].relevance,
            i,
        ),
    )
    return [table[i] for i in order]


def _reasons(c: CandidateScore) -> str:
    parts = [f"relevance {c.relevance:.3f}"]
    if c.in_group:
        parts.append("does the asked job (functional group)")
        if c.preference:
            parts.append(f"preference {c.preference:+.3f}")
        if c.habit:
            parts.append(f"habit {c.habit:+.3f}")
    return ", ".join(parts)


def evidence_text(task: Task, top: Sequence[CandidateScore]) -> str:
    """The ranker's evidence for the inner backend, compact plain text."""
    lines = ["A personalized ranker ordered the candidate tools (best first):"]
    for rank, c in enumerate(top, start=1):
        lines.append(f"{rank}. {c.name}: score {c.score:+.3f}; {_reasons(c)}")
    liked = [h.call.tool for h in task.user.history if h.rating != -1]
    disliked = [h.call.tool for h in task.user.history if h.rating == -1]
    if liked:
        lines.append("The user liked: " + ", ".join(dict.fromkeys(liked)))
    if disliked:
        lines.append("The user disliked: " + ", ".join(dict.fromkeys(disliked)))
    lines.append("The ranker can be wrong: decide from the request and the user's context.")
    return "\n".join(lines)


def restrict(task: Task, ranking: Ranking, k: int) -> Task:
    """The task handed to the inner backend: top-``k`` candidates and the evidence."""
    top = ranked_candidates(ranking)[:k]
    evidence = evidence_text(task, top)
    meta = task.meta.model_copy(update={"ranker_evidence": evidence, "restricted_candidates": True})
    update: dict[str, Any] = {"candidates": [c.name for c in top], "meta": meta}
    if task.system_prompt is not None:
        update["system_prompt"] = f"{task.system_prompt}\n\n{evidence}"
    return task.model_copy(update=update)


class RankerChainBackend(Backend):
    """The ranker first, then ``inner`` on the top-``k`` candidates with the evidence.

    Args:
        inner: the backend that makes the final call.
        ranker: the ranker backend (default: the built-in ``ranker``).
        k: how many of the ranker's candidates the inner backend sees.
    """

    def __init__(self, inner: Backend, ranker: RankerBackend | None = None, k: int = DEFAULT_TOP_K):
        if k < 1:
            from petool.errors import ConfigError

            raise ConfigError(f"backend 'ranker+{inner.name}': k must be at least 1, got {k}")
        self.inner = inner
        self.ranker = ranker or RankerBackend()
        self.k = k
        self.name = f"ranker+{inner.name}"
        self.batch_size = inner.batch_size
        self.max_concurrency = inner.max_concurrency
        self._lock = asyncio.Lock()

    def setup(self, suite: Suite) -> None:
        """Set up both: the ranker indexes the toolset, the inner backend sees the suite."""
        self.ranker.setup(suite)
        self.inner.setup(suite)

    def _rank(self, tasks: Sequence[Task]) -> list[Task]:
        ranker = self.ranker
        shortlisted = shortlist_tasks(tasks, ranker.catalog, ranker.shortlist)
        rankings = ranker.ranker.rank_batch(shortlisted)
        return [restrict(t, r, self.k) for t, r in zip(tasks, rankings, strict=True)]

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Rank (one at a time: the ranker is not thread-safe), then the inner backend."""
        self.ranker._require_setup()
        async with self._lock:
            restricted = await asyncio.to_thread(self._rank, list(tasks))
        return await self.inner.generate(restricted)

    def config(self) -> dict[str, Any]:
        """Both backends' configs and k."""
        return {
            "name": self.name,
            "k": self.k,
            "ranker": self.ranker.config(),
            "inner": self.inner.config(),
        }

    async def aclose(self) -> None:
        """Close both."""
        try:
            await self.inner.aclose()
        finally:
            await self.ranker.aclose()


CHAIN_KEYS = {"k": int, "shortlist": int}
"""Chain keys a ``ranker:...+INNER`` spec may give beside the ranker's hyperparameters."""


def split_chain_spec(spec: str) -> tuple[str, dict[str, int], str]:
    """``ranker[:key=value,...]+INNER`` -> (ranker spec, chain keys, inner spec).

    ``k`` (candidates the inner backend sees) and ``shortlist`` (tools the catalog index
    hands the ranker for a task without candidates) are the chain's; the other keys are the
    ranker's hyperparameters.

    Raises:
        ConfigError: no inner backend, or a chain key that is not a positive integer.
    """
    from petool.errors import ConfigError

    head, _, inner = spec.strip().partition("+")
    if not inner.strip():
        raise ConfigError(f"backend '{spec}': expected ranker+BACKEND, e.g. ranker+openai:MODEL")
    _, _, argument = head.partition(":")
    keys: dict[str, int] = {}
    rest = []
    for part in argument.split(","):
        key, sep, raw = part.partition("=")
        if key.strip() in CHAIN_KEYS and sep:
            try:
                value = int(raw.strip())
            except ValueError:
                value = 0
            if value < 1:
                raise ConfigError(
                    f"backend '{spec}': '{key.strip()}' expects a positive integer, got {raw!r}"
                )
            keys[key.strip()] = value
        elif part.strip():
            rest.append(part.strip())
    ranker_spec = "ranker:" + ",".join(rest) if rest else "ranker"
    return ranker_spec, keys, inner.strip()


def make_chain(spec: str, **options: Any) -> RankerChainBackend:
    """Factory for ``ranker[:key=value,...]+INNER``: the options go to the inner backend
    (``seed`` to both; ``device`` to the ranker too when the inner backend takes none)."""
    from petool.backends.registry import backend_options, make_backend

    ranker_spec, keys, inner_spec = split_chain_spec(spec)
    inner = make_backend(inner_spec, **options)
    takes = backend_options(inner_spec)
    ranker_opts: dict[str, Any] = {"seed": options.get("seed")}
    if takes is not None and "device" not in takes:
        ranker_opts["device"] = options.get("device")
    ranker = make_backend(ranker_spec, **ranker_opts)
    assert isinstance(ranker, RankerBackend)
    if "shortlist" in keys:
        ranker.shortlist = keys["shortlist"]
    return RankerChainBackend(inner, ranker, k=keys.get("k", DEFAULT_TOP_K))
