"""The shipped demo suite, regenerated through ``petool synth`` offline, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from petool.suites.demo import DEMO_DIR
from petool.synth.cli import main as synth_main
from petool.synth.demo_catalog import CATALOG_PATH
from petool.synth.validate import validate_suite

SUITE_FILES = ("suite.json", "tools.jsonl", "tasks.jsonl")


def test_petool_synth_on_the_demo_catalog_writes_the_shipped_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    args = [
        "--corpus",
        str(CATALOG_PATH),
        "--backend",
        "template",
        "--seed",
        "0",
        "--out",
        str(out),
    ]
    assert synth_main(args) == 0
    assert "1920 tasks from 165 tools" in capsys.readouterr().out
    for name in SUITE_FILES:
        assert (out / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name
    groups = [json.loads(line) for line in (out / "groups.jsonl").read_text().splitlines()]
    assert len(groups) == 50 and all(len(g["members"]) >= 2 for g in groups)
    users = [json.loads(line) for line in (out / "users.jsonl").read_text().splitlines()]
    assert {u["split"] for u in users} == {"test", "train"}
    assert validate_suite(out).ok


def test_the_shipped_demo_suite_validates() -> None:
    report = validate_suite(DEMO_DIR)
    assert report.tasks == 1920 and report.ok, report.problems[:3]
