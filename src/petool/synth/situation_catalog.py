"""The app catalog of a situation suite: real APIs cloned under several invented apps.

ToolSpectrum's setting is several apps offering the *same* API (five shopping apps, each with
its product search). Here one real provider of the corpus (a ToolBench tool with up to three
usable APIs) becomes a *family* of 2–6 invented apps; every app offers the provider's APIs
under ``"<App>.<api>"``, with the real description and parameters, plus the optional
personalized and environmental parameters of its domain (:data:`EXTRA_PARAMS`). Each app
carries one persona trait and one environment trait (distinct within the family), written
into its ``app_description`` after a neutral functional sentence, and, in domains with
rules, zero to two policies (``attributes["policy"]``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from petool.schema import ParamRoles, Tool
from petool.synth.situation_policy import domain_policies, policy_text
from petool.synth.situation_traits import (
    METERED_NETWORKS,
    OFFLINE_NETWORKS,
    Trait,
    domain_traits,
)
from petool.synth.understand import api_part, offline_functionality, scrub

CATEGORY_DOMAINS: dict[str, str] = {
    "eCommerce": "shopping",
    "Payments": "shopping",
    "Reward": "shopping",
    "Logistics": "shopping",
    "Food": "food",
    "Transportation": "rides",
    "Mapping": "rides",
    "Location": "rides",
    "Travel": "travel",
    "Events": "travel",
    "Weather": "travel",
    "News_Media": "news",
    "Media": "news",
    "Social": "news",
    "Video_Images": "media",
    "Music": "media",
    "Movies": "media",
    "Entertainment": "media",
    "Gaming": "media",
    "Health_and_Fitness": "fitness",
    "Medical": "fitness",
    "Sports": "news",
    "Education": "knowledge",
    "Science": "knowledge",
    "Translation": "knowledge",
    "Text_Analysis": "knowledge",
    "Search": "knowledge",
    "Finance": "finance",
    "Financial": "finance",
    "Cryptography": "finance",
}
_NAME_HEADS = (
    "Zi",
    "Lumo",
    "Vera",
    "Koa",
    "Niva",
    "Orbi",
    "Pix",
    "Quill",
    "Rova",
    "Sola",
    "Tiko",
    "Ulla",
    "Vexa",
    "Wren",
    "Yara",
    "Brio",
    "Cobi",
    "Dova",
    "Elo",
    "Fenn",
    "Galo",
    "Hapi",
    "Ivo",
    "Juno",
    "Kiri",
    "Lyra",
    "Mako",
    "Nori",
    "Opal",
    "Pera",
)
_NAME_TAILS: dict[str, tuple[str, ...]] = {
    "shopping": ("Mart", "Cart", "Shop", "Bazaar", "Deals"),
    "food": ("Eats", "Bite", "Kitchen", "Feast", "Dish"),
    "rides": ("Ride", "Go", "Move", "Route", "Transit"),
    "travel": ("Trip", "Voyage", "Stay", "Journey", "Atlas"),
    "news": ("News", "Daily", "Post", "Herald", "Wire"),
    "media": ("Play", "Stream", "Tube", "Beat", "Vision"),
    "fitness": ("Fit", "Pulse", "Gym", "Vital", "Motion"),
    "knowledge": ("Learn", "Wiki", "Scholar", "Answers", "Academy"),
    "finance": ("Pay", "Wealth", "Invest", "Fund", "Coin"),
    "general": ("Hub", "Box", "Kit", "Desk", "Base"),
}
_NEUTRAL = (
    "{app} helps you {job}.",
    "With {app} you can {job}.",
    "{app} is an app to {job}.",
    "Use {app} to {job}.",
)
MAX_APIS = 3
MAX_REQUIRED = 4

Rule = Callable[[Mapping[str, Any], Mapping[str, Any], frozenset[str]], Any]
_LANG = {
    "China": "zh",
    "United States": "en",
    "Canada": "en",
    "United Kingdom": "en",
    "Australia": "en",
    "India": "en",
    "Germany": "de",
    "France": "fr",
    "Spain": "es",
    "Italy": "it",
    "Japan": "ja",
    "Brazil": "pt",
}


def _network_quality(p: Mapping[str, Any], e: Mapping[str, Any], likes: frozenset[str]) -> Any:
    net = e.get("Network Condition")
    if net in OFFLINE_NETWORKS or net in METERED_NETWORKS:
        return "low"
    return "high" if e.get("Device Type") in ("Desktop PC", "Laptop") else None


def _accessibility(p: Mapping[str, Any], e: Mapping[str, Any], likes: frozenset[str]) -> Any:
    config = str(e.get("Special User Configuration", "")).lower()
    return "color_blind" if "color" in config else "captions" if "hearing" in config else None


def _shipping(p: Mapping[str, Any], e: Mapping[str, Any], likes: frozenset[str]) -> Any:
    return "express" if "fast_delivery" in likes else "economy" if "budget" in likes else None


def _battery(p: Mapping[str, Any], e: Mapping[str, Any], likes: frozenset[str]) -> Any:
    return "battery_saver" if int(str(e.get("Battery Level", "80%")).rstrip("%")) <= 20 else None


@dataclass(frozen=True)
class ExtraParam:
    """An optional parameter added to a domain's APIs, and how its value follows the user."""

    name: str
    values: tuple[str, ...]
    role: str  # "personalized" (profile) or "environmental"
    domains: tuple[str, ...]
    description: str
    rule: Rule


