from __future__ import annotations

import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest
from scoring_builders import oracle, suite, task

import petool.registry
import petool.scoring.registry as registry
from petool.errors import ConfigError, InputError
from petool.scoring import get_scorer, register_scorer, score_unified
from petool.scoring.registry import available_scorers


def test_unified_is_built_in():
    assert get_scorer("unified") is score_unified
    assert get_scorer(" unified ") is score_unified
    assert "unified" in available_scorers()


def test_registered_scorer_is_found(monkeypatch):
    monkeypatch.setattr(registry.scorers, "_objects", dict(registry.scorers._objects))

    @register_scorer("mine")
    def mine(s, tasks, predictions):
        return {**score_unified(s, tasks, predictions), "mine": True}

    t = task("a", [])
    scorer = get_scorer("mine")
    assert scorer is mine
    out = scorer(suite([t]), [t], {"a": oracle(t)})
    assert out["mine"] is True and out["overall"]["tool_accuracy"] == 1.0


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_scorers.py").write_text(
        textwrap.dedent(
            """
            def count(suite, tasks, predictions):
                return {"n": len(tasks), "with_prediction": len(predictions)}

            NOT_CALLABLE = 3
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_scorers"
    sys.modules.pop("my_scorers", None)


def test_dotted_path(user_module):
    t = task("a", [])
    scorer = get_scorer(f"{user_module}:count")
    assert scorer(suite([t]), [t], {}) == {"n": 1, "with_prediction": 0}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("my_scorers:missing", "has no function 'missing'"),
        ("my_scorers:NOT_CALLABLE", "has no function 'NOT_CALLABLE'"),
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
    ],
)
def test_bad_dotted_path_is_config_error(user_module, spec, message):
    with pytest.raises(ConfigError, match=message):
        get_scorer(spec)


def test_entry_point(user_module, monkeypatch):
    ep = EntryPoint(name="plugin-count", value=f"{user_module}:count", group="petool.scorers")

    def fake_entry_points(group):
        return [ep] if group == "petool.scorers" else []

    monkeypatch.setattr(petool.registry, "entry_points", fake_entry_points)
    t = task("a", [])
    assert get_scorer("plugin-count")(suite([t]), [t], {})["n"] == 1
    assert "plugin-count" in available_scorers()


@pytest.mark.parametrize("name", ["nope", "registry", "values", "__init__", "Bad-Name", ""])
def test_unknown_scorer_is_one_line_input_error(name):
    with pytest.raises(InputError) as info:
        get_scorer(name)
    text = str(info.value)
    assert "\n" not in text
    assert "unified" in text
