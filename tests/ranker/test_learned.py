"""The learned ranker: it learns, abstains on policy cases, loads, explains, is deterministic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
from petool_test_support import petool
from ranker_helpers import BagOfWordsEncoder

from petool.backends.ranker_backend import make_ranker
from petool.ranker.learned import SHIPPED_MODEL, LearnedRanker, PathContributions, RankerModel
from petool.ranker.model import PersonalizedRanker
from petool.ranker.numerics import portable_env
from petool.ranker.training import TrainConfig, pick_threshold, train_ranker
from petool.schema import Suite, Task
from petool.synth.corpus import load_corpus
from petool.synth.situations import SituationConfig, build_situations

TOOLBENCH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "toolbench"

needs_corpus = pytest.mark.skipif(
    not TOOLBENCH.is_dir(), reason="needs the RapidAPI corpus in ../shared/data/toolbench"
)


@pytest.fixture(scope="module")
def situations() -> Suite:
    """A small ToolSpectrum-style suite synthesized from real tool documentation."""
    tools = load_corpus(TOOLBENCH, skip_invalid=True).tools
    return build_situations(tools, SituationConfig(tasks=1500, seed=3, families=60))


@pytest.fixture(scope="module")
def encoder() -> BagOfWordsEncoder:
    return BagOfWordsEncoder()


@pytest.fixture(scope="module")
def trained(situations: Suite, encoder: BagOfWordsEncoder) -> RankerModel:
    return train_ranker([("situations", situations)], TrainConfig(rounds=120), encoder=encoder)


def _choices(ranker: LearnedRanker | PersonalizedRanker, suite: Suite, tasks: list[Task]) -> list:
    ranker.index(suite.tools)
    return [r.choice for r in ranker.rank_batch(tasks)]


def _gold(task: Task) -> str | None:
    return task.gold[0].tool if task.gold else None


@needs_corpus
def test_training_learns_beyond_the_zero_shot_ranker(
    situations: Suite, trained: RankerModel, encoder: BagOfWordsEncoder
) -> None:
    test = situations.split("test")
    learned = _choices(LearnedRanker(trained, encoder=encoder), situations, test)
    zero = _choices(PersonalizedRanker(encoder=encoder), situations, test)
    acc_learned = sum(c == _gold(t) for c, t in zip(learned, test, strict=True)) / len(test)
    acc_zero = sum(c == _gold(t) for c, t in zip(zero, test, strict=True)) / len(test)
    assert acc_learned > acc_zero + 0.05, (acc_learned, acc_zero)
    assert trained.training["ranking_groups"] > 0
    assert trained.training["suites"][0]["suite"] == "situations"


@needs_corpus
def test_abstains_on_policy_cases_and_the_user_decides(
    situations: Suite, trained: RankerModel, encoder: BagOfWordsEncoder
) -> None:
    test = situations.split("test")
    ranker = LearnedRanker(trained, encoder=encoder)
    choices = _choices(ranker, situations, test)
    violations = [t for t, c in zip(test, choices, strict=True) if not t.gold]
    abstained = [t for t, c in zip(test, choices, strict=True) if not t.gold and c is None]
    calls = [c for t, c in zip(test, choices, strict=True) if t.gold]
    assert violations and len(abstained) >= 0.3 * len(violations)
    assert sum(c is None for c in calls) <= 0.15 * len(calls)
    # the same request by an adult with a high income is served
    case = abstained[0]
    adult = case.user.model_copy(
        update={"profile": {**case.user.profile, "Age": 40, "Income Level": ">50k"}}
    )
    served = ranker.rank(case.model_copy(update={"user": adult}))
    assert ranker.rank(case).choice is None
    assert ranker.rank(case).explanation["abstained"] is True
    assert (
        served.choice is not None
        or served.explanation["abstain_probability"]
        < (ranker.rank(case).explanation["abstain_probability"])
    )


def test_threshold_keeps_false_abstentions_under_the_bound() -> None:
    import numpy as np

    p = np.array([0.9, 0.8, 0.6, 0.3, 0.2, 0.1, 0.7, 0.05])
    positive = np.array([True, True, False, False, False, False, True, False])
    assert pick_threshold(p, positive, 0.0) == 0.65
    assert pick_threshold(p, positive, 0.2) == 0.35


@needs_corpus
def test_same_data_and_seed_give_the_same_model_bytes(
    situations: Suite, encoder: BagOfWordsEncoder, tmp_path: Path
) -> None:
    small = situations.model_copy(update={"tasks": situations.tasks[-300:]})
    first = train_ranker([("s", small)], TrainConfig(rounds=15), encoder=encoder)
    second = train_ranker([("s", small)], TrainConfig(rounds=15), encoder=encoder)
    a, b = first.save(tmp_path / "a"), second.save(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert RankerModel.load(tmp_path / "a").ranker == first.ranker


def test_a_bad_model_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "m"
    bad.mkdir()
    (bad / "ranker.json").write_text('{"format": "something-else"}')
    result = petool("eval", "--suite", "demo", "--backend", f"ranker:{bad}", "--limit", "2")
    assert result.returncode == 2
    assert "field 'format'" in result.stderr and "Traceback" not in result.stderr
    missing = petool("eval", "--suite", "demo", "--backend", f"ranker:{tmp_path / 'none'}")
    assert missing.returncode == 2 and "no such model" in missing.stderr


def test_the_shipped_model_is_the_default_ranker() -> None:
    assert SHIPPED_MODEL.is_file(), "petool/ranker/data/ranker.json is not in the package"
    backend = make_ranker()
    assert isinstance(backend.ranker, LearnedRanker)
    assert SHIPPED_MODEL.stat().st_size < 5_000_000
    assert isinstance(make_ranker("zero-shot").ranker, PersonalizedRanker)
    assert make_ranker("zero-shot,half_life=3").ranker.config.half_life == 3.0  # type: ignore[union-attr]
    assert isinstance(make_ranker("half_life=3").ranker, PersonalizedRanker)


def test_path_contributions_add_up_to_the_score() -> None:
    model = RankerModel.load(SHIPPED_MODEL)
    booster = lgb.Booster(model_str=model.ranker)
    explain = PathContributions(booster)
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(40, len(model.features)))
    rows[:, 10] = rng.integers(0, 100, size=40)  # history length: a count
    contributions = explain(rows)
    assert contributions.shape == rows.shape
    np.testing.assert_allclose(contributions.sum(axis=1) + explain.bias, booster.predict(rows))
    # the leaf outputs added tree after tree are LightGBM's scores, bit for bit
    assert np.array_equal(explain.scores(explain.leaves(rows)), booster.predict(rows))
    # a feature no split of the path uses contributes nothing
    used = {i for t in booster.dump_model()["tree_info"] for i in _split_features(t)}
    unused = [i for i in range(rows.shape[1]) if i not in used]
    assert all(np.all(contributions[:, i] == 0) for i in unused)


def _split_features(tree: dict[str, Any]) -> set[int]:
    out: set[int] = set()
    stack = [tree["tree_structure"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            out.add(int(node["split_feature"]))
            stack += [node["left_child"], node["right_child"]]
    return out


@pytest.mark.slow
def test_cli_train_then_eval_records_explanations(tmp_path: Path) -> None:
    from petool.suites.directory import export_suite_dir
    from petool.suites.registry import load_suite

    demo = load_suite("demo")
    keep = [t for t in demo.tasks if t.meta.split == "train"][:150]
    keep += [t for t in demo.tasks if t.meta.split == "test"][:20]
    export_suite_dir(demo.model_copy(update={"tasks": keep}), tmp_path / "suite")
    result = petool(
        "ranker",
        "train",
        "--suite",
        str(tmp_path / "suite"),
        "--out",
        str(tmp_path / "m"),
        "--rounds",
        "20",
    )
    assert result.returncode == 0, result.stderr
    model = json.loads((tmp_path / "m" / "ranker.json").read_text())
    assert model["training"]["suites"][0]["train_tasks"] == 150
    numerics = model["training"]["numerics"]
    assert numerics["torch_cpu_capability"] and isinstance(numerics["numpy_dispatch"], list)
    if portable_env() and not numerics["portable"]:  # native CPU kernels: the CLI says so
        assert "petool.ranker.numerics" in result.stderr
    run = petool(
        "eval",
        "--suite",
        str(tmp_path / "suite"),
        "--backend",
        f"ranker:{tmp_path / 'm'}",
        "--out",
        str(tmp_path / "run"),
    )
    assert run.returncode == 0, run.stderr
    lines = (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["explanation"]["model"] == "learned"
    assert first["explanation"]["reasons"][0]["feature"]
    assert "runner_up" in first["explanation"]
