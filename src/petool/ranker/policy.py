"""Reading app policies, user profiles and requested amounts for the abstention decision.

An app may state policies (``tool.attributes["policy"]``: a sentence or a list of them) such
as "Users under the age of 18 are not allowed to ..." or "a monthly investment limit (<3k) is
set for low-income users". A request that breaks such a rule for *this* user must get no call.
This module turns the three sides into numbers the learned ranker can combine:

* :func:`profile_facts`: the user's age, low income (0/1) and body-mass index, from profile
  keys in any common spelling (``Age``, ``age``; ``Income Level`` ``0-5k``; ``Height (cm)`` and
  ``Weight (kg)``); ``nan`` when unknown;
* :func:`requested_amount`: the largest money amount the request names (``$20,000``, ``15k
  yuan``, ``¥3000``, ``12,000 RMB``), 0 when none;
* :class:`PolicyRules`: which kinds of rule an app's policy text states (minors, elderly,
  low income, body weight) with their thresholds and the money cap it names.

The rules are read with a few general patterns; nothing here is fitted to any test set (the
learned ranker learns how the facts combine from synthesized suites).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAN = float("nan")

_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_CURRENCY_BEFORE = r"(?:\$|¥|￥|€|£|rmb|cny|usd|eur)"
_CURRENCY_AFTER = r"(?:rmb|cny|yuan|usd|dollars?|euros?|bucks)"
_MULTIPLIER = r"(k|thousand|million|m)?"
_MONEY = re.compile(
    rf"(?:{_CURRENCY_BEFORE}\s*{_NUMBER}\s*{_MULTIPLIER}\b)"
    rf"|(?:{_NUMBER}\s*{_MULTIPLIER}\s*{_CURRENCY_AFTER}\b)"
    rf"|(?:<\s*{_NUMBER}\s*(k)\b)",
    re.I,
)
_SCALE = {"k": 1e3, "thousand": 1e3, "million": 1e6, "m": 1e6}


def _amount(number: str, multiplier: str | None) -> float:
    value = float(number.replace(",", ""))
    return value * _SCALE.get((multiplier or "").lower(), 1.0)


def money_amounts(text: str) -> list[float]:
    """Every money amount written in ``text`` (currency-marked, or ``<3k``)."""
    out = []
    for m in _MONEY.finditer(text):
        g = m.groups()
        if g[0] is not None:
            out.append(_amount(g[0], g[1]))
        elif g[2] is not None:
            out.append(_amount(g[2], g[3]))
        elif g[4] is not None:
            out.append(_amount(g[4], g[5]))
    return out


def requested_amount(instruction: str) -> float:
    """The largest money amount the request names (0 when it names none)."""
    amounts = money_amounts(instruction)
    return max(amounts) if amounts else 0.0


def _key(name: str) -> str:
    return re.sub(r"\(.*?\)|[^a-z]", "", name.lower())


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return NAN
    if isinstance(value, int | float):
        return float(value)
    m = re.search(r"\d+(?:\.\d+)?", str(value))
    return float(m.group()) if m else NAN


def _low_income(value: Any) -> float:
    text = str(value).lower()
    if "low" in text:
        return 1.0
    if "high" in text or ">" in text:
        return 0.0
    bounds = [
        _amount(n, k) for n, k in re.findall(r"(\d+(?:\.\d+)?)\s*(k)?", text.replace(",", ""))
    ]
    if not bounds:
        return NAN
    return 1.0 if max(bounds) <= 5000 else 0.0


def profile_facts(profile: Mapping[str, Any]) -> dict[str, float]:
    """Age, low income (1/0) and body-mass index of a profile (``nan`` when unknown)."""
    keys = {_key(k): v for k, v in profile.items()}
    age = _number(keys["age"]) if "age" in keys else NAN
    income = next((v for k, v in keys.items() if k.startswith("income")), None)
    height = _number(keys["height"]) if "height" in keys else NAN
    weight = _number(keys["weight"]) if "weight" in keys else NAN
    if not math.isnan(height) and height > 3:  # centimetres
        height /= 100
    bmi = weight / (height * height) if height and not math.isnan(height + weight) else NAN
    return {
        "age": age,
        "low_income": _low_income(income) if income is not None else NAN,
        "bmi": bmi,
    }


def policy_sentences(attributes: Mapping[str, Any]) -> list[str]:
    """An app's policy sentences (``attributes["policy"]``, a string or a list)."""
    raw = attributes.get("policy") or attributes.get("policies") or []
    if isinstance(raw, str):
        return [raw] if raw.strip() else []
    if isinstance(raw, list | tuple):
        return [str(p) for p in raw if str(p).strip()]
    return []


_MINOR = re.compile(r"\bminors?\b|under (?:the age of )?(\d+)|teen", re.I)
_ELDER = re.compile(
    r"(\d+)\s*(?:years?)?(?: old)?\s*(?:and|or) (?:above|older)|elderly|senior", re.I
)
_INCOME = re.compile(r"low[- ]income", re.I)
_BODY = re.compile(r"\bbmi\b|body weight|overweight|obes", re.I)
_BMI_VALUE = re.compile(r"bmi[^.\d]{0,20}(\d+(?:\.\d+)?)", re.I)


@dataclass(frozen=True)
class PolicyRules:
    """The kinds of rule an app's policy states, with their thresholds."""

    count: int = 0
    minor_age: float = 0.0  # "under 18": 18 (0: no such rule)
    elder_age: float = 0.0  # "60 years and above": 60
    low_income: bool = False
    bmi: float = 0.0  # "BMI greater than 30": 30; body-weight rule without a number: 25
    cap: float = 0.0  # the smallest money cap named (0: none)

    @classmethod
    def read(cls, sentences: list[str]) -> PolicyRules:
        minor = elder = bmi = 0.0
        income = False
        caps: list[float] = []
        for text in sentences:
            for m in _MINOR.finditer(text):
                minor = max(minor, float(m.group(1)) if m.group(1) else 18.0)
            for m in _ELDER.finditer(text):
                elder = float(m.group(1)) if m.group(1) else (elder or 60.0)
            income = income or bool(_INCOME.search(text))
            if _BODY.search(text):
                value = _BMI_VALUE.search(text)
                bmi = float(value.group(1)) if value else (bmi or 25.0)
            caps += [a for a in money_amounts(text) if a > 0]
        return cls(
            count=len(sentences),
            minor_age=minor,
            elder_age=elder,
            low_income=income,
            bmi=bmi,
            cap=min(caps) if caps else 0.0,
        )

    def hits(self, facts: Mapping[str, float], amount: float) -> dict[str, float]:
        """Which of the rules the user falls under (1/0), and whether the amount passes the cap."""
        age, low, bmi = facts["age"], facts["low_income"], facts["bmi"]
        known = not math.isnan(age)
        return {
            "minor_hit": float(bool(self.minor_age) and known and age < self.minor_age),
            "elder_hit": float(bool(self.elder_age) and known and age >= self.elder_age),
            "income_hit": float(self.low_income and low == 1.0),
            "body_hit": float(bool(self.bmi) and not math.isnan(bmi) and bmi >= self.bmi),
            "over_cap": float(self.cap > 0 and amount > self.cap),
        }