EXTRA_PARAMS: tuple[ExtraParam, ...] = (
    ExtraParam(
        "shippingType",
        ("express", "standard", "economy"),
        "personalized",
        ("shopping", "food"),
        "Delivery speed",
        _shipping,
    ),
    ExtraParam(
        "fontSize",
        ("standard", "large"),
        "personalized",
        ("news", "knowledge", "shopping", "general", "fitness"),
        "Text size of the result",
        lambda p, e, likes: "large" if int(p.get("Age", 30)) >= 65 else None,
    ),
    ExtraParam(
        "contentRating",
        ("all_ages", "teen", "adult"),
        "personalized",
        ("media", "news"),
        "Highest content rating to return",
        lambda p, e, likes: "teen" if 13 <= int(p.get("Age", 30)) < 18 else None,
    ),
    ExtraParam(
        "mediaQuality",
        ("high", "standard", "low"),
        "environmental",
        ("media", "news", "knowledge", "travel"),
        "Image and video quality",
        _network_quality,
    ),
    ExtraParam(
        "performanceMode",
        ("standard", "battery_saver"),
        "environmental",
        ("shopping", "food", "rides", "travel", "media", "fitness", "finance", "general"),
        "Power profile of the request",
        _battery,
    ),
    ExtraParam(
        "accessibilityMode",
        ("none", "color_blind", "captions"),
        "environmental",
        ("media", "news", "knowledge", "general", "finance"),
        "Accessibility rendering",
        _accessibility,
    ),
    ExtraParam(
        "language",
        tuple(sorted(set(_LANG.values()))),
        "environmental",
        ("news", "knowledge", "travel"),
        "Language of the result (ISO 639-1)",
        lambda p, e, likes: _LANG.get(str(e.get("Country"))) if e else None,
    ),
)


@dataclass
class App:
    """One invented app of a family: its traits, policies (key, cap) and tools."""

    name: str
    persona: Trait
    environment: Trait
    policies: list[tuple[str, int]]
    tools: list[Tool] = field(default_factory=list)


@dataclass
class Family:
    """The apps cloned from one real provider (same APIs), in one domain and split."""

    id: str
    domain: str
    source: str
    apis: list[str]
    apps: list[App]
    split: str = "train"

    @property
    def tools(self) -> list[Tool]:
        """Every tool of every app."""
        return [t for app in self.apps for t in app.tools]

    def group(self, api: str) -> list[Tool]:
        """The apps' tools for ``api`` (the functional group), in app order."""
        return [t for app in self.apps for t in app.tools if t.name.endswith(f".{api}")]


def _usable(tool: Tool) -> bool:
    if len(tool.required) > MAX_REQUIRED or not tool.description.strip():
        return False
    return offline_functionality(tool) != "use the service"


