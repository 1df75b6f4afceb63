"""Argument values valid for a tool's JSON Schema, and where personal values come from.

:func:`sample_value` draws a value for one parameter: an ``enum`` member; a value of the
kind the parameter's name says (city, country code, language, currency, ticker, URL, e-mail,
date, latitude, page size, ...); a value shaped like the documentation's example (a date in
the same format, digits of the same length, a three-letter code, ...); or, failing all that,
the example itself or a plain topic word. Numbers respect ``minimum``/``maximum``.

Parameters named like a profile habit (``language``, ``currency``, ``country``, ``units``,
``timezone``) take the user's value (:data:`PROFILE_PARAMS`); coordinates (``lat``, ``lon``)
come from the environment's location (:data:`ENVIRONMENT_PARAMS`).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable
from typing import Any

PROFILE_PARAMS: dict[str, str] = {
    "language": "language",
    "lang": "language",
    "locale": "language",
    "hl": "language",
    "currency": "currency",
    "currency_code": "currency",
    "country": "country",
    "country_code": "country",
    "countrycode": "country",
    "region": "country",
    "gl": "country",
    "market": "country",
    "units": "units",
    "unit": "units",
    "unit_system": "units",
    "timezone": "timezone",
    "time_zone": "timezone",
    "tz": "timezone",
}
ENVIRONMENT_PARAMS: dict[str, str] = {
    "lat": "latitude",
    "latitude": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "longitude": "longitude",
}
CITY_COORDINATES: dict[str, tuple[float, float]] = {
    "New York": (40.7128, -74.006),
    "Chicago": (41.8781, -87.6298),
    "San Francisco": (37.7749, -122.4194),
    "London": (51.5074, -0.1278),
    "Berlin": (52.52, 13.405),
    "Paris": (48.8566, 2.3522),
    "Madrid": (40.4168, -3.7038),
    "Barcelona": (41.3874, 2.1686),
    "Rome": (41.9028, 12.4964),
    "Mexico City": (19.4326, -99.1332),
    "São Paulo": (-23.5505, -46.6333),
    "Tokyo": (35.6762, 139.6503),
    "Mumbai": (19.076, 72.8777),
    "Toronto": (43.6532, -79.3832),
    "Vancouver": (49.2827, -123.1207),
    "Sydney": (-33.8688, 151.2093),
    "Cairo": (30.0444, 31.2357),
    "Seoul": (37.5665, 126.978),
    "Istanbul": (41.0082, 28.9784),
    "Cape Town": (-33.9249, 18.4241),
}
_CITIES = list(CITY_COORDINATES)
_COUNTRIES = ["France", "Germany", "Japan", "Brazil", "India", "Canada", "Mexico", "Italy", "Spain"]
_COUNTRY_CODES = ["US", "GB", "DE", "FR", "ES", "IT", "MX", "BR", "JP", "IN", "CA", "AU"]
_LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "ja", "hi"]
_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "INR", "BRL", "MXN", "CAD", "AUD"]
_TICKERS = ["AAPL", "MSFT", "TSLA", "AMZN", "GOOGL", "NVDA", "META", "NFLX"]
_TOPICS = [
    "climate change", "electric cars", "jazz", "machine learning", "marathon training",
    "vegan recipes", "space exploration", "budget travel", "football", "smartphones",
    "renewable energy", "photography", "coffee", "startups", "yoga",
]  # fmt: skip
_USERS = ["travel_lena", "mark.dev", "sunny_cook", "jdoe42", "techie_ana", "urban_runner"]
_DOMAINS = ["example.com", "openlibrary.org", "weather.gov", "wikipedia.org", "github.com"]
_STREETS = [
    "221B Baker Street, London",
    "1600 Amphitheatre Parkway, Mountain View",
    "5 Rue de Rivoli, Paris",
]
_FIRST_DAY = dt.date(2026, 1, 5)
_DATE_FORMATS = [
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "%d/%m/%Y"),
    (re.compile(r"^\d{2}-\d{2}-\d{4}$"), "%d-%m-%Y"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
    (re.compile(r"^\d{4}/\d{2}/\d{2}$"), "%Y/%m/%d"),
]
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def name_words(name: str) -> list[str]:
    """A parameter name as lowercase words: ``start_date`` / ``startDate`` → start, date."""
    return [w.lower() for w in _WORD.findall(name)]


def profile_key(param: str) -> str | None:
    """The profile habit a parameter of this name takes (``language``, ...), or None."""
    return PROFILE_PARAMS.get(param.lower())


def environment_key(param: str) -> str | None:
    """The environment value a parameter of this name takes (``latitude``, ...), or None."""
    return ENVIRONMENT_PARAMS.get(param.lower())


def habits(profile: dict[str, Any]) -> dict[str, Any]:
    """The values a user habitually gives to profile parameters (from the profile)."""
    keys = ("language", "currency", "country", "units", "timezone")
    return {k: profile[k] for k in keys if k in profile}


def render_value(value: Any) -> str:
    """How a value is written in an instruction."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(render_value(v) for v in value)
    return str(value)


def mask_values(text: str, values: Iterable[Any]) -> str:
    """``text`` with each argument value (as written in requests) blanked out.

    A value is what the user asks about (an e-mail at some domain, a username), not a
    choice of tool, so a name inside a value does not count as naming the tool.
    """
    low = text.lower()
    for value in values:
        items = value if isinstance(value, list) else [value]
        for item in items:
            written = render_value(item).lower()
            if len(written) >= 2:
                low = low.replace(written, " ")
    return low


