"""Shared fixtures for all tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from petool_test_support import make_tiny_suite

from petool.schema import Suite


@pytest.fixture
def tiny_suite() -> Suite:
    """A tiny in-memory suite."""
    return make_tiny_suite()
