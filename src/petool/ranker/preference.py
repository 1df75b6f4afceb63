"""User preference over tool attributes, learned from the user's own history.

Tools that do the same job differ in non-functional attributes (price, latency, accuracy,
ads, privacy, ...). :class:`AttributeSpace` turns a toolset's attributes into numeric
features (numbers as they are, booleans 0/1, ordinal words such as low/medium/high as
levels, lists multi-hot, other short strings one-hot; long free text is kept as text only).

A tool's *advantage* is where it stands among its functional peers: each feature z-scored
within the peer group. The user's preference vector is the rating- and recency-weighted sum
of the advantages of the tools in their history (a liked tool pulls towards its attributes,
a disliked one pushes away). The direction of every attribute is learned from the history,
never hand-coded, so it works for any catalog.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from petool.schema import HistoryMode, Interaction, Tool

Array = NDArray[np.float64]

ORDINAL_SCALES: tuple[dict[str, float], ...] = (
    {
        "none": 0,
        "very low": 1,
        "low": 2,
        "medium": 3,
        "moderate": 3,
        "mid": 3,
        "average": 3,
        "high": 4,
        "very high": 5,
    },
    {"poor": 0, "fair": 1, "average": 1.5, "good": 2, "very good": 3, "excellent": 4},
    {"free": 0, "basic": 1, "standard": 2, "pro": 3, "premium": 3, "enterprise": 4},
    {"small": 0, "medium": 1, "large": 2},
    {"none": 0, "partial": 1, "limited": 1, "full": 2},
    {"local": 0, "city": 0, "regional": 1, "national": 2, "international": 3, "global": 3},
    {"slow": 0, "medium": 1, "fast": 2},
)
"""Ordered word scales; an attribute whose values all lie on one scale is ordinal."""

_NUMBER_RE = re.compile(r"^\s*[$€£¥]?\s*(-?\d+(?:[.,]\d+)?)\s*(?:%|[A-Za-z/ ]{0,12})\s*$")
_MAX_CATEGORY_CHARS = 40
_MAX_CATEGORY_WORDS = 5


def _flatten(attrs: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in attrs.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        match = _NUMBER_RE.match(value)
        if match:
            return float(match.group(1).replace(",", "."))
    return None


def _norm(value: Any) -> str:
    return " ".join(str(value).strip().lower().replace("_", " ").split())


def _kind_of(values: list[Any]) -> tuple[str, dict[str, float] | None]:
    """Decide how an attribute is encoded from all the values it takes in a toolset."""
    if all(isinstance(v, bool) for v in values):
        return "bool", None
    if all(isinstance(v, list | tuple) for v in values):
        return "list", None
    if all(_as_number(v) is not None for v in values):
        return "number", None
    if all(isinstance(v, str) for v in values):
        words = {_norm(v) for v in values}
        for scale in ORDINAL_SCALES:
            if words <= scale.keys():
                return "ordinal", scale
        short = all(
            len(w) <= _MAX_CATEGORY_CHARS and len(w.split()) <= _MAX_CATEGORY_WORDS for w in words
        )
        return ("category", None) if short else ("text", None)
    return "text", None


@dataclass
class AttributeSpace:
    """The feature columns of a toolset's attributes (fit once per toolset).

    ``columns`` names each feature: ``key`` for numbers, booleans and ordinals,
    ``key=value`` for categories, ``key∋item`` for list items.
    """

    kinds: dict[str, str] = field(default_factory=dict)
    scales: dict[str, dict[str, float]] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def fit(cls, tools: Sequence[Tool]) -> AttributeSpace:
        """Decide each attribute's kind and feature columns from a toolset."""
        values: dict[str, list[Any]] = {}
        for tool in tools:
            for key, value in _flatten(tool.attributes).items():
                if value is not None:
                    values.setdefault(key, []).append(value)
        space = cls()
        for key in sorted(values):
            kind, scale = _kind_of(values[key])
            space.kinds[key] = kind
            if scale is not None:
                space.scales[key] = scale
            if kind in ("bool", "number", "ordinal"):
                space.columns.append(key)
            elif kind == "category":
                space.columns += [f"{key}={v}" for v in sorted({_norm(x) for x in values[key]})]
            elif kind == "list":
                items = {_norm(x) for v in values[key] for x in v}
                space.columns += [f"{key}∋{v}" for v in sorted(items)]
        space._index = {c: i for i, c in enumerate(space.columns)}
        return space

    def vector(self, tool: Tool) -> Array:
        """A tool's raw features (NaN where the tool lacks the attribute)."""
        out = np.full(len(self.columns), np.nan)
        flat = _flatten(tool.attributes)
        for key, kind in self.kinds.items():
            value = flat.get(key)
            if value is None:
                continue
            if kind == "bool" and isinstance(value, bool):
                out[self._index[key]] = float(value)
            elif kind == "number":
                number = _as_number(value)
                if number is not None:
                    out[self._index[key]] = number
            elif kind == "ordinal":
                level = self.scales[key].get(_norm(value))
                if level is not None:
                    out[self._index[key]] = level
            elif kind == "category":
                self._one_hot(out, key, [value])
            elif kind == "list" and isinstance(value, list | tuple):
                self._one_hot(out, key, list(value), sep="∋")
        return out

    def _one_hot(self, out: Array, key: str, values: list[Any], sep: str = "=") -> None:
        for column, i in self._index.items():
            if column.startswith(f"{key}{sep}"):
                out[i] = 0.0
        for value in values:
            hit = self._index.get(f"{key}{sep}{_norm(value)}")
            if hit is not None:
                out[hit] = 1.0

    def has_structure(self) -> bool:
        """Whether any attribute gives a numeric feature."""
        return bool(self.columns)