def providers(tools: Sequence[Tool]) -> list[tuple[str, str, list[Tool]]]:
    """``(provider, domain, usable APIs)`` per provider, in corpus order."""
    by_app: dict[str, list[Tool]] = {}
    for tool in tools:
        if _usable(tool):
            by_app.setdefault(tool.app or tool.name, []).append(tool)
    out = []
    for app, members in by_app.items():
        seen: dict[str, Tool] = {}
        for tool in members:
            key = re.sub(r"[^A-Za-z0-9_]", "_", api_part(tool))
            seen.setdefault(key, tool)
        domain = CATEGORY_DOMAINS.get(members[0].category, "general")
        out.append((app, domain, list(seen.values())[:MAX_APIS]))
    return out


def _schema(tool: Tool, domain: str) -> tuple[dict[str, Any], ParamRoles]:
    props = {k: dict(v) for k, v in tool.properties.items()}
    roles = ParamRoles(required=list(tool.required))
    for extra in EXTRA_PARAMS:
        if domain in extra.domains and extra.name not in props:
            desc = f"{extra.description}. Available values: {list(extra.values)}"
            props[extra.name] = {"type": "string", "enum": list(extra.values), "description": desc}
            getattr(roles, extra.role).append(extra.name)
    params = {"type": "object", "properties": props, "required": list(tool.required)}
    return params, roles


def build_family(
    fid: str,
    provider: str,
    domain: str,
    apis: list[Tool],
    names: list[str],
    rng: random.Random,
    size: int,
) -> Family:
    """A family of ``size`` apps (names from ``names``) cloning ``apis``."""
    personas = domain_traits(domain, "persona")
    environments = domain_traits(domain, "environment")
    size = min(size, len(personas), len(environments), len(names))
    policies = domain_policies(domain)
    job = offline_functionality(apis[0])
    apps = []
    for name, persona, env in zip(
        names[:size], rng.sample(personas, size), rng.sample(environments, size), strict=True
    ):
        chosen = (
            rng.sample(policies, min(len(policies), rng.choice((0, 1, 1, 2)))) if policies else []
        )
        app_policies = [(p.key, rng.choice(p.caps)) for p in chosen]
        texts = [
            policy_text(next(p for p in policies if p.key == k), cap, rng)
            for k, cap in app_policies
        ]
        sentences = [
            rng.choice(_NEUTRAL).format(app=name, job=job),
            rng.choice(persona.app_texts),
            rng.choice(env.app_texts),
        ]
        if rng.random() < 0.5:
            sentences[1], sentences[2] = sentences[2], sentences[1]
        attributes = {"app_description": " ".join(sentences), "policy": texts}
        app = App(name, persona, env, app_policies)
        for api in apis:
            params, roles = _schema(api, domain)
            description = scrub(api.description.strip(), [provider])
            app.tools.append(
                Tool(
                    name=f"{name}.{re.sub(r'[^A-Za-z0-9_]', '_', api_part(api))}",
                    app=name,
                    category=api.category,
                    description=description,
                    functionality=offline_functionality(api),
                    attributes=attributes,
                    parameters=params,
                    param_roles=roles,
                )
            )
        apps.append(app)
    api_names = [t.name.split(".", 1)[1] for t in apps[0].tools]
    return Family(fid, domain, provider, api_names, apps)


def app_names(domain: str, rng: random.Random, taken: set[str], count: int) -> list[str]:
    """``count`` new app names in the style of ``domain`` (unique across the catalog)."""
    out: list[str] = []
    tails = _NAME_TAILS[domain]
    for _ in range(count * 40):
        if len(out) == count:
            break
        name = rng.choice(_NAME_HEADS) + rng.choice(tails)
        if name in taken:
            name = f"{name}{rng.choice(('Plus', 'Pro', 'Lite', 'One', 'Now', 'X'))}"
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def extra_values(
    tool: Tool, profile: Mapping[str, Any], env: Mapping[str, Any], likes: frozenset[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Values of ``tool``'s added parameters for this user: (arguments, personalized, env)."""
    args: dict[str, Any] = {}
    roles = tool.param_roles
    by_name = {e.name: e for e in EXTRA_PARAMS}
    for name in (*roles.personalized, *roles.environmental):
        extra = by_name.get(name)
        if extra is None:
            continue
        side = profile if extra.role == "personalized" else env
        if not side:
            continue
        value = extra.rule(profile, env, likes)
        if value is not None:
            args[name] = value
    personal = [n for n in args if n in roles.personalized]
    environmental = [n for n in args if n in roles.environmental]
    return args, personal, environmental
