"""Test support importable from any test module: a tiny in-memory suite, the plugin path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from petool.schema import (
    Interaction,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    Tool,
    ToolCall,
    UserContext,
)

PLUGINS = Path(__file__).parent


def _tool(name: str, functionality: str, cost: float) -> Tool:
    return Tool(
        name=name,
        app=name.split(".")[1],
        category="Finance",
        description=f"{name} converts money",
        functionality=functionality,
        attributes={"cost_per_call_usd": cost},
        parameters={
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "to": {"type": "string", "enum": ["EUR", "USD"]},
            },
            "required": ["amount", "to"],
        },
    )


def make_tiny_suite(n_tasks: int = 12) -> Suite:
    """A suite of 4 tools and ``n_tasks`` tasks cycling through the three history modes."""
    tools = [
        _tool("Finance.Cheap.convert", "convert currency", 0.0),
        _tool("Finance.Pricey.convert", "convert currency", 0.5),
        _tool("Finance.Quotes.quote", "stock quote", 0.1),
        _tool("Finance.News.news", "finance news", 0.1),
    ]
    modes = ["preferred", "rated", "chronological"]
    tasks = []
    for i in range(n_tasks):
        mode = modes[i % 3]
        gold = ToolCall(tool="Finance.Cheap.convert", arguments={"amount": 10 + i, "to": "EUR"})
        history = [
            Interaction(
                instruction="convert 5 to USD",
                call=ToolCall(tool="Finance.Cheap.convert", arguments={"amount": 5, "to": "USD"}),
                rating=1 if mode == "rated" else None,
                step=0,
            )
        ]
        tasks.append(
            Task(
                id=f"tiny-{i:03d}",
                instruction=f"Convert {10 + i} dollars to EUR",
                user=UserContext(user_id=f"u{i % 4}", history=history, history_mode=mode),
                candidates=[t.name for t in tools],
                gold=[gold],
                meta=TaskMeta(
                    split="test",
                    category="Finance",
                    history_length=1,
                    functional_group=["Finance.Cheap.convert", "Finance.Pricey.convert"],
                    preferred_tool="Finance.Cheap.convert",
                ),
            )
        )
    return Suite(info=SuiteInfo(name="tiny"), tools=tools, tasks=tasks)


def petool(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m petool ARGS`` in a subprocess with the test plugins importable."""
    full_env = {**os.environ, "PYTHONPATH": str(PLUGINS), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "petool", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=300,
    )
