"""The non-functional traits of apps that make a user prefer one of several same-job apps.

A :class:`Trait` is written twice: on the app side (``app_texts``, sentences for the app's
``app_description``) and on the user side (``cues``, sentences for the persona's
``Preferences``; environment traits are read from the environment's fields instead). Whether
a trait *holds* for a user is decided here, by :func:`holds`, from the user's stated likes,
profile and environment; the generator (:mod:`petool.synth.situations`) gives the gold app a
trait that holds and the other apps of the group traits that do not, so every task has one
best app by construction.

Persona traits hold when the user states the cue (``likes``) or, for the demographic ones,
when the profile implies them (age, gender, income); environment traits hold when the
environment's fields say so (network, battery, device, weather, hour, country, special
configuration). All texts are petool's own.
"""

from __future__ import annotations

from collections.abc import Callable

from petool.synth.situation_base import (
    ALL,
    BAD_WEATHER,
    DESKTOP_DEVICES,
    GOOD_NETWORKS,
    GOOD_WEATHER,
    METERED_NETWORKS,
    OFFLINE_NETWORKS,
    OTHER_DEVICES,
    OTHER_WEATHER,
    REGION_NAMES,
    REGIONS,
    Env,
    Profile,
    Trait,
    battery_of,
    hour_of,
    make_door,
    make_indoor,
    make_low_battery,
    make_night,
    make_transit,
    region_rule,
    set_field,
    special_rule,
)
from petool.synth.situation_persona import PERSONA_TRAITS

__all__ = [
    "BAD_WEATHER",
    "DESKTOP_DEVICES",
    "ENVIRONMENT_TRAITS",
    "GOOD_NETWORKS",
    "GOOD_WEATHER",
    "METERED_NETWORKS",
    "OFFLINE_NETWORKS",
    "OTHER_DEVICES",
    "OTHER_WEATHER",
    "PERSONA_TRAITS",
    "REGIONS",
    "TRAITS",
    "Trait",
    "can_state",
    "domain_traits",
    "holds",
]

_door_holds: Callable[[Env], bool] = lambda e: (  # noqa: E731
    e.get("Weather") in BAD_WEATHER or hour_of(e) >= 22 or hour_of(e) <= 5
)
_transit_holds: Callable[[Env], bool] = lambda e: (  # noqa: E731
    e.get("Weather") in GOOD_WEATHER and 7 <= hour_of(e) <= 20
)
_cb_holds, _cb_make = special_rule(
    "color", ("Color blindness mode on", "Red-green color blindness")
)
_hi_holds, _hi_make = special_rule("hearing", ("Hearing impaired, captions on", "Hearing aid mode"))

