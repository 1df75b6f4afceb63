"""Users of the situation suites: profiles and environments in ToolSpectrum's field names.

A profile has ``Gender``, ``Age`` (12–80), ``Height (cm)``, ``Weight (kg)`` (spread so that
BMIs from about 17 to 38 occur), ``Profession`` and ``Education Background`` consistent with the
age, ``Income Level`` (``0-5k``, ``5k-10k``, ``10k-50k``, ``>50k``) and ``Preferences``: one to
three sentences, the decisive cue among irrelevant habits. An environment has ``Weather``,
``Time of Day (hour)``, ``Location``, ``Country``, ``Date``, ``Network Condition``, ``Device
Type``, ``Battery Level`` and ``Special User Configuration``. All values are petool's own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from petool.synth.situation_catalog import App, Family
from petool.synth.situation_traits import (
    BAD_WEATHER,
    DESKTOP_DEVICES,
    GOOD_NETWORKS,
    GOOD_WEATHER,
    METERED_NETWORKS,
    OFFLINE_NETWORKS,
    OTHER_DEVICES,
    OTHER_WEATHER,
    REGIONS,
    TRAITS,
    can_state,
    holds,
)

INCOMES = ("0-5k", "5k-10k", "10k-50k", ">50k")
_STUDENT_JOBS = ("Middle school student", "High school student")
_ADULT_JOBS = (
    ("Software engineer", ("5k-10k", "10k-50k", ">50k"), "Bachelor's degree"),
    ("Nurse", ("5k-10k", "10k-50k"), "Associate degree"),
    ("Delivery rider", ("0-5k", "5k-10k"), "High school"),
    ("Primary school teacher", ("5k-10k", "10k-50k"), "Bachelor's degree"),
    ("University researcher", ("10k-50k",), "PhD"),
    ("Investment banker", ("10k-50k", ">50k"), "Master's degree"),
    ("Restaurant cook", ("0-5k", "5k-10k"), "Vocational school"),
    ("Graphic designer", ("5k-10k", "10k-50k"), "Bachelor's degree"),
    ("Small business owner", ("10k-50k", ">50k"), "High school"),
    ("Factory worker", ("0-5k", "5k-10k"), "Middle school"),
    ("Doctor", ("10k-50k", ">50k"), "Medical doctorate"),
    ("Freelance writer", ("0-5k", "5k-10k", "10k-50k"), "Bachelor's degree"),
    ("Sales manager", ("10k-50k",), "Bachelor's degree"),
    ("Cashier", ("0-5k",), "High school"),
    ("Lawyer", ("10k-50k", ">50k"), "Master's degree"),
)
_COLLEGE: tuple[str, tuple[str, ...], str] = (
    "Undergraduate student",
    ("0-5k",),
    "Studying for a bachelor's degree",
)
_RETIRED = (
    ("Retired teacher", ("5k-10k",), "Bachelor's degree"),
    ("Retired factory worker", ("0-5k",), "Middle school"),
    ("Retired engineer", ("5k-10k", "10k-50k"), "Bachelor's degree"),
    ("Retired civil servant", ("5k-10k", "10k-50k"), "Associate degree"),
)
IRRELEVANT_HABITS = (
    "Enjoys cooking at home on weekends.",
    "Walks the dog every evening.",
    "Reads a few pages of a novel before bed.",
    "Keeps a small balcony garden.",
    "Goes to the cinema about once a month.",
    "Likes listening to podcasts while commuting.",
    "Plays board games with friends on Fridays.",
    "Visits family during every public holiday.",
    "Takes lots of photos when travelling.",
    "Drinks a cup of green tea every afternoon.",
    "Prefers to do chores early in the morning.",
    "Practises calligraphy now and then.",
)
_CITIES: dict[str, tuple[str, ...]] = {
    "China": ("Beijing", "Shanghai", "Chengdu", "Hangzhou", "Wuhan", "Shenzhen"),
    "United States": ("New York", "Chicago", "Austin", "Seattle"),
    "Canada": ("Toronto", "Vancouver"),
    "Germany": ("Berlin", "Munich"),
    "France": ("Paris", "Lyon"),
    "Spain": ("Madrid", "Barcelona"),
    "Italy": ("Rome", "Milan"),
    "United Kingdom": ("London", "Manchester"),
    "Japan": ("Tokyo", "Osaka"),
    "India": ("Mumbai", "Bangalore"),
    "Brazil": ("São Paulo", "Rio de Janeiro"),
    "Australia": ("Sydney", "Melbourne"),
}
_SPOTS = (
    "at home",
    "in the office",
    "downtown, 2 km from the nearest subway station",
    "in a suburban residential area",
    "at the airport",
    "in a shopping mall",
    "on a university campus",
    "in a park",
    "on a highway service area",
)
_CONFIGS = (
    "None",
    "None",
    "None",
    "None",
    "Do-not-disturb mode",
    "Parental controls off",
    "Dark mode",
    "Location sharing off",
)


def sample_profile(rng: random.Random, age: int | None = None) -> dict[str, Any]:
    """A plausible profile (without ``Preferences``; the generator adds them)."""
    age = (
        age
        if age is not None
        else rng.choice(
            (
                rng.randint(12, 17),
                rng.randint(18, 30),
                rng.randint(18, 59),
                rng.randint(31, 59),
                rng.randint(60, 80),
            )
        )
    )
    gender = rng.choice(("Female", "Male"))
    base = 162 if gender == "Female" else 174
    height = base + rng.randint(-10, 12) - (12 if age <= 14 else 0)
    bmi = rng.choice(
        (
            rng.uniform(17.5, 24.5),
            rng.uniform(17.5, 24.5),
            rng.uniform(25, 29.5),
            rng.uniform(28.5, 38),
        )
    )
    weight = round(bmi * (height / 100) ** 2)
    if age < 18:
        profession, income, education = rng.choice(_STUDENT_JOBS), "0-5k", "Middle school"
        if age >= 15:
            education = "High school (in progress)"
    elif age <= 22 and rng.random() < 0.6:
        profession, incomes, education = _COLLEGE
        income = rng.choice(incomes)
    elif age >= 62:
        profession, incomes, education = rng.choice(_RETIRED)
        income = rng.choice(incomes)
    else:
        profession, incomes, education = rng.choice(_ADULT_JOBS)
        income = rng.choice(incomes)
    return {
        "Gender": gender,
        "Age": age,
        "Height (cm)": height,
        "Weight (kg)": weight,
        "Profession": profession,
        "Income Level": income,
        "Education Background": education,
    }


def sample_environment(rng: random.Random) -> dict[str, Any]:
    """A plausible environment, mostly ordinary (good network, charged phone, no settings)."""
    country = rng.choice(
        (
            *(c for cs in REGIONS.values() for c in cs),
            "India",
            "Brazil",
            "Australia",
            "China",
            "China",
        )
    )
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
    network = rng.choice(
        (
            *GOOD_NETWORKS,
            *GOOD_NETWORKS,
            "4G, good signal",
            rng.choice((*OFFLINE_NETWORKS, *METERED_NETWORKS)),
        )
    )
    device = rng.choice(("Smartphone", "Smartphone", *DESKTOP_DEVICES, *OTHER_DEVICES))
    weather = rng.choice((*GOOD_WEATHER, *OTHER_WEATHER, rng.choice(BAD_WEATHER)))
    return {
        "Weather": weather,
        "Time of Day (hour)": rng.randint(6, 22),
        "Location": f"{rng.choice(_CITIES[country])}, {rng.choice(_SPOTS)}",
        "Country": country,
        "Date": day.isoformat(),
        "Network Condition": network,
        "Device Type": device,
        "Battery Level": f"{rng.choice((rng.randint(20, 100), rng.randint(40, 100)))}%",
        "Special User Configuration": rng.choice(_CONFIGS),
    }


def relocate(env: dict[str, Any], rng: random.Random) -> None:
    """Make ``Location`` name a city of ``Country`` again (after a trait changed the country)."""
    cities = _CITIES.get(str(env.get("Country")), ("the city centre",))
    spot = str(env.get("Location", "")).split(", ", 1)[-1] or "at home"
    env["Location"] = f"{rng.choice(cities)}, {spot}"


def preference_text(cues: list[str], rng: random.Random, extra: int) -> str:
    """``Preferences``: the given cue sentences among ``extra`` irrelevant habits, shuffled."""
    sentences = [*cues, *rng.sample(IRRELEVANT_HABITS, extra)]
    rng.shuffle(sentences)
    return " ".join(sentences)


@dataclass
class SituationUser:
    """A drawn user: stated likes (trait keys), profile and environment (either may be empty)."""

    likes: set[str]
    profile: dict[str, Any]
    env: dict[str, Any]

    def fits(self, app: App) -> int:
        """How many of ``app``'s two traits hold for this user."""
        likes = frozenset(self.likes)
        return sum(holds(t, likes, self.profile, self.env) for t in (app.persona, app.environment))


