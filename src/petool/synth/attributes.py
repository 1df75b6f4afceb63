"""Non-functional attributes of tools: the dimensions preferences are about, and their phrases.

Each dimension (cost, latency, accuracy, ads, privacy, coverage, rate limit, freshness,
reliability) has three phrases, best level first, chosen so that the embedding of the best
phrase is closest to itself, then to the middle phrase, then to the worst one. Offline, a
tool's phrase on a dimension comes from a cue in its documentation ("free", "real-time",
"worldwide", "demo", ...) or, when the documentation says nothing, from a hash of the
provider's name: stable, the same for all of a provider's APIs, different between providers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from petool.schema import Tool


@dataclass(frozen=True)
class Dimension:
    """A non-functional attribute: what it means and its phrases, best level first."""

    name: str
    meaning: str
    levels: tuple[str, str, str]

    @property
    def preference(self) -> str:
        """The phrase of the best level (what a user who cares about it wants)."""
        return self.levels[0]


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "cost",
        "price of using the tool",
        ("free of charge", "free tier with paid extras", "moderate price per request"),
    ),
    Dimension(
        "latency",
        "how fast answers come",
        ("fast responses", "responses in about a second", "sluggish under load"),
    ),
    Dimension(
        "accuracy",
        "how correct the results are",
        ("highly accurate results", "mostly accurate results", "occasional errors in results"),
    ),
    Dimension(
        "ads",
        "advertising in results",
        ("no advertising", "occasional sponsored results", "shows promoted items"),
    ),
    Dimension(
        "privacy",
        "how user data is handled",
        (
            "strong privacy protection",
            "privacy-friendly data handling",
            "logs requests for analytics",
        ),
    ),
    Dimension(
        "coverage",
        "how much of the world or of the domain the data covers",
        ("worldwide coverage", "covers most countries", "local data only"),
    ),
    Dimension(
        "rate_limit",
        "how many requests are allowed",
        ("generous rate limits", "moderate request quota", "few requests per minute"),
    ),
    Dimension(
        "freshness",
        "how current the data is",
        ("real-time data", "near real-time updates", "updated monthly"),
    ),
    Dimension(
        "reliability",
        "how dependable the service is",
        ("reliable uptime", "occasional downtime", "hobby project without guarantees"),
    ),
)
DIMENSION_NAMES: tuple[str, ...] = tuple(d.name for d in DIMENSIONS)
DIMENSION_BY_NAME: dict[str, Dimension] = {d.name: d for d in DIMENSIONS}

# (dimension, level, cue) — the first cue found for a dimension sets its level
_CUES: list[tuple[str, int, re.Pattern[str]]] = [
    ("cost", 0, re.compile(r"\bfree\b(?![- ]?trial)")),
    ("cost", 1, re.compile(r"\b(cheap|affordable|low[- ]cost|freemium)\b")),
    ("cost", 2, re.compile(r"\b(premium|enterprise|paid)\b")),
    ("latency", 0, re.compile(r"\b(fast|quick|instant|lightning|low[- ]latency|rapid|speedy)\b")),
    ("latency", 2, re.compile(r"\b(slow|batch)\b")),
    ("accuracy", 0, re.compile(r"\b(accurate|precise|precision|verified|official|validated)\b")),
    ("ads", 0, re.compile(r"\b(ad[- ]free|no ads|without ads|no advertising)\b")),
    ("ads", 1, re.compile(r"\bsponsored\b")),
    ("privacy", 0, re.compile(r"\b(secure|privacy|private|encrypt\w*|gdpr|anonymous)\b")),
    (
        "coverage",
        0,
        re.compile(r"\b(global|worldwide|world[- ]wide|international|all countries)\b"),
    ),
    ("coverage", 0, re.compile(r"\b\d{2,}\+? countries\b")),
    ("coverage", 2, re.compile(r"\b(local|regional)\b")),
    ("rate_limit", 0, re.compile(r"\b(unlimited|no rate limits?)\b")),
    ("rate_limit", 2, re.compile(r"rate ?limit")),
    ("freshness", 0, re.compile(r"\b(real[- ]?time|live|up[- ]to[- ]date|latest)\b")),
    ("freshness", 2, re.compile(r"\b(historical|archived?)\b")),
    ("reliability", 0, re.compile(r"\b(reliable|stable|uptime|robust|99\.\d+ ?%)")),
    ("reliability", 2, re.compile(r"\b(test|testing|demo|sample|beta|experimental|sandbox)\b")),
]


def _hash_level(key: str) -> int:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 3


def offline_attributes(tool: Tool, provider_doc: str = "") -> dict[str, str]:
    """One phrase per dimension: from a documentation cue, else from a hash of the provider.

    The tool's own description is read first, then the provider's name and description.
    """
    provider = tool.app or tool.name
    texts = [tool.description.lower(), f"{provider} {provider_doc}".lower()]
    levels: dict[str, int] = {}
    for text in texts:
        for dim, level, cue in _CUES:
            if dim not in levels and cue.search(text.replace("_", " ")):
                levels[dim] = level
    out: dict[str, str] = {}
    for dimension in DIMENSIONS:
        level = levels.get(dimension.name, _hash_level(f"{provider}|{dimension.name}"))
        out[dimension.name] = dimension.levels[level]
    return out
