"""Training the learned ranker (``petool ranker train``) on the train splits of suites.

For every train task whose gold tool is among its candidates, one LambdaRank group: a row per
candidate, label 1 for the gold tool. Every train task also gives one row to the abstention
model: the features of the candidate the trained ranker picks, label 1 when the gold answer is
no call. Suites are featurized in the order given; tasks keep their suite order; LightGBM runs
with ``deterministic=True`` and a fixed thread count, so the same data and seed give the same
model bytes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

import petool
from petool.embedding import TextEncoder
from petool.errors import InputError
from petool.ranker.features import FEATURES, FeatureBuilder, TaskFeatures
from petool.ranker.learned import ABSTAIN_EXTRA, RankerModel, abstain_rows
from petool.ranker.model import PersonalizedRanker, RankerConfig
from petool.ranker.numerics import numerics_record, torch_threads
from petool.schema import Suite

TRAIN_SPLIT = "train"
HOLDOUT_EVERY = 5  # a fifth of the candidate sets picks the abstention threshold


@dataclass(frozen=True)
class TrainConfig:
    """LightGBM settings of both models (recorded in the model file)."""

    seed: int = 0
    rounds: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 20
    abstain_rounds: int = 200
    abstain_threshold: float = 0.5  # used only when no train task abstains
    max_false_abstention: float = 0.01  # held-out fifth of the train tasks, by functional group
    threads: int = 2  # LightGBM's, and PyTorch's while the train tasks are embedded


@dataclass
class SuiteData:
    """One suite's featurized train tasks."""

    name: str
    features: list[TaskFeatures]
    gold_rows: list[int | None]  # index of the gold candidate; None: not rankable
    abstain: list[bool]  # gold is no call


def featurize(
    suite: Suite, builder: FeatureBuilder, label: str | None = None, split: str = TRAIN_SPLIT
) -> SuiteData:
    """Featurize a suite's train split (refused when it has none)."""
    tasks = suite.split(split)
    if not tasks:
        sizes = suite.split_sizes()
        raise InputError(
            f"suite '{suite.name}': no '{split}' split to train on (it has {sizes or 'no tasks'})"
        )
    builder.index(suite.tools)
    feats = builder.build(tasks)
    gold_rows: list[int | None] = []
    for task, f in zip(tasks, feats, strict=True):
        gold = task.gold[0].tool if task.gold else None
        gold_rows.append(f.names.index(gold) if gold in f.names and len(f.names) > 1 else None)
    return SuiteData(
        name=label or suite.name,
        features=feats,
        gold_rows=gold_rows,
        abstain=[not t.gold for t in tasks],
    )


def _params(config: TrainConfig, objective: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": objective,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": config.threads,
        "verbose": -1,
    }
    if objective == "lambdarank":
        params.update({"metric": "ndcg", "eval_at": [1], "label_gain": [0, 1]})
    return params