ENVIRONMENT_TRAITS: tuple[Trait, ...] = (
    Trait(
        "offline",
        "environment",
        ("media", "knowledge", "news", "travel", "rides", "general", "fitness"),
        (
            "Supports offline downloads and caching, so it works without a connection.",
            "Save content for later: everything stays available in airplane mode.",
            "Offline-first: maps, articles and media are cached on the device.",
            "Keeps working with no signal thanks to local caching.",
        ),
        env_holds=lambda e: e.get("Network Condition") in OFFLINE_NETWORKS,
        make=set_field("Network Condition", OFFLINE_NETWORKS),
    ),
    Trait(
        "data_saver",
        "environment",
        ("media", "news", "shopping", "general", "food"),
        (
            "A data-saver mode compresses images and video on metered connections.",
            "Uses very little mobile data; ideal when roaming or on a small plan.",
            "Lite pages and low-bandwidth streaming keep data costs down.",
            "Optimised for limited data plans and expensive roaming.",
        ),
        env_holds=lambda e: e.get("Network Condition") in METERED_NETWORKS,
        make=set_field("Network Condition", METERED_NETWORKS),
    ),
    Trait(
        "lightweight",
        "environment",
        ALL,
        (
            "A lightweight app with a low-power mode that barely drains the battery.",
            "Tiny and power-efficient: runs for hours on a nearly empty battery.",
            "Battery-friendly design with a dark, low-energy interface.",
            "Uses minimal power and memory, even on old phones.",
        ),
        env_holds=lambda e: battery_of(e) <= 15,
        make=make_low_battery,
    ),
    Trait(
        "desktop",
        "environment",
        ("knowledge", "finance", "media", "shopping", "general", "travel", "news"),
        (
            "Optimised for large screens: a full desktop and laptop experience.",
            "Best on a computer, with multi-window layouts and keyboard shortcuts.",
            "A desktop-class interface built for big monitors.",
            "Designed for PCs and laptops, with detailed wide-screen views.",
        ),
        env_holds=lambda e: e.get("Device Type") in DESKTOP_DEVICES,
        make=set_field("Device Type", DESKTOP_DEVICES),
    ),
    Trait(
        "mobile_first",
        "environment",
        ("shopping", "food", "media", "news", "rides", "general"),
        (
            "Built mobile-first for quick one-handed use on a smartphone.",
            "A phone-only app with swipe gestures and a compact layout.",
            "Made for smartphones: fast, vertical and thumb-friendly.",
            "Designed around the phone screen, not the desktop.",
        ),
        env_holds=lambda e: e.get("Device Type") == "Smartphone",
        make=set_field("Device Type", ("Smartphone",)),
    ),
    Trait(
        "door_to_door",
        "environment",
        ("rides", "travel", "food"),
        (
            "Door-to-door service: a car picks you up right where you are.",
            "Private car rides straight from your doorstep, whatever the weather.",
            "Point-to-point pickups, no walking to a station.",
            "Comes to your door, day or night, rain or snow.",
        ),
        env_holds=_door_holds,
        make=make_door,
    ),
    Trait(
        "transit",
        "environment",
        ("rides", "travel"),
        (
            "Public transit: metro, bus and shared bikes with live timetables.",
            "Plans routes by subway and bus, the greenest way across town.",
            "Buy metro and bus tickets and walk the last few hundred metres.",
            "Combines public transport and walking for pleasant-weather trips.",
        ),
        env_holds=_transit_holds,
        make=make_transit,
    ),
    Trait(
        "night_service",
        "environment",
        ("food", "shopping", "rides", "fitness", "general", "media"),
        (
            "Open 24 hours, with late-night service and support.",
            "Round-the-clock operation, even in the small hours.",
            "Never closes: night owls are served at 3 a.m.",
            "24/7 availability with overnight staff.",
        ),
        env_holds=lambda e: hour_of(e) >= 23 or hour_of(e) <= 4,
        make=make_night,
    ),
    Trait(
        "indoor",
        "environment",
        ("fitness",),
        (
            "Indoor home workouts that need no equipment and no trip outside.",
            "Living-room training plans for days you can't go out.",
            "Stay-at-home fitness classes streamed live.",
            "Workouts designed for small indoor spaces.",
        ),
        env_holds=lambda e: (
            e.get("Weather") in (*BAD_WEATHER, "Hot (37°C)", "Heavy smog (AQI 280)")
        ),
        make=make_indoor,
    ),
    Trait(
        "colorblind",
        "environment",
        ALL,
        (
            "Offers a color-blind friendly palette and a high-contrast mode.",
            "Accessible colours: charts and buttons readable with color blindness.",
            "Certified for color-vision deficiency, with patterns instead of colours.",
            "Adjustable colour filters for users with color blindness.",
        ),
        env_holds=_cb_holds,
        make=_cb_make,
    ),
    Trait(
        "hearing",
        "environment",
        ("media", "news", "knowledge", "fitness", "rides", "general"),
        (
            "Full captions, sign-language clips and visual alerts for hearing-impaired users.",
            "Everything is subtitled, with vibration instead of sound cues.",
            "Accessible for deaf and hard-of-hearing users: captions everywhere.",
            "Visual notifications and transcripts replace audio.",
        ),
        env_holds=_hi_holds,
        make=_hi_make,
    ),
)

REGION_TRAITS: tuple[Trait, ...] = tuple(
    Trait(
        f"region_{region}",
        "environment",
        ALL,
        (
            f"Operates mainly in {REGION_NAMES[region]}, with local payment and support.",
            f"Its service area is {REGION_NAMES[region]}; elsewhere it is unavailable.",
            f"A local favourite in {REGION_NAMES[region]}, with regional content.",
            f"Covers {REGION_NAMES[region]} best, with local partners and prices.",
        ),
        env_holds=region_rule(region)[0],
        make=region_rule(region)[1],
    )
    for region in REGIONS
)

TRAITS: dict[str, Trait] = {
    t.key: t for t in (*PERSONA_TRAITS, *ENVIRONMENT_TRAITS, *REGION_TRAITS)
}


def domain_traits(domain: str, side: str) -> list[Trait]:
    """The traits of ``side`` that apps of ``domain`` can carry."""
    return [t for t in TRAITS.values() if t.side == side and domain in t.domains]


def holds(trait: Trait, likes: frozenset[str] | set[str], profile: Profile, env: Env) -> bool:
    """Whether ``trait`` makes an app fit this user (empty profile/env: its side is unknown)."""
    if trait.side == "persona":
        if not profile:
            return False
        return trait.key in likes or bool(trait.implied and trait.implied(profile))
    return bool(env) and bool(trait.env_holds and trait.env_holds(env))


def can_state(trait: Trait, profile: Profile, likes: set[str]) -> bool:
    """Whether a user with ``profile`` and ``likes`` may state ``trait`` as a preference."""
    if trait.allowed is not None and not trait.allowed(profile):
        return False
    return not any(c in likes for c in trait.conflicts)
