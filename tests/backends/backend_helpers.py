"""Helpers for the backend tests: the tiny suite, scripts for the stub server, fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from openai_stub_server import Script, StubServer
from petool_test_support import make_tiny_suite

from petool.backends.oracle import gold_answer_text
from petool.prompts import tools_as_openai_functions
from petool.schema import Suite, Task


def native_answer(suite: Suite, task: Task) -> list[dict[str, object]]:
    """The gold answer as the wire ``tool_calls`` a server sends: safe names, JSON arguments."""
    tools = suite.tool_index()
    _, name_map = tools_as_openai_functions([tools[n] for n in task.candidates])
    safe = {original: safe for safe, original in name_map.items()}
    return [{"name": safe[c.tool], "arguments": json.dumps(c.arguments)} for c in task.gold]


def scripts_for(
    suite: Suite, *, native: bool = False, faults: Mapping[str, list[str]] | None = None
) -> dict[str, Script]:
    """A script per task answering its gold call (as text or as tool_calls)."""
    faults = faults or {}
    scripts = {}
    for task in suite.tasks:
        script = Script(task_id=task.id, faults=list(faults.get(task.id, [])))
        if native:
            script.tool_calls = native_answer(suite, task)
        else:
            script.text = gold_answer_text(task)
        scripts[task.instruction] = script
    return scripts


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own response cache directory and no ambient OpenAI settings."""
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("PETOOL_CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PETOOL_PRICES", raising=False)
    return cache_dir


@pytest.fixture
def tiny() -> Suite:
    """The 12-task tiny suite."""
    return make_tiny_suite(12)


@pytest.fixture
def serve() -> Iterator[Callable[..., StubServer]]:
    """Start stub servers with ``serve(scripts, ...)``; all are stopped after the test."""
    started: list[StubServer] = []

    def start(scripts: Mapping[str, Script], **options: Any) -> StubServer:
        server = StubServer(scripts, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
