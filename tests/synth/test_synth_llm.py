"""LLM stages against the loopback OpenAI-protocol server: end to end, faults, resume."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from synth_support import ScriptedLLM, fake_answer, write_tiny_corpus

from petool.backends.openai_backend import OpenAIBackend
from petool.synth.cli import main as synth_main
from petool.synth.pipeline import SynthConfig, run_pipeline
from petool.synth.validate import validate_suite

STAGES = ("understand:", "group:", "persona:", "rewrite:", "judge:")


@pytest.fixture(autouse=True)
def _no_ambient_openai(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("PETOOL_CACHE_DIR", str(tmp_path / "backend-cache"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture
def server() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(latency=0.01) as s:
        yield s


def _config(corpus: Path, out: Path, server: ScriptedLLM, **extra: Any) -> SynthConfig:
    options = {"users": 10, "tasks_per_user": 3, "personas": 6, "concurrency": 4, "seed": 1}
    options.update(extra)
    return SynthConfig(
        corpus=corpus,
        out=out,
        backend="openai:stub-model",
        backend_options={"base_url": server.base_url},
        **options,
    )


def _by_stage(counts: dict[str, int]) -> dict[str, int]:
    return {s: sum(n for k, n in counts.items() if k.startswith(s)) for s in STAGES}


def test_every_llm_stage_runs_end_to_end(corpus: Path, server: ScriptedLLM, tmp_path: Path) -> None:
    result = run_pipeline(_config(corpus, tmp_path / "out", server))
    per_stage = _by_stage(server.counts)
    assert per_stage == {
        "understand:": 14,
        "group:": 5,
        "persona:": 6,
        "rewrite:": per_stage["rewrite:"],
        "judge:": result.report["planned_tasks"],
    }
    assert per_stage["rewrite:"] > result.report["planned_tasks"]  # past requests too
    assert set(server.counts.values()) == {1}  # no request asked twice
    suite = result.suite
    assert all(t.instruction.startswith("Hi! Could you") for t in suite.tasks)
    assert all(
        h.instruction.startswith("Hi! Could you") for t in suite.tasks for h in t.user.history
    )
    quality = result.report["quality"]
    assert quality["dropped"]["judge_score"] == quality["judge_scores"]["5"] > 0
    assert quality["kept"] == len(suite.tasks) == quality["judge_scores"]["9"]
    users = [
        json.loads(line) for line in (tmp_path / "out" / "users.jsonl").read_text().splitlines()
    ]
    drawn = {u["preference"]["persona"] for u in users}
    assert drawn <= {f"p{k:03d}" for k in range(6)} and len(drawn) > 1  # from the LLM's pool
    assert all(u["preference"]["statement"].startswith("I care about") for u in users)
    assert validate_suite(tmp_path / "out").ok
    llm = result.report["llm"]
    assert llm["instructions"]["fallbacks"] == 0 and llm["understand"]["answered"] == 14
    assert result.session["llm"]["understand"]["sent"] == 14

    first = (tmp_path / "out" / "tasks.jsonl").read_bytes()
    server.reset_counts()  # a second run finds every answer in the cache
    again = run_pipeline(_config(corpus, tmp_path / "out", server))
    assert server.total == 0 and again.session["llm"]["judge"]["cached"] == quality["judged"]
    assert (tmp_path / "out" / "tasks.jsonl").read_bytes() == first
    assert again.report == result.report  # what the records say, not what this process did


def _faults(payload: dict[str, Any]) -> list[str]:
    digest = int(hashlib.sha256(str(payload["id"]).encode()).hexdigest()[:4], 16)
    return [["500"], ["429"], ["malformed"], [], [], []][digest % 6]


def _answer(payload: dict[str, Any]) -> Any:
    if payload["id"] == "persona:2":
        return "Sorry, I would rather not invent people."  # never JSON: falls back
    if payload["id"] == "persona:3":
        return {"priorities": {"unknown": "x"}}  # JSON, but not what the stage wants
    return "Here you go:\n```json\n" + json.dumps(fake_answer(payload)) + "\n```"


def test_faults_are_retried_and_unusable_answers_fall_back(corpus: Path, tmp_path: Path) -> None:
    with ScriptedLLM(answer=_answer, faults=_faults, retry_after="0.01") as server:
        result = run_pipeline(_config(corpus, tmp_path / "out", server))
        llm = result.report["llm"]
        assert sum(s["retries"] for s in result.session["llm"].values()) > 20
        assert llm["preferences"]["fallbacks"] == 2
        assert llm["preferences"]["invalid_answers"] == 2 * 3  # asked three times each
        for key in ("persona:2", "persona:3"):  # three answers, after the injected faults
            assert server.counts[key] == 3 + len(_faults({"id": key}))
        assert all(s["fallbacks"] == 0 for k, s in llm.items() if k != "preferences")
    assert validate_suite(tmp_path / "out").ok


OUTPUT_FILES = ("suite.json", "tools.jsonl", "tasks.jsonl", "groups.jsonl", "users.jsonl",
                "report.json")  # fmt: skip


def _sometimes_unusable(payload: dict[str, Any]) -> Any:
    key = str(payload["id"])
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16)
    if key == "persona:2" or (
        key.startswith(("understand:", "rewrite:", "judge:")) and digest % 5 == 0
    ):
        return "Sorry, I cannot answer that."  # never JSON: asked three times, then falls back
    return json.dumps(fake_answer(payload))


class Interrupted(BaseException):
    """A crash in the middle of a run (not KeyboardInterrupt: asyncio re-raises that out of
    the event loop, which trips CPython 3.11's parser later in the same process)."""


def _finished(out: Path) -> dict[str, bool]:
    """Request id -> whether it fell back, for every request recorded in the LLM cache."""
    done = {}
    for path in (out / ".synth-cache").glob("llm-*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            done[record["id"]] = record.get("fallback") is True
    return done


def test_interrupted_runs_resume_to_the_same_bytes_without_asking_again(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedLLM(answer=_sometimes_unusable) as server:
        clean = run_pipeline(_config(corpus, tmp_path / "clean", server))
        uninterrupted = server.total
    llm = clean.report["llm"]
    assert all(llm[s]["fallbacks"] > 0 for s in ("understand", "preferences", "instructions"))
    assert llm["judge"]["fallbacks"] > 0 and clean.report["quality"]["unjudged"] > 0

    stop: dict[str, Any] = {"stage": None, "after": 0}
    real = OpenAIBackend.generate

    async def interrupting(self: OpenAIBackend, tasks: Any) -> Any:
        payload = json.loads(tasks[0].instruction.rpartition("## Request\n")[2])
        if str(payload["id"]).startswith(f"{stop['stage']}:"):
            stop["after"] -= 1
            if stop["after"] < 0:  # the run dies with other requests in flight
                raise Interrupted
        return await real(self, tasks)

    monkeypatch.setattr(OpenAIBackend, "generate", interrupting)
    out = tmp_path / "resumed"
    with ScriptedLLM(answer=_sometimes_unusable) as server:
        # die in understanding, grouping, personas, rewriting, judging; then run to the end
        stops = [("understand", 8), ("group", 2), ("persona", 3), ("rewrite", 90)]
        stops += [("rewrite", 90), ("judge", 12), (None, 0)]
        for stage, after in stops:
            stop.update(stage=stage, after=after)
            finished, asked = _finished(out) if out.exists() else {}, dict(server.counts)
            if stage is not None:
                with pytest.raises(BaseExceptionGroup) as died:
                    run_pipeline(_config(corpus, out, server))
                assert died.group_contains(Interrupted)
            else:
                resumed = run_pipeline(_config(corpus, out, server))
            again = [k for k in finished if server.counts.get(k, 0) != asked.get(k, 0)]
            assert not again, f"finished requests asked again: {again[:3]}"
        assert any(_finished(out).values())  # fallbacks are recorded, and were not asked again
        total = server.total
    for name in OUTPUT_FILES:
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name
    assert resumed.report == clean.report
    # only the requests in flight at each interruption were asked twice
    assert uninterrupted < total <= uninterrupted + (len(stops) - 1) * 4 * 3
    sent = {k: s["sent"] for k, s in resumed.session["llm"].items()}
    assert sent["judge"] < clean.session["llm"]["judge"]["sent"]  # the last stop was in it
    assert "understand" not in sent and "group" not in sent  # their outputs were cached
    assert sent["preferences"] == sent["instructions"] == 0  # every answer came from the cache


def test_a_request_failing_for_good_stops_the_run_cleanly(corpus: Path, tmp_path: Path) -> None:
    def faults(payload: dict[str, Any]) -> list[str]:
        return ["500"] * 10 if str(payload["id"]).startswith("group:") else []

    with ScriptedLLM(faults=faults) as server:
        args = [
            "--corpus",
            str(corpus),
            "--out",
            str(tmp_path / "out"),
            "--backend",
            "openai:stub-model",
            "--base-url",
            server.base_url,
            "--users",
            "4",
            "--max-retries",
            "1",
        ]
        assert synth_main(args) == 1
    assert not (tmp_path / "out" / "tasks.jsonl").exists()
    cached = (tmp_path / "out" / ".synth-cache" / "llm-understand.jsonl").read_text()
    assert len(cached.splitlines()) == 14  # the finished stage's answers are kept


@pytest.mark.slow
def test_killed_run_resumes_without_repeating_finished_calls(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ScriptedLLM(latency=0.03) as server:
        args = [
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--backend",
            "openai:stub-model",
            "--base-url",
            server.base_url,
            "--users",
            "10",
            "--tasks-per-user",
            "3",
            "--personas",
            "6",
            "--concurrency",
            "2",
            "--seed",
            "1",
        ]
        code = "import sys; from petool.synth.cli import main; sys.exit(main(sys.argv[1:]))"
        env = {**os.environ, "PETOOL_CACHE_DIR": str(tmp_path / "backend-cache")}
        child = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while server.total < 120 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
        finished: set[str] = set()
        for path in (out / ".synth-cache").glob("llm-*.jsonl"):
            for line in path.read_text().splitlines():
                if line.strip().endswith("}"):
                    finished.add(json.loads(line)["id"])
        before = dict(server.counts)
        assert 100 <= len(finished) < len(before) + 2
        assert synth_main(args) == 0
        counts = server.counts
    assert all(counts[k] == 1 for k in finished), "a finished call was asked again"
    repeated = [k for k, n in counts.items() if n > 1]
    assert len(repeated) <= 2  # at most the calls in flight when the run was killed
    assert all(k in before and k not in finished for k in repeated)
    assert validate_suite(out).ok
    with ScriptedLLM(latency=0.0) as fresh:
        clean = run_pipeline(
            _config(corpus, tmp_path / "clean", fresh, personas=6, concurrency=2, users=10)
        )
    assert clean.suite.tasks
    for name in OUTPUT_FILES:  # report.json included: its counts come from the cache records
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


def _tiny_llama_module() -> Any:
    path = Path(__file__).resolve().parents[1] / "backends" / "tiny_llama.py"
    spec = importlib.util.spec_from_file_location("_synth_tiny_llama", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_local_hf_model_runs_every_llm_stage(corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    model = _tiny_llama_module().build_tiny_llama(tmp_path / "model")
    config = SynthConfig(
        corpus=corpus,
        out=tmp_path / "out",
        backend=f"hf:{model}",
        backend_options={"max_new_tokens": 8, "device": "cpu"},
        users=4,
        tasks_per_user=2,
        personas=3,
        concurrency=2,
    )
    result = run_pipeline(config)
    llm, session = result.report["llm"], result.session["llm"]
    assert set(llm) == {"understand", "group", "preferences", "instructions", "judge"}
    # random weights never answer JSON: every request is asked three times, then the
    # offline result stands in, and the suite is still complete and valid
    assert all(
        s["fallbacks"] == s["requests"] and session[k]["sent"] == 3 * s["requests"]
        for k, s in llm.items()
    )
    assert result.suite.tasks and validate_suite(tmp_path / "out").ok
