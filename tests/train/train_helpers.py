"""Helpers for the training tests: a small suite with train and test splits, a tiny model.

The suite has two functional groups (currency conversion: Cheap / Pricey; forecasts:
Sunny / Cloudy) and a tool that does another job; user ``u0`` prefers Cheap and Sunny, user
``u1`` Pricey and Cloudy, and their histories show it. ``rounding`` is a personalized
parameter (an enum), so every kind of DPO rejection can be made.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from petool.prompts import render_answer, render_messages
from petool.schema import (
    Interaction,
    ParamRoles,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    Tool,
    ToolCall,
    UserContext,
)

TESTS = Path(__file__).resolve().parents[1]
CONVERT = ["Finance.Cheap.convert", "Finance.Pricey.convert"]
FORECAST = ["Weather.Sunny.forecast", "Weather.Cloudy.forecast"]
OTHER = "Finance.Quotes.quote"
PREFERS = {"u0": (CONVERT[0], FORECAST[0]), "u1": (CONVERT[1], FORECAST[1])}


def tiny_llama() -> ModuleType:
    """The tiny Llama builder shared with the backend tests (``tests/backends/tiny_llama.py``)."""
    try:
        import tiny_llama as module  # on the path when it lives in tests/plugins

        return module
    except ImportError:
        pass
    path = TESTS / "backends" / "tiny_llama.py"
    spec = importlib.util.spec_from_file_location("tiny_llama", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_llama"] = module
    spec.loader.exec_module(module)
    return module


def _convert_tool(name: str, cost: float) -> Tool:
    return Tool(
        name=name,
        app=name.split(".")[1],
        category="Finance",
        description=f"{name.split('.')[1]} converts money",
        functionality="convert currency",
        attributes={"cost": cost},
        parameters={
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "to": {"type": "string", "enum": ["EUR", "USD"]},
                "rounding": {"type": "string", "enum": ["up", "down"]},
            },
            "required": ["amount", "to"],
        },
        param_roles=ParamRoles(personalized=["rounding"]),
    )


def _forecast_tool(name: str, days: int) -> Tool:
    return Tool(
        name=name,
        app=name.split(".")[1],
        category="Weather",
        description=f"{name.split('.')[1]} forecasts the weather",
        functionality="weather forecast",
        attributes={"days": days},
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )


def make_train_suite(n_train: int = 8, n_test: int = 4, n_users: int = 2) -> Suite:
    """Tasks alternate users, jobs and history modes; the first ``n_train`` are ``train``.

    With ``n_users=1`` every task is user ``u0``'s: one preference throughout, which a
    model can learn without reading the history.
    """
    tools = [
        _convert_tool(CONVERT[0], 0.0),
        _convert_tool(CONVERT[1], 0.5),
        _forecast_tool(FORECAST[0], 3),
        _forecast_tool(FORECAST[1], 10),
        Tool(
            name=OTHER,
            app="Quotes",
            category="Finance",
            description="stock quotes",
            functionality="stock quote",
            parameters={"type": "object", "properties": {"symbol": {"type": "string"}}},
        ),
    ]
    modes = ["preferred", "rated", "chronological"]
    tasks = []
    for i in range(n_train + n_test):
        user = f"u{i % n_users}"
        convert, forecast = PREFERS[user]
        rounding = "up" if user == "u0" else "down"
        history = [
            Interaction(
                instruction="convert 5 to USD",
                call=ToolCall(
                    tool=convert, arguments={"amount": 5, "to": "USD", "rounding": rounding}
                ),
                rating=1 if modes[i % 3] == "rated" else None,
                step=0,
            ),
            Interaction(
                instruction="weather in Oslo",
                call=ToolCall(tool=forecast, arguments={"city": "Oslo"}),
                step=1,
            ),
        ]
        if (i // 2) % 2 == 0:
            gold = ToolCall(
                tool=convert, arguments={"amount": 10 + i, "to": "EUR", "rounding": rounding}
            )
            group, instruction = CONVERT, f"Convert {10 + i} dollars to EUR"
        else:
            gold = ToolCall(tool=forecast, arguments={"city": f"City{i}"})
            group, instruction = FORECAST, f"Weather in City{i}?"
        tasks.append(
            Task(
                id=f"t{i:02d}",
                instruction=instruction,
                user=UserContext(user_id=user, history=history, history_mode=modes[i % 3]),
                candidates=[t.name for t in tools],
                gold=[gold],
                meta=TaskMeta(
                    split="train" if i < n_train else "test",
                    functional_group=list(group),
                    preferred_tool=gold.tool,
                ),
            )
        )
    info = SuiteInfo(name="trainy", splits=["train", "test"], default_split="test")
    return Suite(info=info, tools=tools, tasks=tasks)


def corpus(suite: Suite) -> list[str]:
    """Texts to train the tiny tokenizer on: the prompts and the gold answers."""
    tools = suite.tool_index()
    texts = [m["content"] for t in suite.tasks for m in render_messages(t, tools)]
    return texts + [render_answer(t.gold) for t in suite.tasks]


# ``petool train`` / ``petool export`` through the real CLI entry point, in a subprocess.
# The commands are mounted on the petool app here unless src/petool/cli.py already has them.
_BOOT = """
import sys
import petool.cli as cli
from petool.train.cli import export_command, train_app
if not any(group.name == "train" for group in cli.app.registered_groups):
    cli.app.add_typer(train_app, name="train")
if not any(command.name == "export" for command in cli.app.registered_commands):
    cli.app.command("export")(export_command)
sys.exit(cli.main())
"""


def run_petool(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``petool ARGS`` (the CLI's ``main``) in a subprocess; capture its output."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", _BOOT, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
