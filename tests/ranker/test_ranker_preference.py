"""Attribute features, advantages within a group, recency weights, habit scores."""

from __future__ import annotations

import numpy as np
from ranker_helpers import past

from petool.ranker.preference import (
    AttributeSpace,
    advantages,
    attribute_text,
    change_point,
    habit_scores,
    recency_weights,
    sharpen,
)
from petool.schema import Tool


def _tools() -> list[Tool]:
    return [
        Tool(
            name="a",
            attributes={
                "cost": 0.5,
                "ads": True,
                "privacy": "high",
                "region": "EU",
                "langs": ["en", "fr"],
                "price": "$3",
                "blurb": "A long free text description of the service and its many virtues",
            },
        ),
        Tool(
            name="b",
            attributes={
                "cost": 1.5,
                "ads": False,
                "privacy": "low",
                "region": "US",
                "langs": ["en"],
                "price": "$5",
            },
        ),
    ]


def test_attribute_kinds_and_columns():
    space = AttributeSpace.fit(_tools())
    assert space.kinds == {
        "ads": "bool",
        "blurb": "text",
        "cost": "number",
        "langs": "list",
        "price": "number",
        "privacy": "ordinal",
        "region": "category",
    }
    assert space.columns == [
        "ads",
        "cost",
        "langs∋en",
        "langs∋fr",
        "price",
        "privacy",
        "region=eu",
        "region=us",
    ]
    a, b = (space.vector(t) for t in _tools())
    assert a.tolist() == [1.0, 0.5, 1.0, 1.0, 3.0, 4.0, 1.0, 0.0]
    assert b.tolist() == [0.0, 1.5, 1.0, 0.0, 5.0, 2.0, 0.0, 1.0]


def test_missing_attribute_is_nan_and_counts_as_group_mean():
    space = AttributeSpace.fit([Tool(name="x", attributes={"cost": 1}), Tool(name="y")])
    feats = np.stack(
        [space.vector(Tool(name="x", attributes={"cost": 1})), space.vector(Tool(name="y"))]
    )
    assert np.isnan(feats[1, 0])
    assert advantages(feats).tolist() == [[0.0], [0.0]]


def test_advantages_are_z_scores_within_the_group():
    feats = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0]])
    adv = advantages(feats)
    assert np.allclose(adv[:, 0], [-1.2247, 0.0, 1.2247], atol=1e-4)
    assert np.allclose(adv[:, 1], 0.0)
    assert advantages(np.zeros((0, 2))).shape == (0, 2)


def test_recency_weights():
    history = [past("a", step=s) for s in (3, 5, 7)]
    assert recency_weights(history, "preferred", 2.0).tolist() == [1.0, 1.0, 1.0]
    assert recency_weights(history, "chronological", 2.0).tolist() == [0.25, 0.5, 1.0]
    same_steps = [past("a"), past("a"), past("a")]
    assert recency_weights(same_steps, "chronological", 1.0).tolist() == [0.25, 0.5, 1.0]
    assert recency_weights([], "chronological", 1.0).size == 0


def test_habit_scores_are_signed_weighted_shares():
    history = [past("a", rating=1), past("b", rating=-1), past("a"), past("z")]
    scores = habit_scores(["a", "b", "c"], history, np.ones(4))
    assert scores.tolist() == [0.5, -0.25, 0.0]


def test_attribute_text():
    assert attribute_text(Tool(name="t", attributes={"b_x": 1, "a": "y"})) == "a: y; b x: 1"
    assert attribute_text(Tool(name="my_tool", app="App", description="does")) == "App my tool does"


def test_change_point_finds_where_the_preference_changed():
    a, b = np.array([1.0, 0.0, 0.1]), np.array([-1.0, 1.0, 0.0])
    assert change_point(np.stack([a, a, a, b, b]), min_gain=1.0) == 3
    assert change_point(np.stack([a, a, a, a, a]), min_gain=1.0) == 0
    assert change_point(np.stack([a, b]), min_gain=0.0) == 0
    assert change_point(np.stack([a, b, b]), min_gain=0.0) == 1
    assert change_point(np.stack([a, a, a, a, a, b, b]), min_gain=1.0) == 5


def test_sharpen_keeps_sign_and_maximum_and_shrinks_the_rest():
    p = np.array([1.0, -0.5, 0.1])
    assert np.allclose(sharpen(p, 3.0), [1.0, -0.125, 0.001])
    assert sharpen(p, 1.0) is p
    assert sharpen(np.zeros(2), 3.0).tolist() == [0.0, 0.0]