def _date(rng: random.Random, fmt: str = "%Y-%m-%d") -> str:
    return (_FIRST_DAY + dt.timedelta(days=rng.randrange(355))).strftime(fmt)


def _clamp(value: float, schema: dict[str, Any]) -> float:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if isinstance(lo, int | float) and value < lo:
        value = lo
    if isinstance(hi, int | float) and value > hi:
        value = hi
    return value


def _number(words: list[str], schema: dict[str, Any], rng: random.Random) -> Any:
    examples = [e for e in schema.get("examples", []) if isinstance(e, int | float)]
    kinds = set(words)
    value: float
    if kinds & {"lat", "latitude"}:
        value = round(rng.uniform(-60, 70), 4)
    elif kinds & {"lon", "lng", "longitude", "long"}:
        value = round(rng.uniform(-170, 170), 4)
    elif kinds & {"year", "season"}:
        value = rng.randint(2015, 2025)
    elif kinds & {"limit", "count", "size", "num", "top", "results", "max", "per"}:
        value = rng.choice([5, 10, 20, 25, 50])
    elif "page" in kinds:
        value = rng.randint(1, 5)
    elif kinds & {"offset", "skip", "start"}:
        value = rng.choice([0, 10, 20, 50])
    elif "month" in kinds:
        value = rng.randint(1, 12)
    elif kinds & {"day", "days"}:
        value = rng.randint(1, 28)
    elif examples and not isinstance(examples[0], bool):
        ex = examples[0]
        if isinstance(ex, float) and not ex.is_integer():
            value = round(ex * rng.choice([0.5, 1.0, 1.5]), 4)
        else:
            base = max(int(ex), 1)
            value = rng.choice([base, base * 2, max(base // 2, 1), base + rng.randint(1, 9)])
    else:
        value = rng.randint(1, 100)
    value = _clamp(value, schema)
    if schema.get("type") == "integer" or float(value).is_integer():
        return int(value)
    return float(value)


def _shaped(example: str, rng: random.Random) -> str:
    """A value shaped like a documentation example (same date format, length, case)."""
    for pattern, fmt in _DATE_FORMATS:
        if pattern.match(example):
            return _date(rng, fmt)
    if re.fullmatch(r"[A-Z]{3}", example):
        return rng.choice(_CURRENCIES)
    if re.fullmatch(r"[1-9]\d{0,17}", example) and rng.random() < 0.5:
        return str(rng.randint(10 ** (len(example) - 1), 10 ** len(example) - 1))
    return example


def _by_name(words: list[str], schema: dict[str, Any], rng: random.Random) -> str | None:
    kinds = set(words)
    if schema.get("format") == "date" or (kinds & {"date", "day"} and "update" not in kinds):
        return _date(rng)
    if schema.get("format") == "time" or kinds == {"time"}:
        return f"{rng.randint(6, 22):02d}:{rng.choice(['00', '15', '30', '45'])}"
    if kinds & {"city", "town"}:
        return rng.choice(_CITIES)
    if "country" in kinds:
        return rng.choice(_COUNTRY_CODES if "code" in kinds else _COUNTRIES)
    if kinds & {"lang", "language", "locale"}:
        return rng.choice(_LANGUAGES)
    if "currency" in kinds:
        return rng.choice(_CURRENCIES)
    if kinds & {"symbol", "ticker", "stock"}:
        return rng.choice(_TICKERS)
    if kinds & {"url", "link", "website"}:
        return f"https://{rng.choice(_DOMAINS)}/{rng.choice(_TOPICS).replace(' ', '-')}"
    if "domain" in kinds:
        return rng.choice(_DOMAINS)
    if kinds & {"email", "mail"}:
        return f"{rng.choice(_USERS).replace('.', '_')}@example.com"
    if kinds & {"phone", "mobile", "msisdn"}:
        return f"+1415555{rng.randint(1000, 9999)}"
    if kinds & {"username", "user", "handle", "screen"}:
        return rng.choice(_USERS)
    if kinds & {"address", "street"}:
        return rng.choice(_STREETS)
    if kinds & {"zip", "zipcode", "postal", "postcode"}:
        return str(rng.randint(10001, 99950))
    if words and words[-1] in ("id", "ids", "uid", "uuid"):
        return str(rng.randint(1, 99999))
    if kinds & {"q", "query", "keyword", "keywords", "search", "term", "topic", "text"}:
        return rng.choice(_TOPICS)
    return None


def sample_value(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """A value for parameter ``name`` valid for its JSON Schema (see the module docstring).

    Args:
        name: the parameter's name (its words choose the kind of value).
        schema: the parameter's JSON Schema (``type``, ``enum``, ``format``, ``examples``,
            ``minimum``/``maximum``).
        rng: the generator.
    """
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return rng.choice(enum)
    kind = schema.get("type", "string")
    words = name_words(name)
    examples = schema.get("examples") or []
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("number", "integer"):
        return _number(words, schema, rng)
    if kind == "array":
        item = sample_value(name, dict(schema.get("items") or {"type": "string"}), rng)
        return [item]
    if kind == "object":
        return {}
    if schema.get("format") in ("date", "time"):
        return _by_name(words, schema, rng)
    example = examples[0] if examples and isinstance(examples[0], str) else None
    if example is not None and rng.random() < 0.35:
        return _shaped(example, rng)
    by_name = _by_name(words, schema, rng)
    if by_name is not None:
        return by_name
    if example is not None:
        return _shaped(example, rng)
    return rng.choice(_TOPICS)
