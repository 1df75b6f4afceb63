"""Hand-built data for the ranker tests: a toolset, tasks, and a fast fake encoder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from petool.schema import Interaction, Task, Tool, ToolCall, UserContext

WEATHER = "Get the weather forecast for a city"
TRANSLATE = "Translate text into another language"
NEWS = "Search recent news articles about a topic"
STOCKS = "Look up the current stock price of a company"


class BagOfWordsEncoder:
    """A deterministic stand-in for the embedding model: hashed bag of words, unit length."""

    dim = 512

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                slot = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dim
                out[i, slot] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


def make_tool(
    name: str, functionality: str, attributes: dict[str, Any], **params: dict[str, Any]
) -> Tool:
    """A tool whose parameters are all optional unless their schema says ``required``."""
    required = [p for p, s in params.items() if s.pop("required", False)]
    personalized = [p for p, s in params.items() if s.pop("personalized", False)]
    return Tool(
        name=name,
        functionality=functionality,
        attributes=attributes,
        parameters={"type": "object", "properties": params, "required": required},
        param_roles={"personalized": personalized},
    )


def toolset() -> list[Tool]:
    """Two functional groups (weather x3, translation x3) and two distractors."""

    def weather(name: str, cost: float, ads: bool, accuracy: str) -> Tool:
        return make_tool(
            name,
            WEATHER,
            {"cost_per_call_usd": cost, "ads": ads, "accuracy": accuracy},
            city={"type": "string", "required": True},
            days={"type": "integer"},
            units={"type": "string", "enum": ["metric", "imperial"], "personalized": True},
        )

    def translate(name: str, cost: float, ads: bool, accuracy: str) -> Tool:
        return make_tool(
            name,
            TRANSLATE,
            {"cost_per_call_usd": cost, "ads": ads, "accuracy": accuracy},
            text={"type": "string", "required": True},
            target={"type": "string", "enum": ["fr", "de", "es"], "required": True},
        )

    return [
        weather("weather_cheap", 0.0, True, "low"),
        weather("weather_mid", 0.01, False, "medium"),
        weather("weather_pricey", 0.05, False, "high"),
        translate("translate_cheap", 0.001, True, "medium"),
        translate("translate_mid", 0.02, False, "low"),
        translate("translate_pricey", 0.09, False, "high"),
        make_tool("news", NEWS, {"cost_per_call_usd": 0.0, "ads": True, "accuracy": "low"}),
        make_tool("stocks", STOCKS, {"cost_per_call_usd": 0.1, "ads": False, "accuracy": "high"}),
    ]


CANDIDATES = [
    "news",
    "weather_pricey",
    "weather_cheap",
    "weather_mid",
    "stocks",
    "translate_cheap",
    "translate_mid",
    "translate_pricey",
]


def past(tool: str, step: int = 0, rating: int | None = None, **arguments: Any) -> Interaction:
    """One history item."""
    return Interaction(
        instruction="earlier request",
        call=ToolCall(tool=tool, arguments=arguments),
        rating=rating,
        step=step,
    )


def weather_task(
    history: list[Interaction] | None = None,
    mode: str = "preferred",
    profile: dict[str, Any] | None = None,
    instruction: str = 'Get the weather forecast for the city "Lyon" for the next 4 days',
) -> Task:
    """A weather request among all candidates."""
    return Task(
        id="weather-1",
        instruction=instruction,
        user=UserContext(
            user_id="u1", history=history or [], history_mode=mode, profile=profile or {}
        ),
        candidates=CANDIDATES,
    )
