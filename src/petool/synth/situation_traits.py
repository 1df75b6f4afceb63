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


def _age(p: Profile) -> int:
    return int(p.get("Age", 30))


def _hour(e: Env) -> int:
    return int(e.get("Time of Day (hour)", 12))


def _battery(e: Env) -> int:
    return int(str(e.get("Battery Level", "80%")).rstrip("%"))


def _set(key: str, values: tuple[Any, ...]) -> Callable[[dict[str, Any], random.Random], None]:
    def make(env: dict[str, Any], rng: random.Random) -> None:
        env[key] = rng.choice(values)

    return make


def _night(env: dict[str, Any], rng: random.Random) -> None:
    env["Time of Day (hour)"] = rng.choice((23, 0, 1, 2, 3, 4))


def _low_battery(env: dict[str, Any], rng: random.Random) -> None:
    env["Battery Level"] = f"{rng.randint(3, 15)}%"


def _door(env: dict[str, Any], rng: random.Random) -> None:
    if rng.random() < 0.6:
        env["Weather"] = rng.choice(BAD_WEATHER)
    else:
        _night(env, rng)


def _transit(env: dict[str, Any], rng: random.Random) -> None:
    env["Weather"] = rng.choice(GOOD_WEATHER)
    env["Time of Day (hour)"] = rng.randint(7, 20)


def _indoor(env: dict[str, Any], rng: random.Random) -> None:
    env["Weather"] = rng.choice((*BAD_WEATHER, "Hot (37°C)", "Heavy smog (AQI 280)"))


def _region(
    region: str,
) -> tuple[Callable[[Env], bool], Callable[[dict[str, Any], random.Random], None]]:
    countries = REGIONS[region]
    return (lambda e: e.get("Country") in countries), _set("Country", countries)


def _special(word: str, values: tuple[str, ...]) -> tuple[Callable[[Env], bool], Any]:
    return (lambda e: word in str(e.get("Special User Configuration", "")).lower()), _set(
        "Special User Configuration", values
    )


