"""The instructions stage: calls with valid arguments and the requests that ask for them.

:func:`draft_call` fills a call of one tool: required parameters get values valid for the
schema (:func:`petool.synth.values.sample_value`) that the request states; parameters named
like a profile habit take the user's value (PTBench-style profile parameters, left out of the
request); coordinates come from the environment when the suite has one (ToolSpectrum-style
environment factors, also left out); now and then an optional parameter is stated too. The
draft request is a template over a functionality ("I want to get ... for city Paris.") that
names neither the tool nor its provider: the planner passes the words of any member of the
tool's functional group (``voice``), so that the wording does not point at the member that
is called, and :func:`paraphrase` often says the job in other words than the documentation's.

With an LLM, :func:`rewrite_request` asks for a natural request stating exactly the same
values; an answer that drops a value or names a tool is asked again and finally replaced by
the draft.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from petool.schema import Tool, ToolCall
from petool.synth.llm import LLMRequest
from petool.synth.plan import PlannedCall
from petool.synth.values import (
    environment_key,
    habits,
    mask_values,
    name_words,
    profile_key,
    render_value,
    sample_value,
)

TEMPLATES = (
    "I want to {act}{args}.",
    "Please {act}{args}.",
    "Could you {act}{args}?",
    "Help me {act}{args}.",
    "I need to {act}{args}.",
    "I'd like to {act}{args}.",
)
OPTIONAL_RATE = 0.15
MAX_OPTIONAL = 2
PARAPHRASE_RATE = 0.6
# What users say instead of the documentation's words (the first verb and common nouns): a
# request that echoes the tool's own text makes relevance look easier than it is in real
# requests, which are written in the user's words.
VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    "get": ("find out", "look up", "see", "know", "pull up", "check"),
    "list": ("see all", "show me", "browse", "go through"),
    "search": ("look for", "find", "hunt for"),
    "find": ("look for", "track down", "locate"),
    "check": ("verify", "see", "find out"),
    "create": ("make", "set up", "add"),
    "delete": ("remove", "get rid of", "erase"),
    "update": ("change", "modify", "edit"),
    "send": ("deliver", "dispatch", "forward"),
    "generate": ("make", "produce", "come up with"),
    "calculate": ("work out", "figure out", "compute"),
    "convert": ("change", "turn", "switch"),
    "translate": ("render", "convert"),
    "validate": ("check", "verify", "confirm"),
    "verify": ("check", "confirm", "make sure of"),
    "download": ("save", "grab", "fetch"),
    "book": ("reserve", "arrange"),
    "buy": ("purchase", "order", "pick up"),
    "order": ("buy", "get"),
    "show": ("display", "let me see", "bring up"),
    "track": ("follow", "keep an eye on", "monitor"),
    "analyze": ("examine", "look into", "study"),
    "detect": ("spot", "identify", "recognize"),
    "extract": ("pull out", "take out", "get"),
    "recommend": ("suggest", "propose"),
    "compare": ("weigh", "contrast"),
    "schedule": ("plan", "arrange", "set"),
    "cancel": ("call off", "stop", "drop"),
    "pay": ("settle", "cover"),
    "transfer": ("move", "send"),
    "retrieve": ("get back", "fetch", "look up"),
}
NOUN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "information": ("info", "details"),
    "details": ("info", "particulars"),
    "data": ("figures", "numbers", "info"),
    "list": ("overview", "rundown"),
    "user": ("account", "person"),
    "location": ("place", "spot"),
    "price": ("cost",),
    "prices": ("costs",),
    "image": ("picture", "photo"),
    "images": ("pictures", "photos"),
    "text": ("wording", "words"),
    "results": ("matches", "hits"),
    "current": ("latest", "present"),
    "specific": ("particular", "given"),
    "specified": ("given", "chosen"),
    "detailed": ("full", "in-depth"),
    "available": ("existing", "offered"),
}


def _value_text(value: Any) -> str:
    text = render_value(value)
    return f'"{text}"' if isinstance(value, str) and (" " in text or "," in text) else text


def _clause(args: Sequence[tuple[str, Any]]) -> str:
    parts = [f"{' '.join(name_words(n)) or n} {_value_text(v)}" for n, v in args]
    if not parts:
        return ""
    if len(parts) == 1:
        return f" with {parts[0]}"
    return " with " + ", ".join(parts[:-1]) + " and " + parts[-1]


def paraphrase(act: str, rng: random.Random) -> str:
    """``act`` in other words: its first verb and some common nouns replaced by synonyms.

    Only whole lower-case words are replaced; values are not part of ``act``. With
    probability :data:`PARAPHRASE_RATE` (else ``act`` unchanged), so that requests that echo
    the documentation stay part of the mix.
    """
    if rng.random() >= PARAPHRASE_RATE:
        return act
    words = act.split()
    if words and words[0] in VERB_SYNONYMS:
        words[0] = rng.choice(VERB_SYNONYMS[words[0]])
    for i in range(1, len(words)):
        options = NOUN_SYNONYMS.get(words[i])
        if options and rng.random() < 0.5:
            words[i] = rng.choice(options)
    return " ".join(words)


def render_request(
    functionality: str, stated: Sequence[tuple[str, Any]], rng: random.Random
) -> str:
    """A template request for ``functionality`` (often in other words, :func:`paraphrase`)
    stating the ``(parameter, value)`` pairs."""
    act = functionality.strip().rstrip(".") or "use the service"
    act = paraphrase(act[:1].lower() + act[1:], rng)
    return rng.choice(TEMPLATES).format(act=act, args=_clause(stated))


def _profile_value(name: str, schema: Mapping[str, Any], profile: Mapping[str, Any]) -> Any:
    key = profile_key(name)
    value = habits(dict(profile)).get(key) if key else None
    if value is None or (isinstance(schema.get("enum"), list) and value not in schema["enum"]):
        return None
    if schema.get("type", "string") != "string":
        return None
    return value


def _environment_value(name: str, environment: Mapping[str, Any] | None) -> Any:
    key = environment_key(name)
    location = (environment or {}).get("location")
    if key is None or not isinstance(location, dict):
        return None
    return location.get(key)


def draft_call(
    tool: Tool,
    profile: Mapping[str, Any],
    environment: Mapping[str, Any] | None,
    rng: random.Random,
    *,
    profile_params: bool = True,
    voice: str | None = None,
) -> PlannedCall:
    """A call of ``tool`` for this user and its draft request (see the module docstring).

    Args:
        tool: the tool to call (``functionality`` set).
        profile: the user's profile (habits for profile parameters).
        environment: the task's environment (None for past calls: coordinates from home).
        rng: the generator.
        profile_params: fill profile parameters from the profile and leave them unsaid.
        voice: the functionality text the request says the job in (default the tool's own);
            a group's planner passes any member's, so that the request does not lean towards
            the tool that is called (the user says what they want done, not by whom).
    """
    required = tool.required
    args: dict[str, Any] = {}
    stated: list[tuple[str, Any]] = []
    from_profile: list[str] = []
    from_environment: list[str] = []
    n_optional = 0
    for name, schema in tool.properties.items():
        is_required = name in required
        value = _environment_value(name, environment) if environment else None
        if value is not None and schema.get("type") in ("number", "string", None):
            args[name] = value if schema.get("type") != "string" else render_value(value)
            from_environment.append(name)
            continue
        value = _profile_value(name, schema, profile) if profile_params else None
        if value is not None:
            args[name] = value
            from_profile.append(name)
            continue
        optional_pick = (
            not is_required and n_optional < MAX_OPTIONAL and rng.random() < OPTIONAL_RATE
        )
        n_optional += optional_pick
        if is_required or optional_pick:
            args[name] = sample_value(name, schema, rng)
            stated.append((name, args[name]))
    ordered = {n: args[n] for n in tool.properties if n in args}
    instruction = render_request(voice or tool.functionality, stated, rng)
    return PlannedCall(
        instruction=instruction,
        call=ToolCall(tool=tool.name, app=tool.app, arguments=ordered),
        query_params=[n for n, _ in stated],
        profile_params=from_profile,
        environment_params=from_environment,
    )


def stated_values(call: ToolCall, query_params: Sequence[str]) -> dict[str, Any]:
    """The values a request must state: the query parameters' values (booleans excepted)."""
    return {
        n: call.arguments[n]
        for n in query_params
        if n in call.arguments and not isinstance(call.arguments[n], bool | dict)
    }


def missing_values(instruction: str, values: Mapping[str, Any]) -> list[str]:
    """Parameters whose value does not appear in the instruction (case-insensitive)."""
    low = instruction.lower()
    missing = []
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        if any(render_value(v).lower() not in low for v in items):
            missing.append(name)
    return missing


# --------------------------------------------------------------------------- with an LLM

REWRITE_SYSTEM = (
    "You write what a user types to an assistant that calls tools. Given what the request "
    "is for and the exact values it must contain, write one natural, concise request in the "
    "first person. Every value must appear exactly as given. Do not mention any tool, app, "
    "provider or API name, nor the names in 'forbidden', nor which service the user prefers. "
    'Answer with one JSON object and nothing else: {"instruction": "<the request>"}'
)


def rewrite_request(
    key: str, functionality: str, values: Mapping[str, Any], draft: str, forbidden: Sequence[str]
) -> LLMRequest:
    """The LLM request that writes a natural request for a drafted call."""
    payload = {
        "id": key,
        "purpose": functionality,
        "values": {n: render_value(v) for n, v in values.items()},
        "draft": draft,
        "forbidden": list(forbidden),
    }
    return LLMRequest(
        key=key,
        system=REWRITE_SYSTEM,
        intro="Write the user's request.",
        payload=payload,
    )


def parse_rewrite(values: Mapping[str, Any], forbidden: Sequence[str]) -> Any:
    """A parser of the rewritten request: checks the values and the forbidden names."""
    patterns = [re.compile(rf"(?<![a-z0-9]){re.escape(f.lower())}(?![a-z0-9])") for f in forbidden]

    def parse(answer: dict[str, Any]) -> str:
        text = answer.get("instruction")
        if not isinstance(text, str) or not 3 <= len(text.strip()) <= 600:
            raise ValueError("'instruction' must be a request of 3-600 characters")
        text = " ".join(text.split())
        missing = missing_values(text, values)
        if missing:
            raise ValueError(f"the request lacks the value of {missing[0]}")
        low = mask_values(text, values.values())
        if any(p.search(low) for p in patterns):
            raise ValueError("the request names a tool")
        return text

    return parse
