"""Fixtures of the training tests: the small train/test suite, a tiny model built once."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import corpus, make_train_suite, tiny_llama

from petool.schema import Suite
from petool.suites.directory import export_suite_dir


@pytest.fixture
def suite() -> Suite:
    """8 train and 4 test tasks, two functional groups, two users."""
    return make_train_suite()


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite written as a suite directory (for ``--suite DIR``)."""
    return export_suite_dir(make_train_suite(), tmp_path_factory.mktemp("suite") / "trainy")


@pytest.fixture(scope="session")
def one_user_suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite with every task from user u0 (one preference: learnable without history)."""
    out = tmp_path_factory.mktemp("suite") / "trainy-u0"
    return export_suite_dir(make_train_suite(n_users=1), out)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with a tokenizer trained on the suite's prompts."""
    pytest.importorskip("transformers")
    out = tmp_path_factory.mktemp("tiny-llama")
    built: Path = tiny_llama().build_tiny_llama(out, corpus(make_train_suite()))
    return built
