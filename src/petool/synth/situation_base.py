"""The shared pieces of the situation traits: :class:`Trait`, the environment vocabulary
that decides environment traits, and small readers of profile and environment fields."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DOMAINS = (
    "shopping",
    "food",
    "rides",
    "travel",
    "news",
    "media",
    "fitness",
    "knowledge",
    "finance",
    "general",
)
ALL = DOMAINS

Profile = Mapping[str, Any]
Env = Mapping[str, Any]

GOOD_WEATHER = ("Sunny", "Cloudy", "Clear, mild breeze")
BAD_WEATHER = ("Heavy rain", "Snowstorm", "Thunderstorm", "Freezing rain")
OTHER_WEATHER = ("Light drizzle", "Foggy", "Hot (37°C)", "Overcast")
OFFLINE_NETWORKS = ("No network", "Airplane mode", "Very weak signal (1 bar)")
METERED_NETWORKS = ("4G, limited data plan nearly used up", "Roaming abroad, metered data")
GOOD_NETWORKS = ("Wi-Fi, strong signal", "5G, strong signal", "Home broadband Wi-Fi")
DESKTOP_DEVICES = ("Desktop PC", "Laptop")
OTHER_DEVICES = ("Tablet", "Smartwatch", "Car infotainment screen")
REGIONS: dict[str, tuple[str, ...]] = {
    "china": ("China",),
    "north_america": ("United States", "Canada"),
    "europe": ("Germany", "France", "Spain", "Italy", "United Kingdom"),
    "japan": ("Japan",),
}
REGION_NAMES = {
    "china": "mainland China",
    "north_america": "the United States and Canada",
    "europe": "Europe",
    "japan": "Japan",
}


@dataclass(frozen=True)
class Trait:
    """One reason to prefer an app: how apps state it and how a user shows it."""

    key: str
    side: str  # "persona" or "environment"
    domains: tuple[str, ...]
    app_texts: tuple[str, ...]
    cues: tuple[str, ...] = ()
    implied: Callable[[Profile], bool] | None = None  # persona: the profile alone implies it
    allowed: Callable[[Profile], bool] | None = None  # persona: may this profile state it
    env_holds: Callable[[Env], bool] | None = None
    make: Callable[[dict[str, Any], random.Random], None] | None = None
    conflicts: tuple[str, ...] = field(default=())


def age_of(p: Profile) -> int:
    return int(p.get("Age", 30))


def hour_of(e: Env) -> int:
    return int(e.get("Time of Day (hour)", 12))


def battery_of(e: Env) -> int:
    return int(str(e.get("Battery Level", "80%")).rstrip("%"))


def set_field(key: str, values: tuple[Any, ...]) -> Callable[[dict[str, Any], random.Random], None]:
    def make(env: dict[str, Any], rng: random.Random) -> None:
        env[key] = rng.choice(values)

    return make


def make_night(env: dict[str, Any], rng: random.Random) -> None:
    env["Time of Day (hour)"] = rng.choice((23, 0, 1, 2, 3, 4))


def make_low_battery(env: dict[str, Any], rng: random.Random) -> None:
    env["Battery Level"] = f"{rng.randint(3, 15)}%"


def make_door(env: dict[str, Any], rng: random.Random) -> None:
    if rng.random() < 0.6:
        env["Weather"] = rng.choice(BAD_WEATHER)
    else:
        make_night(env, rng)


def make_transit(env: dict[str, Any], rng: random.Random) -> None:
    env["Weather"] = rng.choice(GOOD_WEATHER)
    env["Time of Day (hour)"] = rng.randint(7, 20)


def make_indoor(env: dict[str, Any], rng: random.Random) -> None:
    env["Weather"] = rng.choice((*BAD_WEATHER, "Hot (37°C)", "Heavy smog (AQI 280)"))


def region_rule(
    region: str,
) -> tuple[Callable[[Env], bool], Callable[[dict[str, Any], random.Random], None]]:
    countries = REGIONS[region]
    return (lambda e: e.get("Country") in countries), set_field("Country", countries)


def special_rule(word: str, values: tuple[str, ...]) -> tuple[Callable[[Env], bool], Any]:
    return (lambda e: word in str(e.get("Special User Configuration", "")).lower()), set_field(
        "Special User Configuration", values
    )