def train_models(
    data: Sequence[SuiteData], config: TrainConfig
) -> tuple[str, str | None, dict[str, Any]]:
    """Fit the ranking and abstention models; their text dumps and the data summary."""
    import lightgbm as lgb

    rows: list[NDArray[np.float64]] = []
    labels: list[NDArray[np.float64]] = []
    groups: list[int] = []
    for suite in data:
        for f, gold in zip(suite.features, suite.gold_rows, strict=True):
            if gold is None:
                continue
            rows.append(f.matrix)
            y = np.zeros(len(f.names))
            y[gold] = 1
            labels.append(y)
            groups.append(len(f.names))
    if not groups:
        raise InputError("no train task has its gold tool among its candidates: nothing to learn")
    x = np.concatenate(rows)
    ranker = lgb.train(
        _params(config, "lambdarank"),
        lgb.Dataset(x, np.concatenate(labels), group=groups, feature_name=list(FEATURES)),
        num_boost_round=config.rounds,
    )
    abstain_x: list[NDArray[np.float64]] = []
    abstain_y: list[float] = []
    held_out: list[bool] = []
    for suite in data:
        for f, no_call in zip(suite.features, suite.abstain, strict=True):
            if not f.names:
                continue
            group = f.matrix[:, FEATURES.index("zs_in_group")] > 0
            held_out.append(_held_out([n for n, g in zip(f.names, group, strict=True) if g]))
            scores = np.asarray(ranker.predict(f.matrix), dtype=np.float64)
            abstain_x.append(abstain_rows(f, scores))
            abstain_y.append(float(no_call))
    abstain_text: str | None = None
    threshold = config.abstain_threshold
    if 0 < sum(abstain_y) < len(abstain_y):
        ax, ay = np.concatenate(abstain_x), np.array(abstain_y)
        held = np.array(held_out)
        abstain = lgb.train(
            _params(config, "binary"),
            lgb.Dataset(ax[~held], ay[~held], feature_name=[*FEATURES, *ABSTAIN_EXTRA]),
            num_boost_round=config.abstain_rounds,
        )
        abstain_text = abstain.model_to_string()
        threshold = pick_threshold(
            np.asarray(abstain.predict(ax[held]), dtype=np.float64),
            ay[held] > 0,
            config.max_false_abstention,
        )
    summary = {
        "abstain_threshold": threshold,
        "ranking_groups": len(groups),
        "ranking_rows": int(x.shape[0]),
        "abstain_rows": len(abstain_y),
        "abstain_positives": int(sum(abstain_y)),
    }
    return ranker.model_to_string(), abstain_text, summary


def _held_out(names: Sequence[str]) -> bool:
    """Whether a task picks the threshold: by its functional group's tools, so that the
    held-out tasks' apps are (mostly) unseen by the abstention model, as a test split's are."""
    key = "\n".join(sorted(names)).encode()
    return int(hashlib.sha256(key).hexdigest()[:8], 16) % HOLDOUT_EVERY == 0


def pick_threshold(
    probability: NDArray[np.float64], positive: NDArray[np.bool_], max_false: float
) -> float:
    """The lowest threshold (of 0.05, 0.10, ..., 0.95) whose false-abstention rate on the
    held-out train tasks is at most ``max_false`` (0.95 when none is)."""
    negatives = max(int((~positive).sum()), 1)
    for step in range(1, 20):
        t = step / 20
        if ((probability >= t) & ~positive).sum() / negatives <= max_false:
            return t
    return 0.95


def _fingerprint(suite: Suite) -> str:
    digest = hashlib.sha256()
    for task in suite.split(TRAIN_SPLIT):
        digest.update(task.model_dump_json().encode())
    for tool in suite.tools:
        digest.update(tool.model_dump_json().encode())
    return digest.hexdigest()[:16]


def train_ranker(
    suites: Sequence[tuple[str, Suite]],
    config: TrainConfig | None = None,
    encoder: TextEncoder | None = None,
    zero_shot: RankerConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> RankerModel:
    """Train a :class:`RankerModel` on the train splits of ``(label, suite)`` pairs."""
    config = config or TrainConfig()
    zs_config = zero_shot or RankerConfig()
    builder = FeatureBuilder(PersonalizedRanker(config=zs_config, encoder=encoder))
    data = []
    described = []
    with torch_threads(config.threads):
        for label, suite in suites:
            started = time.perf_counter()
            data.append(featurize(suite, builder, label))
            described.append(
                {
                    "suite": label,
                    "train_tasks": len(data[-1].features),
                    "abstentions": int(sum(data[-1].abstain)),
                    "sha256_16": _fingerprint(suite),
                }
            )
            if progress:
                progress(
                    f"featurized {label}: {len(data[-1].features)} tasks "
                    f"in {time.perf_counter() - started:.0f} s"
                )
    ranker, abstain, summary = train_models(data, config)
    return RankerModel(
        ranker=ranker,
        abstain=abstain,
        abstain_threshold=float(summary["abstain_threshold"]),
        zero_shot=asdict(zs_config),
        training={
            "petool": petool.__version__,
            "suites": described,
            "config": asdict(config),
            "numerics": numerics_record(),
            **summary,
        },
    )
