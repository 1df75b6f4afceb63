"""Helpers for the synthesis tests: a tiny ToolBench corpus, the scripted loopback LLM."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from petool.synth.attributes import DIMENSIONS

TESTS = Path(__file__).resolve().parents[1]
TOOLBENCH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "toolbench"


def _load_stub_server() -> Any:
    """``tests/backends/openai_stub_server.py`` (not on this folder's import path)."""
    if "openai_stub_server" in sys.modules:
        return sys.modules["openai_stub_server"]
    path = TESTS / "backends" / "openai_stub_server.py"
    spec = importlib.util.spec_from_file_location("openai_stub_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["openai_stub_server"] = module
    spec.loader.exec_module(module)
    return module


stub = _load_stub_server()

# provider -> (category, [(api name, description, required params)])
_JOBS = {
    "weather": ("Weather", "Get the current weather for a city", ["city"]),
    "forecast": (
        "Weather",
        "Get the weather forecast for the next days in a city",
        ["city", "days"],
    ),
    "convert": (
        "Finance",
        "Convert an amount of money from one currency to another",
        ["amount", "from", "to"],
    ),
    "translate": ("Translation", "Translate a text into another language", ["text", "target"]),
    "shorten": ("Tools", "Shorten a long URL into a short link", ["url"]),
}
_PROVIDERS = {
    "SkyCast": ["weather", "forecast"],
    "MeteoNow": ["weather", "forecast"],
    "CloudPeek": ["weather"],
    "FxBridge": ["convert"],
    "CoinSwap Rates": ["convert"],
    "MoneyMorph": ["convert"],
    "Lingo Relay": ["translate"],
    "Babelfy": ["translate"],
    "TinyHop": ["shorten"],
    "SnipLink": ["shorten"],
    "JokeBox": [],
    "QuoteGarden": [],
}
_SINGLES = {
    "JokeBox": ("Entertainment", "random_joke", "Returns a random joke", []),
    "QuoteGarden": ("Entertainment", "quote_of_the_day", "Returns the quote of the day", []),
}
_TYPES = {"days": "NUMBER", "amount": "NUMBER"}


def _param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": _TYPES.get(name, "STRING"),
        "description": f"the {name}",
        "default": "",
    }


def tool_file(provider: str) -> dict[str, Any]:
    """The ToolBench JSON of one provider of the tiny corpus."""
    apis = []
    category = ""
    for job in _PROVIDERS[provider]:
        category, description, params = _JOBS[job]
        apis.append(
            {
                "name": f"{job}_{provider.split()[0].lower()}",
                "description": description,
                "method": "GET",
                "required_parameters": [_param(p) for p in params],
                "optional_parameters": [_param("language")] if job == "translate" else [],
            }
        )
    if provider in _SINGLES:
        category, api, description, _ = _SINGLES[provider]
        apis.append(
            {
                "name": api,
                "description": description,
                "method": "GET",
                "required_parameters": [],
                "optional_parameters": [],
            }
        )
    return {
        "tool_name": provider,
        "tool_description": f"{provider} API",
        "category_name": category,
        "api_list": apis,
    }


def write_tiny_corpus(root: Path) -> Path:
    """A ToolBench-layout corpus of 12 providers (5 jobs with 2–3 providers each)."""
    for provider in _PROVIDERS:
        data = tool_file(provider)
        folder = root / "tools" / data["category_name"]
        folder.mkdir(parents=True, exist_ok=True)
        name = provider.lower().replace(" ", "_")
        (folder / f"{name}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    return root


# --------------------------------------------------------------------------- the fake LLM


def _level(text: str, dim: str) -> int:
    return int(hashlib.sha256(f"{text}|{dim}".encode()).hexdigest()[:6], 16) % 3


def fake_answer(payload: dict[str, Any]) -> dict[str, Any]:
    """What the scripted LLM answers, from the request's JSON payload alone."""
    key = str(payload["id"])
    if key.startswith("understand:"):
        provider = payload["provider"]
        return {
            "functionality": (payload["description"] or payload["api"])[:200],
            "attributes": {d.name: d.levels[_level(provider, d.name)] for d in DIMENSIONS},
        }
    if key.startswith("group:"):
        return {"same_job": [e["index"] for e in payload["endpoints"]]}
    if key.startswith("persona:"):
        focus = payload["focus"]
        by_name = {d.name: d for d in DIMENSIONS}
        return {
            "statement": f"I care about {' and '.join(focus)}.",
            "priorities": {d: by_name[d].preference for d in focus},
            "weights": {d: 1.0 - 0.2 * k for k, d in enumerate(focus)},
        }
    if key.startswith("rewrite:"):
        values = payload["values"]
        said = ", ".join(f"{n} {v}" for n, v in values.items())
        purpose = payload["purpose"]
        return {"instruction": f"Hi! Could you {purpose}{' (' + said + ')' if said else ''}?"}
    if key.startswith("judge:"):
        digest = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16)
        return {"score": 5 if digest % 6 == 0 else 9, "reason": "scripted"}
    raise AssertionError(f"unexpected request {key}")


class ScriptedLLM(stub.StubServer):  # type: ignore[misc,name-defined]
    """The loopback OpenAI-protocol server, answering synthesis prompts from their payload.

    Each request's script (answer text and injected faults) is made on first sight from the
    JSON after ``## Request``; ``counts`` are per request id (the payload's ``id``).
    """

    def __init__(
        self,
        answer: Callable[[dict[str, Any]], Any] = fake_answer,
        faults: Callable[[dict[str, Any]], list[str]] | None = None,
        **options: Any,
    ):
        super().__init__({}, **options)
        self.answer = answer
        self.faults = faults or (lambda payload: [])

    def record(self, body: dict[str, Any]) -> tuple[Any, int]:
        text = stub.instruction_of(body)
        if text not in self.scripts:
            payload = json.loads(text)
            answer = self.answer(payload)
            script = stub.Script(
                task_id=str(payload["id"]),
                text=answer if isinstance(answer, str) else json.dumps(answer),
                faults=list(self.faults(payload)),
            )
            with self._lock:
                self.scripts.setdefault(text, script)
        return super().record(body)  # type: ignore[no-any-return]
