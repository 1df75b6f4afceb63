"""Users of the demo suite: profiles with habits, and preferences over tool attributes.

A preference is a weight vector over :data:`~petool.synth.demo_catalog.ATTRIBUTES` with one or
two dominant attributes ("cheap", "fast and accurate", ...) and small weights elsewhere. The
preferred tool of a group is the argmax of the user's utility over the group's within-group
normalized attributes, and counts only when it beats the runner-up by a margin.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from petool.synth.demo_catalog import ATTRIBUTES, PREFERENCE_WORDS, FunctionalGroup, goodness
from petool.synth.demo_catalog import utilities as _utilities

#: Margin (on the 0–1 utility scale) by which the preferred tool must beat the runner-up.
MARGIN = 0.12

# country: (cities, language, currency, units, timezone per city)
_COUNTRIES: dict[str, tuple[list[tuple[str, str]], str, str, str]] = {
    "US": (
        [
            ("New York", "America/New_York"),
            ("Chicago", "America/Chicago"),
            ("San Francisco", "America/Los_Angeles"),
        ],
        "en",
        "USD",
        "imperial",
    ),
    "GB": ([("London", "Europe/London")], "en", "GBP", "metric"),
    "DE": ([("Berlin", "Europe/Berlin")], "de", "EUR", "metric"),
    "FR": ([("Paris", "Europe/Paris")], "fr", "EUR", "metric"),
    "ES": ([("Madrid", "Europe/Madrid"), ("Barcelona", "Europe/Madrid")], "es", "EUR", "metric"),
    "IT": ([("Rome", "Europe/Rome")], "it", "EUR", "metric"),
    "MX": ([("Mexico City", "America/Mexico_City")], "es", "MXN", "metric"),
    "BR": ([("São Paulo", "America/Sao_Paulo")], "pt", "BRL", "metric"),
    "JP": ([("Tokyo", "Asia/Tokyo")], "ja", "JPY", "metric"),
    "IN": ([("Mumbai", "Asia/Kolkata")], "hi", "INR", "metric"),
    "CA": (
        [("Toronto", "America/Toronto"), ("Vancouver", "America/Vancouver")],
        "en",
        "CAD",
        "metric",
    ),
    "AU": ([("Sydney", "Australia/Sydney")], "en", "AUD", "metric"),
}
_FIRST = [
    "Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabriel", "Hana", "Ivan", "Julia",
    "Kenji", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
]  # fmt: skip
_LAST = [
    "Alvarez", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hayashi", "Iyer",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Silva",
    "Tanaka", "Weber",
]  # fmt: skip
_OCCUPATIONS = [
    "teacher", "nurse", "software developer", "accountant", "student", "chef", "architect",
    "journalist", "sales manager", "photographer", "electrician", "researcher",
    "graphic designer", "retired engineer", "small-business owner", "pharmacist",
]  # fmt: skip
_DIETS = ["none", "none", "none", "vegetarian", "vegan", "pescatarian", "gluten_free"]
_SECOND_LANGUAGE = {"US": "es", "CA": "fr", "IN": "en", "GB": "en", "DE": "en"}


def make_profile(rng: random.Random) -> dict[str, Any]:
    """A plausible profile whose habits (language, units, currency, ...) fit its home country."""
    country = rng.choice(list(_COUNTRIES))
    cities, language, currency, units = _COUNTRIES[country]
    city, tz = rng.choice(cities)
    if country in _SECOND_LANGUAGE and rng.random() < 0.2:
        language = _SECOND_LANGUAGE[country]
    return {
        "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        "age": rng.randint(19, 74),
        "occupation": rng.choice(_OCCUPATIONS),
        "home_city": city,
        "country": country,
        "language": language,
        "units": units,
        "currency": currency,
        "timezone": tz,
        "diet": rng.choice(_DIETS),
    }


def habits(profile: dict[str, Any]) -> dict[str, Any]:
    """Values the user habitually gives to personalized parameters (taken from the profile)."""
    return {
        "language": profile["language"],
        "units": profile["units"],
        "currency": profile["currency"],
        "region": profile["country"],
        "timezone": profile["timezone"],
        "diet": profile["diet"],
    }


@dataclass(frozen=True)
class Preference:
    """Weights over tool attributes; ``dominant`` are the one or two that matter most."""

    weights: dict[str, float]
    dominant: tuple[str, ...]

    @property
    def label(self) -> str:
        """Human words for the dominant attributes, e.g. ``"cheap+fast"``."""
        return "+".join(PREFERENCE_WORDS[a] for a in self.dominant)


def sample_preference(rng: random.Random, avoid: tuple[str, ...] = ()) -> Preference:
    """Draw 1–2 dominant attributes (none of ``avoid``) with small weights elsewhere."""
    pool = [a for a in ATTRIBUTES if a not in avoid]
    k = 1 if rng.random() < 0.5 else 2
    dominant = tuple(rng.sample(pool, k))
    weights = {a: round(rng.uniform(0.0, 0.1), 2) for a in ATTRIBUTES}
    weights[dominant[0]] = 1.0
    if k == 2:
        weights[dominant[1]] = round(rng.uniform(0.6, 0.9), 2)
    return Preference(weights=weights, dominant=dominant)


def ranking(pref: Preference, group: FunctionalGroup) -> list[tuple[float, int]]:
    """``(utility, member index)`` of each member, best first (ties by catalog order)."""
    util = _utilities(pref.weights, goodness(group.tools))
    return sorted(((u, i) for i, u in enumerate(util)), key=lambda x: (-x[0], x[1]))


def preferred_index(pref: Preference, group: FunctionalGroup, margin: float = MARGIN) -> int | None:
    """Index of the user's preferred member, or None when the best does not win by ``margin``."""
    ranked = ranking(pref, group)
    if ranked[0][0] - ranked[1][0] < margin:
        return None
    return ranked[0][1]
