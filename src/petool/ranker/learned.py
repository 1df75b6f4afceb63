"""The learned personalized ranker: LightGBM LambdaRank over per-candidate features.

A model file (JSON, written by ``petool ranker train``) holds two LightGBM models as their
text dumps and everything needed to use and reproduce them:

* ``ranker``: a LambdaRank model scoring each candidate of a task from
  :data:`~petool.ranker.features.FEATURES` (the best-scored candidate is the choice);
* ``abstain``: a binary model giving, from the chosen candidate's features and the score
  margin, the probability that the request violates an app policy for this user; at or above
  ``abstain_threshold`` the answer is no call;
* ``features``, ``zero_shot`` (the zero-shot ranker's hyperparameters, whose scores are
  features), ``training`` (suites, sizes, seed, LightGBM parameters, petool version).

Why LightGBM's LambdaRank rather than a PyTorch model: the features are few (64),
heterogeneous and tabular (counts, cosines, flags); gradient-boosted trees learn their
interactions (a low-income user *and* a cap *and* an amount over it) without scaling, train in
seconds on two cores, are deterministic with ``deterministic=True``, and give per-feature
contributions along each decision path (:class:`PathContributions`) for each explanation.

Arguments of the chosen tool are filled as the zero-shot ranker fills them (instruction,
history, profile, environment; :mod:`petool.ranker.arguments`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from petool.embedding import MODEL_NAME, TextEncoder
from petool.errors import InputError
from petool.ranker.features import FEATURES, FeatureBuilder, TaskFeatures
from petool.ranker.model import PersonalizedRanker, RankerConfig, Ranking, RankingMethods
from petool.schema import Task, Tool

FORMAT = "petool-learned-ranker"
FORMAT_VERSION = 1
MODEL_FILE = "ranker.json"
SHIPPED_MODEL = Path(__file__).parent / "data" / MODEL_FILE
TOP_FEATURES = 3
ABSTAIN_EXTRA = ("score_margin",)


def abstain_rows(features: TaskFeatures, scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """The abstention model's input for one task: the chosen candidate's features and the
    margin of its score over the runner-up."""
    order = np.argsort(-scores, kind="stable")
    margin = float(scores[order[0]] - scores[order[1]]) if len(order) > 1 else 10.0
    return np.concatenate([features.matrix[order[0]], [margin]])[None, :]


@dataclass
class RankerModel:
    """A trained model file's contents."""

    ranker: str
    abstain: str | None = None
    abstain_threshold: float = 0.5
    features: list[str] = field(default_factory=lambda: list(FEATURES))
    zero_shot: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The model file's text (keys sorted: the same model gives the same bytes)."""
        data = {"format": FORMAT, "version": FORMAT_VERSION, **asdict(self)}
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the model file (``path`` may be a directory: ``DIR/ranker.json``)."""
        target = Path(path)
        if target.is_dir() or not target.suffix:
            target = target / MODEL_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.to_json(), encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path) -> RankerModel:
        """Read a model file or a directory holding ``ranker.json``.

        Raises:
            InputError: missing file, not JSON, not a petool ranker model, or unusable fields.
        """
        source = Path(path)
        if source.is_dir():
            source = source / MODEL_FILE
        if not source.is_file():
            raise InputError(
                f"{source}: no ranker model (expected {MODEL_FILE} from petool ranker train)"
            )
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: not a ranker model: invalid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{source}: field 'format': expected '{FORMAT}'")
        if data.get("version") != FORMAT_VERSION:
            raise InputError(
                f"{source}: field 'version': expected {FORMAT_VERSION}, got {data.get('version')!r}"
            )
        if data.get("features") != list(FEATURES):
            raise InputError(
                f"{source}: field 'features': the model was trained on other features than "
                "this petool computes (retrain it with petool ranker train)"
            )
        if not isinstance(data.get("ranker"), str) or "tree" not in data["ranker"]:
            raise InputError(f"{source}: field 'ranker': expected a LightGBM model dump")
        known = {f.name for f in fields(cls)}
        model = cls(**{k: v for k, v in data.items() if k in known})
        if model.abstain is not None and not isinstance(model.abstain, str):
            raise InputError(f"{source}: field 'abstain': expected a LightGBM model dump or null")
        if not isinstance(model.abstain_threshold, int | float):
            raise InputError(f"{source}: field 'abstain_threshold': expected a number")
        return model


def _booster(text: str) -> Any:
    import lightgbm as lgb

    return lgb.Booster(model_str=text)


class PathContributions:
    """Per-feature contributions to a tree ensemble's score along each tree's decision path.

    The path attribution of Saabas (``treeinterpreter``; XGBoost's ``approx_contribs``): in
    each tree, every split on the path from the root to the leaf reached adds the change of the
    node value it causes to its feature. A candidate's contributions plus :attr:`bias` (the sum
    of the root values) add up to its score exactly. The table of each leaf's contributions is
    built once, so explaining a row costs one ``pred_leaf`` pass and a gather. TreeSHAP
    (``pred_contrib``) costs about 3 ms per row for the shipped model on two cores, more than
    all the rest of a decision, so it is not used on the serving path. The same leaves give
    the score (:meth:`scores`), so a decision needs one pass of the ranking model.

    Args:
        booster: a trained LightGBM booster.
    """

    def __init__(self, booster: Any):
        self.booster = booster
        dump = booster.dump_model()
        n_features = len(dump["feature_names"])
        trees = dump["tree_info"]
        leaves = max((t["num_leaves"] for t in trees), default=1)
        self.table = np.zeros((len(trees), leaves, n_features))
        self.values = np.zeros((len(trees), leaves))  # each leaf's output
        self.bias = 0.0
        for t, tree in enumerate(trees):
            root = tree["tree_structure"]
            self.bias += float(root.get("internal_value", root.get("leaf_value", 0.0)))
            self._walk(t, root, np.zeros(n_features))

    def _walk(self, t: int, node: dict[str, Any], path: NDArray[np.float64]) -> None:
        if "leaf_index" in node or "split_feature" not in node:
            self.table[t, int(node.get("leaf_index", 0))] = path
            self.values[t, int(node.get("leaf_index", 0))] = float(node["leaf_value"])
            return
        value = float(node["internal_value"])
        for side in ("left_child", "right_child"):
            child = node[side]
            step = path.copy()
            child_value = child.get("internal_value", child.get("leaf_value"))
            step[int(node["split_feature"])] += float(child_value) - value
            self._walk(t, child, step)

    def leaves(self, rows: NDArray[np.float64]) -> NDArray[np.int64]:
        """The leaf each row reaches in each tree, shape ``(rows, trees)``."""
        leaf = self.booster.predict(rows, pred_leaf=True, num_threads=1)
        return np.asarray(leaf, dtype=np.int64).reshape(len(rows), -1)

    def scores(self, leaves: NDArray[np.int64]) -> NDArray[np.float64]:
        """The ensemble's score of rows that reached ``leaves``: the leaf outputs added tree
        after tree, as LightGBM adds them (a running sum, so the bits are its ``predict``'s;
        tested)."""
        trees = np.arange(leaves.shape[1])
        return np.asarray(np.cumsum(self.values[trees, leaves], axis=1)[:, -1], dtype=np.float64)

    def of_leaves(self, leaves: NDArray[np.int64]) -> NDArray[np.float64]:
        """Contributions of each feature for rows that reached ``leaves``."""
        trees = np.arange(leaves.shape[1])
        return np.stack([self.table[trees, row].sum(axis=0) for row in leaves])

    def __call__(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """Contributions of each feature to each row's score, shape ``(rows, features)``."""
        return self.of_leaves(self.leaves(rows))