def give_persona(
    user: SituationUser, gold: App, rng: random.Random, extra_like: str | None
) -> str | None:
    """Give ``user`` the gold app's persona cue (and maybe a second one); the cue sentences."""
    trait = gold.persona
    if not can_state(trait, user.profile, user.likes):
        return None
    user.likes.add(trait.key)
    cues = [rng.choice(trait.cues)]
    if extra_like and can_state(TRAITS[extra_like], user.profile, user.likes):
        user.likes.add(extra_like)
        cues.append(rng.choice(TRAITS[extra_like].cues))
    return " ".join(cues)


def draw_user(
    scenario: str, family: Family, gold: App, rng: random.Random, profile: dict[str, Any] | None
) -> SituationUser | None:
    """A user for whom ``gold`` is the one best app of the family (None: this draw failed)."""
    user = SituationUser(set(), {}, {})
    others = [a for a in family.apps if a is not gold]
    cue = ""
    if scenario != "environment":
        if profile is not None:
            user.profile = dict(profile)
        else:  # a few draws until the gold app's persona trait fits the profile (age, income)
            for _ in range(6):
                user.profile = sample_profile(rng)
                if can_state(gold.persona, user.profile, set()):
                    break
        extra = None
        if scenario == "persona_environment" and others and rng.random() < 0.5:
            extra = rng.choice(others).persona.key  # a rival fitting the persona only
        stated = give_persona(user, gold, rng, extra)
        if stated is None:
            return None
        cue = stated
    if scenario != "persona":
        user.env = sample_environment(rng)
        if gold.environment.make:
            gold.environment.make(user.env, rng)
        if scenario == "persona_environment" and others and rng.random() < 0.5:
            rival = rng.choice(others).environment
            if rival.make:
                rival.make(user.env, rng)
        relocate(user.env, rng)
    best = 2 if scenario == "persona_environment" else 1
    if user.fits(gold) != best or any(user.fits(a) >= best for a in others):
        return None
    if user.profile:
        user.profile["Preferences"] = preference_text([cue], rng, rng.choice((0, 1, 1, 2)))
    return user


def restricted_profile(policy_key: str, rng: random.Random) -> dict[str, Any]:
    """A profile the rule ``policy_key`` restricts."""
    if policy_key.startswith("minor"):
        return sample_profile(rng, age=rng.randint(12, 17))
    if policy_key == "elderly_exercise":
        return sample_profile(rng, age=rng.randint(60, 80))
    profile = sample_profile(rng, age=rng.randint(19, 58))
    if policy_key.startswith("low_income"):
        profile["Income Level"] = "0-5k"
    else:  # a BMI rule: 31-37
        height = profile["Height (cm)"] / 100
        profile["Weight (kg)"] = round(rng.uniform(31, 37) * height * height)
    return profile