PERSONA_TRAITS: tuple[Trait, ...] = (
    Trait(
        "budget",
        "persona",
        ("shopping", "food", "rides", "travel", "media", "fitness", "general"),
        (
            "Known for rock-bottom prices, daily coupons and flash sales.",
            "Everything is discounted: group deals, cashback and members-only prices.",
            "The cheapest option on the market, with price-match guarantees.",
            "Built for bargain hunters: clearance deals and low fees on every order.",
        ),
        (
            "Always compares prices and waits for a discount before paying.",
            "Hunts for coupons and cashback on every purchase.",
            "Picks whatever is cheapest, even if it takes a little longer.",
            "Keeps a tight budget and never pays full price if a deal exists.",
        ),
        implied=lambda p: p.get("Income Level") == "0-5k",
        conflicts=("premium",),
    ),
    Trait(
        "premium",
        "persona",
        ("shopping", "food", "rides", "travel", "fitness"),
        (
            "Offers only authorised premium brands with a quality guarantee.",
            "A high-end service: luxury selections and white-glove support.",
            "Curated premium products; prices are higher but quality is assured.",
            "Focused on top brands, genuine goods and exclusive VIP service.",
        ),
        (
            "Cares about brand and quality far more than price.",
            "Only buys genuine products from well-known premium brands.",
            "Happy to pay extra for a first-class experience.",
            "Prefers luxury and exclusive services over bargains.",
        ),
        implied=lambda p: p.get("Income Level") == ">50k",
        allowed=lambda p: p.get("Income Level") in ("10k-50k", ">50k"),
        conflicts=("budget",),
    ),
    Trait(
        "senior",
        "persona",
        ("shopping", "food", "news", "fitness", "knowledge", "media", "general"),
        (
            "Large fonts, a simple interface and health reminders make it easy for older users.",
            "Designed for seniors: big buttons, voice guidance and family assistance.",
            "An elder-friendly app with a simplified layout and built-in health monitoring.",
            "Popular with retirees thanks to its clear screens and step-by-step help.",
        ),
        (
            "Finds busy screens and small text hard to read.",
            "Wants apps that are simple and easy to follow, with large text.",
            "Asks the grandchildren for help whenever an app gets complicated.",
            "Likes keeping an eye on blood pressure and daily health reminders.",
        ),
        implied=lambda p: _age(p) >= 60,
        allowed=lambda p: _age(p) >= 60,
        conflicts=("youth",),
    ),
    Trait(
        "youth",
        "persona",
        ("shopping", "food", "news", "media", "fitness", "general"),
        (
            "Popular with students and young people for its trendy, social features.",
            "A favourite of Gen Z: memes, short videos and sharing with friends.",
            "Young, fashionable and social; most of its users are under 30.",
            "Trendy picks and campus deals that young users love.",
        ),
        (
            "Likes trendy apps that friends share on social media.",
            "Follows whatever is popular among classmates and friends.",
            "Enjoys fun, social features and sharing everything online.",
            "Always tries the newest, most talked-about apps first.",
        ),
        implied=lambda p: _age(p) <= 25,
        allowed=lambda p: _age(p) <= 30,
        conflicts=("senior",),
    ),
    Trait(
        "female",
        "persona",
        ("shopping", "media", "fitness", "news"),
        (
            "Curated mainly for women: beauty, fashion and women's health.",
            "Its audience is mostly female, with skincare and style content.",
            "A women-focused service with female coaches and creators.",
            "Made for women, from cosmetics to maternity and yoga.",
        ),
        (
            "Mostly browses beauty, skincare and fashion content.",
            "Follows female creators and women's lifestyle channels.",
            "Loves makeup tutorials and seasonal fashion picks.",
            "Prefers services made with women in mind.",
        ),
        implied=lambda p: p.get("Gender") == "Female",
        allowed=lambda p: p.get("Gender") == "Female",
        conflicts=("male",),
    ),
    Trait(
        "male",
        "persona",
        ("shopping", "media", "fitness", "news"),
        (
            "Aimed mainly at men: gadgets, outdoor gear and men's grooming.",
            "Its users are mostly male, with tech, cars and strength training.",
            "A men-focused service with male coaches and reviewers.",
            "Made for men, from razors to power tools and fishing gear.",
        ),
        (
            "Mostly browses gadgets, cars and outdoor gear.",
            "Follows men's fitness and tech review channels.",
            "Loves power tools, fishing trips and car magazines.",
            "Prefers services made with men in mind.",
        ),
        implied=lambda p: p.get("Gender") == "Male",
        allowed=lambda p: p.get("Gender") == "Male",
        conflicts=("female",),
    ),
    Trait(
        "factual_news",
        "persona",
        ("news", "media", "knowledge"),
        (
            "Focuses on serious current affairs, politics and economics from verified sources.",
            "Fact-checked reporting and in-depth analysis of world events.",
            "A no-nonsense feed of breaking news, policy and markets.",
            "Trusted journalism: international affairs and economic reports.",
        ),
        (
            "Reads in-depth, fact-checked reporting on politics and the economy every morning.",
            "Wants reliable current-affairs news, not rumours.",
            "Follows international relations and economic policy closely.",
            "Starts the day with serious headlines from trusted outlets.",
        ),
        conflicts=("gossip",),
    ),
    Trait(
        "gossip",
        "persona",
        ("news", "media"),
        (
            "Celebrity gossip, variety shows and entertainment headlines all day.",
            "The go-to place for showbiz news, idols and viral drama.",
            "Light entertainment: star news, TV dramas and red-carpet photos.",
            "All about celebrities, fandoms and the latest entertainment buzz.",
        ),
        (
            "Can't get enough of celebrity news and variety shows.",
            "Follows idols and every twist of the latest TV drama.",
            "Reads showbiz gossip during every commute.",
            "Loves entertainment news more than politics.",
        ),
        conflicts=("factual_news",),
    ),
    Trait(
        "sports_gaming",
        "persona",
        ("news", "media"),
        (
            "Covers live scores, football leagues, esports and game reviews.",
            "The home of sports highlights and gaming tournaments.",
            "Match results, transfer news and esports streams in one place.",
            "Made for fans: sports data, gaming news and live commentary.",
        ),
        (
            "Never misses a football match or an esports final.",
            "Checks live scores and game patches several times a day.",
            "Plays online games every evening and follows the pro scene.",
            "Follows basketball and gaming tournaments closely.",
        ),
    ),
    Trait(
        "easy_tips",
        "persona",
        ("knowledge", "fitness", "food", "general"),
        (
            "Short, easy lifestyle tips and how-tos in plain language.",
            "Bite-sized everyday advice that anyone can follow.",
            "Simple explanations and quick tips for daily life.",
            "Light, easy reading: life hacks and practical basics.",
        ),
        (
            "Likes quick, practical tips rather than long explanations.",
            "Wants simple answers in everyday language.",
            "Reads life hacks and easy how-to guides in spare minutes.",
            "Prefers light content over technical detail.",
        ),
        conflicts=("expert_qa", "paid_courses"),
    ),
    Trait(
        "expert_qa",
        "persona",
        ("knowledge", "finance", "general"),
        (
            "A community of verified professionals answering specialised questions.",
            "In-depth, technical Q&A with cited sources and expert reviewers.",
            "Specialist knowledge: detailed answers for professional problems.",
            "Deep, rigorous discussions moderated by domain experts.",
        ),
        (
            "Asks detailed technical questions related to work.",
            "Wants rigorous, well-sourced answers from specialists.",
            "Enjoys digging into professional topics in depth.",
            "Reads research-level discussions in the evenings.",
        ),
        allowed=lambda p: _age(p) >= 20,
        conflicts=("easy_tips",),
    ),
    Trait(
        "paid_courses",
        "persona",
        ("knowledge", "fitness", "finance"),
        (
            "Paid, systematic courses taught by industry experts, with certificates.",
            "Premium structured programmes from renowned instructors.",
            "Subscription masterclasses and expert-led learning paths.",
            "Professional paid training with personal mentoring.",
        ),
        (
            "Willing to pay for systematic courses from real experts.",
            "Invests in paid training to advance a career.",
            "Prefers structured, certified programmes over free videos.",
            "Regularly buys expert masterclasses.",
        ),
        allowed=lambda p: p.get("Income Level") in ("10k-50k", ">50k") and _age(p) >= 18,
        conflicts=("easy_tips",),
    ),
    Trait(
        "healthy",
        "persona",
        ("food", "fitness"),
        (
            "Low-calorie, balanced options with full nutrition labels.",
            "Healthy choices first: salads, whole grains and light meals.",
            "Every item shows calories, sugar and fat, for mindful eaters.",
            "Built around nutrition plans and clean eating.",
        ),
        (
            "Counts calories and prefers light, healthy meals.",
            "Checks the nutrition label before choosing anything.",
            "Is trying to eat clean and cut down on sugar.",
            "Plans meals carefully to stay healthy.",
        ),
    ),
    Trait(
        "fast_delivery",
        "persona",
        ("shopping", "food"),
        (
            "Same-day delivery and an express courier network.",
            "Lightning-fast delivery, usually within the hour.",
            "Known for the quickest shipping anywhere in the city.",
            "Express fulfilment: order now, receive it today.",
        ),
        (
            "Hates waiting and wants things delivered the same day.",
            "Always picks the fastest shipping option.",
            "Needs orders to arrive quickly because of a busy schedule.",
            "Gets impatient when a delivery takes more than a day.",
        ),
    ),
)

_door_holds: Callable[[Env], bool] = lambda e: (  # noqa: E731
    e.get("Weather") in BAD_WEATHER or _hour(e) >= 22 or _hour(e) <= 5
)
_transit_holds: Callable[[Env], bool] = lambda e: (  # noqa: E731
    e.get("Weather") in GOOD_WEATHER and 7 <= _hour(e) <= 20
)
_cb_holds, _cb_make = _special("color", ("Color blindness mode on", "Red-green color blindness"))
_hi_holds, _hi_make = _special("hearing", ("Hearing impaired, captions on", "Hearing aid mode"))

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
        make=_set("Network Condition", OFFLINE_NETWORKS),
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
        make=_set("Network Condition", METERED_NETWORKS),
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
        env_holds=lambda e: _battery(e) <= 15,
        make=_low_battery,
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
        make=_set("Device Type", DESKTOP_DEVICES),
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
        make=_set("Device Type", ("Smartphone",)),
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
        make=_door,
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
        make=_transit,
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
        env_holds=lambda e: _hour(e) >= 23 or _hour(e) <= 4,
        make=_night,
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
        make=_indoor,
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
        env_holds=_region(region)[0],
        make=_region(region)[1],
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
