"""``ranker+BACKEND``: the ranker's top-k and evidence reach the inner backend, which answers."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from backend_helpers import isolated_cache, scripts_for, serve  # noqa: F401
from numpy.typing import NDArray
from petool_test_support import make_tiny_suite, petool

from petool.backends.oracle import OracleBackend
from petool.backends.ranker_backend import RankerBackend
from petool.backends.ranker_chain import RankerChainBackend, ranked_candidates, split_chain_spec
from petool.backends.registry import make_backend
from petool.errors import ConfigError
from petool.ranker.catalog import open_candidates
from petool.ranker.model import CandidateScore, Ranking
from petool.run import evaluate
from petool.schema import Suite, ToolCall
from petool.suites.directory import export_suite_dir


class HashedWords:
    """A fast deterministic encoder (hashed bag of words, unit rows) instead of MiniLM."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest()[:6], 16) % 256] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out


def chain(inner, k: int = 2) -> RankerChainBackend:  # type: ignore[no-untyped-def]
    return RankerChainBackend(inner, RankerBackend(encoder=HashedWords()), k=k)


def _suite_with_a_miss() -> Suite:
    """The tiny suite, its last task's gold a tool the ranker puts last (news for a conversion)."""
    suite = make_tiny_suite(6)
    last = suite.tasks[-1]
    gold = [ToolCall(tool="Finance.News.news", arguments={})]
    tasks = [*suite.tasks[:-1], last.model_copy(update={"gold": gold})]
    return suite.model_copy(update={"tasks": tasks})


def test_spec_parsing() -> None:
    assert split_chain_spec("ranker+oracle") == ("ranker", {}, "oracle")
    assert split_chain_spec("ranker:k=3,half_life=2,shortlist=20+openai:m+x") == (
        "ranker:half_life=2",
        {"k": 3, "shortlist": 20},
        "openai:m+x",
    )
    for bad in ("ranker+", "ranker:k=0+oracle", "ranker:k=two+oracle"):
        with pytest.raises(ConfigError):
            split_chain_spec(bad)
    backend = make_backend("ranker:k=3,shortlist=7+oracle", seed=1)
    assert isinstance(backend, RankerChainBackend)
    assert (backend.k, backend.ranker.shortlist, backend.name) == (3, 7, "ranker+oracle")
    with pytest.raises(ConfigError, match="oracle"):
        make_backend("ranker+oracle", temperature=0.5)


def test_inner_backend_sees_top_k_in_ranker_order_with_evidence() -> None:
    suite = make_tiny_suite(3)
    backend = chain(OracleBackend(), k=2)
    backend.setup(suite)
    restricted = backend._rank(suite.tasks)
    for task in restricted:
        assert task.candidates[0] == "Finance.Cheap.convert"  # liked before, does the job
        assert len(task.candidates) == 2
        evidence = task.meta.model_extra["ranker_evidence"]  # type: ignore[index]
        assert "1. Finance.Cheap.convert" in evidence
        assert "The user liked: Finance.Cheap.convert" in evidence
    assert suite.tasks[0].candidates == [t.name for t in suite.tools]  # input untouched


def test_candidates_order_by_the_learned_score_when_every_candidate_has_one() -> None:
    def ranking(scored_all: bool, choice: str | None) -> Ranking:
        table = [
            CandidateScore(name="a", relevance=0.9, in_group=True, score=0.1),
            CandidateScore(name="b", relevance=0.8, in_group=False, score=2.0),
            CandidateScore(name="c", relevance=0.7, in_group=True, score=0.5),
            CandidateScore(name="d", relevance=0.95, in_group=False, score=-1.0),
        ]
        return Ranking(task_id="t", choice=choice, candidates=table, scored_all=scored_all)

    names = lambda r: [c.name for c in ranked_candidates(r)]  # noqa: E731
    assert names(ranking(True, "c")) == ["c", "b", "a", "d"]
    assert names(ranking(True, None)) == ["b", "c", "a", "d"]  # abstained: by score
    assert names(ranking(False, "a")) == ["a", "c", "d", "b"]  # zero-shot: group, relevance


def test_ranker_oracle_end_to_end_counts_what_survives_top_k(tmp_path: Path) -> None:
    suite = _suite_with_a_miss()
    result = evaluate(suite, chain(OracleBackend(), k=1), out_dir=tmp_path / "run")
    overall = result.metrics["overall"]
    assert overall["n"] == 6
    assert overall["tool_accuracy"] == pytest.approx(5 / 6)  # the news gold was cut
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert "ranker" in json.dumps(config) and "oracle" in json.dumps(config)
    wide = evaluate(suite, chain(OracleBackend(), k=4), out_dir=tmp_path / "wide")
    assert wide.metrics["overall"]["tool_accuracy"] == 1.0


def test_open_candidates_suite_through_the_chain(tmp_path: Path) -> None:
    suite = open_candidates(make_tiny_suite(3))
    result = evaluate(suite, chain(OracleBackend(), k=2), out_dir=tmp_path / "run")
    assert result.metrics["overall"]["tool_accuracy"] == 1.0


def test_openai_inner_gets_only_k_tools_and_the_evidence(serve) -> None:  # noqa: F811
    suite = make_tiny_suite(3)
    server = serve(scripts_for(suite))
    inner = make_backend("openai:stub-model", base_url=server.base_url, api_key="k", no_cache=True)
    backend = chain(inner, k=2)
    backend.setup(suite)
    try:
        responses = asyncio.run(backend.generate(suite.tasks))
    finally:
        asyncio.run(backend.aclose())
    assert [json.loads(r.output)["tool_name"] for r in responses] == ["Finance.Cheap.convert"] * 3
    assert len(server.bodies) == 3
    for body in server.bodies:
        prompt = body["messages"][-1]["content"]
        listed = [t.name for t in suite.tools if t.name in prompt.split("## Ranker evidence")[-1]]
        assert "## Ranker evidence" in prompt and "The user liked" in prompt
        tools_section = prompt.split("## Candidate tools")[1].split("## Request")[0]
        assert sum(t.name in tools_section for t in suite.tools) == 2
        assert len(listed) == 2
    config = backend.config()
    assert config["k"] == 2 and config["inner"]["name"] and config["ranker"]["name"] == "ranker"


@pytest.mark.slow
def test_petool_eval_ranker_plus_oracle(tmp_path: Path) -> None:
    export_suite_dir(_suite_with_a_miss(), tmp_path / "suite")
    done = petool(
        "eval", "--suite", str(tmp_path / "suite"), "--backend", "ranker:k=1+oracle",
        "--out", str(tmp_path / "run"), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["overall"]["tool_accuracy"] == pytest.approx(5 / 6)