def attribute_text(tool: Tool) -> str:
    """A tool's non-functional profile as one line of text (for the free-text fallback)."""
    flat = _flatten(tool.attributes)
    if flat:
        return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(flat.items()))
    parts = [tool.app or "", tool.name.replace("_", " "), tool.description]
    return " ".join(p for p in parts if p).strip()


def advantages(features: Array) -> Array:
    """Each row's standing among the rows: features z-scored within the group.

    Missing values count as the group mean; a feature that does not vary is 0.
    """
    if features.shape[0] == 0:
        return features.copy()
    feats = features.copy()
    known = ~np.isnan(feats)
    counts = known.sum(axis=0)
    sums = np.where(known, feats, 0.0).sum(axis=0)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    feats = np.where(known, feats, means)
    centered = feats - means
    std = np.sqrt((centered**2).mean(axis=0))
    return np.divide(centered, std, out=np.zeros_like(centered), where=std > 1e-9)


def recency_weights(
    history: Sequence[Interaction], mode: HistoryMode | None, half_life: float
) -> Array:
    """Weight of each history item: 1, or exponential decay with age in chronological mode.

    Age is measured in ``step`` units from the most recent item (list order when the steps
    do not tell the items apart); ``half_life`` is the age at which a call weighs 0.5.
    """
    n = len(history)
    if n == 0 or mode != "chronological" or half_life <= 0:
        return np.ones(n)
    steps = np.array([h.step for h in history], dtype=np.float64)
    if len(set(steps.tolist())) < n:
        steps = np.arange(n, dtype=np.float64)
    age = steps.max() - steps
    return np.asarray(0.5 ** (age / half_life), dtype=np.float64)


def change_point(vectors: Array, min_gain: float) -> int:
    """Where the user's preference changed: the start of the last coherent stretch.

    ``vectors`` holds one advantage vector per past call, oldest first. Each split of the
    sequence into an earlier and a later stretch is scored by the coherence of its parts
    (for unit vectors, the squared length of each part's sum divided by its size); the best
    split wins if it beats "no change" by ``min_gain``.

    Returns:
        The index of the first call of the later stretch (0: no change found).
    """
    n = len(vectors)
    if n < 3:
        return 0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    units = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 1e-12)

    def coherence(part: Array) -> float:
        return float(np.sum(part.sum(axis=0) ** 2) / len(part)) if len(part) else 0.0

    best, best_gain = 0, min_gain
    whole = coherence(units)
    for k in range(1, n - 1):  # the later stretch keeps at least two calls
        gain = coherence(units[:k]) + coherence(units[k:]) - whole
        if gain > best_gain + 1e-12:
            best, best_gain = k, gain
    return best


def sharpen(preference: Array, power: float) -> Array:
    """Emphasise the attributes the user favours most: ``sign(p)·|p|^power``, same maximum."""
    top = float(np.abs(preference).max()) if preference.size else 0.0
    if top <= 0 or power == 1:
        return preference
    return np.sign(preference) * (np.abs(preference) / top) ** power * top


def rating_sign(item: Interaction) -> float:
    """+1 for liked or unrated calls, -1 for disliked ones."""
    return -1.0 if item.rating == -1 else 1.0


def habit_scores(
    candidates: Sequence[str], history: Sequence[Interaction], weights: Array
) -> Array:
    """Direct habit: the signed, weighted share of history calls that used each candidate."""
    total = float(weights.sum()) if len(history) else 0.0
    scores = np.zeros(len(candidates))
    if total <= 0:
        return scores
    position = {name: i for i, name in enumerate(candidates)}
    for item, weight in zip(history, weights, strict=True):
        i = position.get(item.call.tool)
        if i is not None:
            scores[i] += weight * rating_sign(item)
    return scores / total
