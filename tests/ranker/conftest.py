"""Fixtures for the ranker tests: a hand-built toolset, a fast fake encoder, the real model."""

from __future__ import annotations

import pytest
from ranker_helpers import BagOfWordsEncoder, toolset

from petool.embedding import Embedder, get_embedder
from petool.schema import Tool


@pytest.fixture
def tools() -> list[Tool]:
    """The hand-built toolset."""
    return toolset()


@pytest.fixture
def fake_encoder() -> BagOfWordsEncoder:
    """A fast deterministic encoder."""
    return BagOfWordsEncoder()


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The real all-MiniLM-L6-v2 embedder, loaded once per test session."""
    embedder = get_embedder("cpu")
    embedder.encode(["warm up"])
    return embedder
