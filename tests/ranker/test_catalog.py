"""The catalog index: exact shortlists, open-candidate tasks through the ranker backend."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from ranker_helpers import BagOfWordsEncoder, toolset, weather_task

from petool.backends.ranker_backend import RankerBackend
from petool.ranker.catalog import (
    CatalogIndex,
    open_candidates,
    shortlist_tasks,
    with_shortlist,
)
from petool.schema import Suite, SuiteInfo, ToolCall


def test_search_is_exact_and_best_first() -> None:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((300, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = CatalogIndex(names=[f"t{i}" for i in range(300)], vectors=vecs)
    queries = vecs[[3, 77]] + 0.01
    indices, scores = index.search(queries, 10)
    brute = np.argsort(-(queries @ vecs.T), axis=1, kind="stable")[:, :10]
    assert indices.shape == (2, 10)
    assert (indices == brute).all()
    assert indices[0, 0] == 3 and indices[1, 0] == 77
    assert (np.diff(scores, axis=1) <= 0).all()


def test_search_caps_k_and_breaks_ties_by_catalog_order() -> None:
    vecs = np.tile(np.eye(4, dtype=np.float32)[0], (5, 1))
    index = CatalogIndex(names=list("abcde"), vectors=vecs)
    indices, _ = index.search(vecs[0], 99)
    assert indices.tolist() == [[0, 1, 2, 3, 4]]
    assert index.search(vecs[0], 0)[0].shape == (1, 0)


def test_shortlist_finds_the_functional_group() -> None:
    index = CatalogIndex.build(toolset(), BagOfWordsEncoder())
    task = weather_task().model_copy(update={"candidates": []})
    names = index.shortlist(task, 3)
    assert sorted(names) == ["weather_cheap", "weather_mid", "weather_pricey"]


def test_with_shortlist_keeps_gold_and_listed_candidates() -> None:
    index = CatalogIndex.build(toolset(), BagOfWordsEncoder())
    gold = [ToolCall(tool="weather_mid", arguments={"city": "Lyon"})]
    listed = weather_task().model_copy(update={"gold": gold})
    assert with_shortlist(listed, index, 2) is listed
    open_task = listed.model_copy(update={"candidates": []})
    short = with_shortlist(open_task, index, 4)
    assert len(short.candidates) == 4 and short.gold == gold
    assert open_task.candidates == []  # the input is not changed


def test_shortlist_tasks_embeds_instructions_in_one_batch() -> None:
    encoder = BagOfWordsEncoder()
    index = CatalogIndex.build(toolset(), encoder)
    encoder.calls.clear()
    tasks = [weather_task().model_copy(update={"id": f"w{i}", "candidates": []}) for i in range(3)]
    out = shortlist_tasks([*tasks, weather_task()], index, 2)
    assert len(encoder.calls) == 1 and len(encoder.calls[0]) == 3
    assert all(len(t.candidates) == 2 for t in out[:3])
    assert out[3].candidates == weather_task().candidates
    assert shortlist_tasks(tasks, None, 2) == tasks


def _suite() -> Suite:
    gold = [ToolCall(tool="weather_mid", arguments={"city": "Lyon"})]
    return Suite(
        info=SuiteInfo(name="tiny"),
        tools=toolset(),
        tasks=[weather_task().model_copy(update={"gold": gold})],
    )


def test_open_candidates_clears_lists_and_marks_meta() -> None:
    suite = _suite()
    opened = open_candidates(suite)
    assert opened.tasks[0].candidates == [] and opened.tasks[0].meta.open_candidates
    assert suite.tasks[0].candidates and not suite.tasks[0].meta.open_candidates
    assert opened.tasks[0].gold == suite.tasks[0].gold


def test_ranker_backend_ranks_a_shortlist_for_open_tasks() -> None:
    suite = open_candidates(_suite())
    backend = RankerBackend(encoder=BagOfWordsEncoder())
    backend.setup(suite)
    backend.shortlist = 3
    answer = json.loads(asyncio.run(backend.generate(suite.tasks))[0].output)
    assert answer["tool_name"].startswith("weather_")


@pytest.mark.slow
def test_real_encoder_shortlists_weather(minilm: object) -> None:
    index = CatalogIndex.build(toolset(), minilm)  # type: ignore[arg-type]
    task = weather_task().model_copy(update={"candidates": []})
    assert index.shortlist(task, 1)[0].startswith("weather_")


def test_eval_candidates_all_flag(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from petool_test_support import petool

    done = petool("eval", "--backend", "oracle", "--candidates", "all", "--limit", "3",
                  "--out", str(tmp_path / "run"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    bad = petool("eval", "--backend", "oracle", "--candidates", "some")
    assert bad.returncode == 2 and "--candidates" in bad.stderr and "Traceback" not in bad.stderr
