"""Offline synthesis end to end: real ToolBench docs, validation, same seed same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from synth_support import TOOLBENCH, write_tiny_corpus

from petool.io import write_jsonl
from petool.suites.directory import load_suite_dir
from petool.suites.registry import load_suite
from petool.synth.cli import main as synth_main
from petool.synth.pipeline import SynthConfig, run_pipeline
from petool.synth.splits import compact
from petool.synth.validate import validate_suite

OUTPUT_FILES = (
    "suite.json",
    "tools.jsonl",
    "tasks.jsonl",
    "groups.jsonl",
    "users.jsonl",
    "report.json",
)


def _same_files(a: Path, b: Path) -> None:
    for name in OUTPUT_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    corpus = write_tiny_corpus(root / "corpus")
    args = [
        "--corpus",
        str(corpus),
        "--out",
        str(root / "out"),
        "--users",
        "12",
        "--tasks-per-user",
        "3",
        "--seed",
        "7",
        "--environment",
    ]
    assert synth_main(args) == 0
    return root / "out"


def test_tiny_build_is_a_loadable_valid_suite(tiny_build: Path) -> None:
    suite = load_suite(str(tiny_build))
    assert suite.info.default_split == "test" and suite.info.splits == ["test", "train"]
    stats = suite.info.model_extra["stats"]  # type: ignore[index]
    assert stats["choice_points"] == 5 and stats["users"] == {"test": 2, "train": 10}
    users = {s: {t.user.user_id for t in suite.split(s)} for s in ("test", "train")}
    assert users["test"] and users["train"] and not users["test"] & users["train"]
    for task in suite.tasks:
        assert task.user.environment["location"]["city"]
        assert task.meta.preferred_tool == task.gold[0].tool
        assert len(task.candidates) == 10 == len(set(task.candidates))
    assert validate_suite(tiny_build).ok


def test_cli_validate_passes_and_catches_a_wrong_gold(
    tiny_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert synth_main(["validate", str(tiny_build)]) == 0
    assert "0 failed: ok" in capsys.readouterr().out
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in OUTPUT_FILES:
        (broken / name).write_bytes((tiny_build / name).read_bytes())
    suite = load_suite_dir(broken)
    task = suite.tasks[0]
    other = next(n for n in task.meta.functional_group if n != task.gold[0].tool)
    task.gold[0].tool = task.meta.preferred_tool = other
    first_step = task.user.history[0]
    first_step.rating = 1 if first_step.rating != 1 else -1
    write_jsonl(broken / "tasks.jsonl", [compact(t) for t in suite.tasks])
    assert synth_main(["validate", str(broken), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failed_tasks"] == 1
    assert set(report["problems_by_check"]) == {"preferred", "history"}
    assert all(f"task '{task.id}'" in p for p in report["problems"])


def test_same_seed_same_bytes_across_processes(tiny_build: Path, tmp_path: Path) -> None:
    corpus = tiny_build.parent / "corpus"
    code = "import sys; from petool.synth.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [
        "--corpus",
        str(corpus),
        "--out",
        str(tmp_path / "again"),
        "--users",
        "12",
        "--tasks-per-user",
        "3",
        "--seed",
        "7",
        "--environment",
    ]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _same_files(tiny_build, tmp_path / "again")
    other = run_pipeline(
        SynthConfig(
            corpus=corpus,
            out=tmp_path / "seed8",
            users=12,
            tasks_per_user=3,
            seed=8,
            environment=True,
        )
    )
    assert (
        other.suite.tasks
        and (tmp_path / "seed8" / "tasks.jsonl").read_bytes()
        != (tiny_build / "tasks.jsonl").read_bytes()
    )


@pytest.mark.slow
@pytest.mark.skipif(not TOOLBENCH.is_dir(), reason="../shared/data/toolbench is not present")
def test_real_toolbench_offline_build_validates_and_repeats(tmp_path: Path) -> None:
    def build(out: Path) -> dict[str, object]:
        config = SynthConfig(corpus=TOOLBENCH, out=out, users=40, tasks_per_user=3, seed=3)
        return run_pipeline(config).report

    report = build(tmp_path / "a")
    suite = load_suite_dir(tmp_path / "a")
    stats = suite.info.model_extra["stats"]  # type: ignore[index]
    assert stats["tools"] == 2490 and stats["choice_points"] >= 50
    assert report["planned_tasks"] == 120 and len(suite.tasks) >= 110
    modes = {m: n for split in stats["tasks"].values() for m, n in split.items()}
    assert all(n > 0 for n in modes.values())
    validation = validate_suite(tmp_path / "a")
    assert validation.ok, validation.problems[:3]
    build(tmp_path / "b")
    _same_files(tmp_path / "a", tmp_path / "b")


def test_modes_subset_and_cached_stages(tiny_build: Path, tmp_path: Path) -> None:
    from petool.synth.progress import StageTimer

    corpus = tiny_build.parent / "corpus"
    config = SynthConfig(
        corpus=corpus, out=tmp_path / "rated", users=4, tasks_per_user=2, modes=("rated",)
    )
    first, second = StageTimer(), StageTimer()
    result = run_pipeline(config, progress=first)
    assert result.suite.tasks and {t.mode for t in result.suite.tasks} == {"rated"}
    assert {"understand", "group"} <= set(first.seconds)
    run_pipeline(config, progress=second)  # understanding and groups come from the cache
    assert "group" not in second.seconds and "understand" not in second.seconds
    assert (tmp_path / "rated" / ".synth-cache" / "group.json").is_file()


def test_cli_skip_invalid_builds_and_reports(
    tiny_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    write_tiny_corpus(corpus)
    (corpus / "tools" / "Weather" / "bad.json").write_text("{", encoding="utf-8")
    args = ["--corpus", str(corpus), "--out", str(tmp_path / "out"), "--users", "4",
            "--skip-invalid"]  # fmt: skip
    assert synth_main(args) == 0
    assert "skipped 1 invalid corpus file" in capsys.readouterr().err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["corpus"]["skipped"] == 1 and "bad.json" in report["corpus"]["problems"][0]
    suite = json.loads((tmp_path / "out" / "suite.json").read_text())
    assert suite["corpus"]["skipped"] == 1