class LearnedRanker(RankingMethods):
    """Ranks with a trained :class:`RankerModel` over one toolset.

    Args:
        model: the trained model.
        encoder: text encoder (default: the process-wide all-MiniLM-L6-v2 embedder).
        device: torch device for the default encoder.
    """

    def __init__(self, model: RankerModel, encoder: TextEncoder | None = None, device: str = "cpu"):
        self.model = model
        known = {f.name for f in fields(RankerConfig)}
        config = RankerConfig(**{k: v for k, v in model.zero_shot.items() if k in known})
        self.zero_shot = PersonalizedRanker(config=config, encoder=encoder, device=device)
        self.features = FeatureBuilder(self.zero_shot)
        self._ranker = _booster(model.ranker)
        self._contributions = PathContributions(self._ranker)
        self._abstain = _booster(model.abstain) if model.abstain else None

    @property
    def encoder(self) -> TextEncoder:
        return self.zero_shot.encoder

    def index(self, tools: Sequence[Tool]) -> None:
        """Index a toolset (embeds every tool's text once)."""
        self.features.index(tools)

    def scores(self, features: TaskFeatures) -> NDArray[np.float64]:
        """The model's score of each candidate."""
        return self._predict(self._ranker, features.matrix)

    def abstain_probability(self, features: TaskFeatures, scores: NDArray[np.float64]) -> float:
        """Probability that the request violates a policy of the chosen app (0 without model)."""
        if self._abstain is None or len(scores) == 0:
            return 0.0
        return float(self._predict(self._abstain, abstain_rows(features, scores))[0])

    @staticmethod
    def _predict(booster: Any, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        # one thread: a request's rows are few, and OpenMP's start-up costs more than it saves
        return np.asarray(booster.predict(rows, num_threads=1), dtype=np.float64)

    def rank_batch(self, tasks: Sequence[Task]) -> list[Ranking]:
        """Rank every task's candidates, decide abstention, fill the chosen call.

        The candidates of all tasks are scored in one pass of each model (rows are scored
        independently, so the scores are those of one task at a time).
        """
        feats = self.features.build(tasks)
        ranked = [i for i, f in enumerate(feats) if f.names]
        out = [f.ranking for f in feats]
        if not ranked:
            return out
        matrices = [feats[i].matrix for i in ranked]
        # one pred_leaf pass gives both the scores and the choices' contributions
        leaves = self._contributions.leaves(np.vstack(matrices))
        bounds = np.cumsum([len(m) for m in matrices])[:-1]
        scores = np.split(self._contributions.scores(leaves), bounds)
        starts = np.concatenate([[0], bounds])
        best = [int(start + np.argmax(s)) for start, s in zip(starts, scores, strict=True)]
        contributions = self._contributions.of_leaves(leaves[best])
        p_abstain = np.zeros(len(ranked))
        if self._abstain is not None:
            rows = [abstain_rows(feats[i], s) for i, s in zip(ranked, scores, strict=True)]
            p_abstain = self._predict(self._abstain, np.vstack(rows))
        for j, i in enumerate(ranked):
            out[i] = self._decide(
                tasks[i], feats[i], scores[j], contributions[j], float(p_abstain[j])
            )
        return out

    def _decide(
        self,
        task: Task,
        feats: TaskFeatures,
        scores: NDArray[np.float64],
        contrib: NDArray[np.float64],
        p_abstain: float,
    ) -> Ranking:
        ranking = feats.ranking
        for cand, score in zip(ranking.candidates, scores, strict=True):
            cand.score = float(score)
        best = int(np.argmax(scores))
        top = np.argsort(-np.abs(contrib), kind="stable")[:TOP_FEATURES]
        order = np.argsort(-scores, kind="stable")
        explanation: dict[str, Any] = {
            "model": "learned",
            "choice": feats.names[best],
            "score": round(float(scores[best]), 4),
            "runner_up": feats.names[int(order[1])] if len(order) > 1 else None,
            "reasons": [
                {
                    "feature": FEATURES[i],
                    "value": round(float(feats.matrix[best, i]), 4),
                    "contribution": round(float(contrib[i]), 4),
                }
                for i in top
            ],
            "abstain_probability": round(p_abstain, 4),
        }
        ranking.explanation = explanation
        ranking.fallback = None
        ranking.scored_all = True
        if p_abstain >= self.model.abstain_threshold:
            ranking.choice = None
            ranking.arguments = type(ranking.arguments)()
            explanation["abstained"] = True
            explanation["best_candidate"] = explanation["choice"]
            explanation["choice"] = None
            return ranking
        ranking.choice = feats.names[best]
        tool = self.zero_shot.tool(ranking.choice) or Tool(name=ranking.choice)
        ranking.arguments = self.zero_shot.fill(tool, task)
        return ranking

    def config_dict(self) -> dict[str, Any]:
        return {
            "embedding_model": MODEL_NAME,
            "device": self.zero_shot.device,
            "model": "learned",
            "training": self.model.training,
            "abstain_threshold": self.model.abstain_threshold,
        }
