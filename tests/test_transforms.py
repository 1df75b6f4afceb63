"""Suite transforms: pure, seeded, recorded in config.json, checked on resume."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from petool.backends.random_backend import RandomBackend
from petool.cli import main
from petool.errors import InputError
from petool.run import evaluate
from petool.run.rescore import rescore_file
from petool.suites.registry import load_suite
from petool.suites.transforms import SuiteTransforms, apply_transforms


@pytest.fixture(scope="module")
def demo():
    return load_suite("demo")


def _tasks(suite, transforms, seed=0):
    return apply_transforms(suite, suite.tasks, transforms, seed)


def test_history_limit_keeps_the_last_n_by_step(demo):
    before = demo.model_dump_json()
    _, tasks = _tasks(demo, SuiteTransforms(history_limit=3))
    for old, new in zip(demo.tasks, tasks, strict=True):
        want = sorted(old.user.history, key=lambda i: i.step)[-3:] if old.user.history else []
        assert new.user.history == want[-3:] and new.meta.history_length == len(want)
    _, empty = _tasks(demo, SuiteTransforms(history_limit=0))
    assert all(not t.user.history and t.meta.history_length == 0 for t in empty)
    assert demo.model_dump_json() == before  # the input is left as it was


def test_mask_removes_attributes_and_their_text(demo):
    masked, _ = _tasks(demo, SuiteTransforms(mask_attributes=True))
    assert all(t.attributes == {} for t in masked.tools)
    assert all(t.description == t.functionality for t in masked.tools)
    text = " ".join(t.description for t in masked.tools)
    assert "Ad-supported" not in text and "Keeps no logs" not in text
    assert any("Ad-supported" in t.description for t in demo.tools)  # it was there


def test_shuffle_permutes_within_functional_groups_seeded(demo):
    a, _ = _tasks(demo, SuiteTransforms(shuffle_attributes=True), seed=1)
    b, _ = _tasks(demo, SuiteTransforms(shuffle_attributes=True), seed=1)
    c, _ = _tasks(demo, SuiteTransforms(shuffle_attributes=True), seed=2)
    assert a == b and a.tools != c.tools
    groups_before: dict[str, Counter[str]] = defaultdict(Counter)
    groups_after: dict[str, Counter[str]] = defaultdict(Counter)
    for old, new in zip(demo.tools, a.tools, strict=True):
        assert old.name == new.name and old.functionality == new.functionality
        groups_before[old.functionality][json.dumps(old.attributes, sort_keys=True)] += 1
        groups_after[new.functionality][json.dumps(new.attributes, sort_keys=True)] += 1
    assert groups_before == groups_after  # the same profiles, only moved inside each group
    moved = sum(o.attributes != n.attributes for o, n in zip(demo.tools, a.tools, strict=True))
    assert moved > len(demo.tools) // 3


def test_drop_ratings_makes_rated_chronological(demo):
    _, tasks = _tasks(demo, SuiteTransforms(drop_ratings=True))
    rated = [t.id for t in demo.tasks if t.mode == "rated"]
    assert rated and all(t.mode != "rated" for t in tasks)
    by_id = {t.id: t for t in tasks}
    assert all(by_id[i].mode == "chronological" for i in rated)
    assert all(it.rating is None for t in tasks for it in t.user.history)


def test_recorded_in_config_rescored_the_same_and_checked_on_resume(tmp_path, demo, capsys):
    transforms = SuiteTransforms(history_limit=2, shuffle_attributes=True)
    run = tmp_path / "r"
    res = evaluate(demo, RandomBackend(), out_dir=run, limit=30, transforms=transforms)
    config = json.loads((run / "config.json").read_text())
    assert config["transforms"] == {
        "history_limit": 2,
        "mask_attributes": False,
        "shuffle_attributes": True,
        "drop_ratings": False,
    }
    rows = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    assert max(r["history_length"] for r in rows) <= 2
    again = rescore_file(demo, run / "predictions.jsonl")
    assert again.scored == res.metrics.scored
    with pytest.raises(InputError, match="field 'transforms'"):
        evaluate(demo, RandomBackend(), out_dir=run, limit=30, resume=True)
    other = ["eval", "--backend", "random", "--limit", "30", "--history-limit", "3"]
    assert main([*other, "--resume", "--out", str(run)]) == 2
    line = capsys.readouterr().err
    assert "field 'transforms': run was made with 'history=2,shuffled', not 'history=3'" in line


def test_cli_refuses_mask_and_shuffle_together(tmp_path, capsys):
    args = ["eval", "--mask-attributes", "--shuffle-attributes", "--out", str(tmp_path / "r")]
    assert main(args) == 2 and "choose one" in capsys.readouterr().err
