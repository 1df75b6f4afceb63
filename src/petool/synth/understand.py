"""Tool understanding: what each tool does (functionality) and, apart, how (attributes).

The functionality is one imperative phrase ("get the current weather for a city") without
the provider's name; the non-functional attributes are one short phrase per dimension of
:data:`petool.synth.attributes.DIMENSIONS` (cost, latency, accuracy, ads, privacy, coverage,
rate limit, freshness, reliability), the things user preferences are about.

Offline (``--backend template``) both come from the documentation text: the functionality
from the API's description (or its name), the attributes from cues in the provider's name
and descriptions ("free", "real-time", "worldwide", "demo", ...). Real documentation rarely
states price or latency, so a dimension without a cue gets a level drawn from a hash of the
provider's name: stable, the same for all of a provider's APIs, and different between
providers, which is what makes a choice between them well defined. With an LLM both come
from the model's reading of the same documentation (:func:`understanding_request`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from petool.schema import ParamRoles, Tool
from petool.synth.attributes import (
    DIMENSION_BY_NAME,
    DIMENSION_NAMES,
    DIMENSIONS,
    offline_attributes,
)
from petool.synth.llm import LLMRequest
from petool.synth.values import environment_key, name_words, profile_key

_VERB_FORMS = {
    "returns": "get", "retrieves": "get", "fetches": "get", "provides": "get", "gives": "get",
    "gets": "get", "obtains": "get", "return": "get", "retrieve": "get", "fetch": "get",
    "provide": "get", "displays": "show", "shows": "show",
}  # fmt: skip
_VERBS = frozenset((
    "get", "list", "search", "find", "check", "convert", "create", "delete", "update", "send",
    "generate", "calculate", "translate", "validate", "verify", "download", "upload", "add",
    "remove", "post", "detect", "analyze", "analyse", "extract", "look", "track", "book",
    "cancel", "compare", "count", "predict", "recognize", "summarize", "parse", "scrape",
    "shorten", "subscribe", "login", "logout", "register", "estimate", "query", "show",
    "lookup", "read", "write", "set", "reset", "change", "edit", "identify", "classify",
    "resolve", "play", "stream", "compute", "measure", "monitor", "schedule", "order", "buy",
    "sell", "pay", "transfer", "reverse", "geocode", "encode", "decode", "format", "render",
    "capture", "solve", "rank", "recommend", "fetch", "match", "filter", "sort", "retrieve",
    "explore", "discover", "browse", "authenticate", "sign", "start", "stop", "obtain", "map",
    "plan", "screen", "scan", "test",
))  # fmt: skip
_LEAD = re.compile(
    r"^(this|the)\s+(end ?point|api|method|function|service|tool|route)\s+"
    r"(will\s+|can\s+|is used to\s+|allows you to\s+|lets you\s+)?",
    re.I,
)
_USE_TO = re.compile(r"^(use|call)\s+(this|the)\s+\w+\s+to\s+", re.I)
_MARKDOWN = re.compile(r"\*\*|__|`|#+\s")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_CODE = re.compile(
    r"""["'`]?(?<![\w/])(?:[a-z]{2,}[A-Z][A-Za-z0-9]*|[A-Za-z0-9]+_[A-Za-z0-9_]+|/[\w/{}.-]+)["'`]?"""
)
_JUNK = {"testing", "test", "asdf", "todo", "none", "description", "api", "endpoint"}
MAX_WORDS = 18


def _clean(text: str) -> str:
    """Documentation text without markdown, links and code identifiers (API names)."""
    text = _LINK.sub(r"\1", text)
    text = _MARKDOWN.sub("", text)
    text = re.sub(r"https?://\S+", "", text)
    text = _CODE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def _first_sentence(text: str) -> str:
    text = re.split(r"(?<=[a-z0-9)])[.!?](\s|$)|\n", text, maxsplit=1)[0]
    words = text.split()
    return " ".join(words[:MAX_WORDS]).rstrip(",;:-")


def api_part(tool: Tool) -> str:
    """The API's own name (the last part of ``<Category>.<Tool>.<API>``)."""
    return tool.name.rsplit(".", 1)[-1]


def scrub(text: str, names: Sequence[str]) -> str:
    """``text`` with each provider name in ``names`` replaced by "the service"."""
    for name in names:
        base = re.sub(r"[_ ]v\d+$", "", name.strip(), flags=re.I)
        for variant in {name.strip(), base}:
            if len(variant) >= 3:
                text = re.sub(re.escape(variant), "the service", text, flags=re.I)
    return text


def request_phrase(text: str) -> str:
    """A description turned into an imperative phrase: "Returns the X" → "get the X"."""
    text = _USE_TO.sub("", _LEAD.sub("", text.strip()))
    words = text.split()
    if not words:
        return ""
    first = words[0].lower().strip(",:;")
    if first in _VERB_FORMS:
        words[0] = _VERB_FORMS[first]
    elif first in _VERBS:
        words[0] = first
    elif first.endswith("ies") and first[:-3] + "y" in _VERBS:
        words[0] = first[:-3] + "y"
    elif first.endswith("es") and first[:-2] in _VERBS:
        words[0] = first[:-2]
    elif first.endswith("s") and first[:-1] in _VERBS:
        words[0] = first[:-1]
    else:
        words = ["get", words[0][:1].lower() + words[0][1:], *words[1:]]
    return " ".join(words)


def offline_functionality(tool: Tool) -> str:
    """The functionality of a tool from its description (or its API name), no provider name."""
    description = _first_sentence(_clean(tool.description))
    api_words = name_words(api_part(tool))
    informative = (
        len(description.split()) >= 3
        and description.lower() not in _JUNK
        and description.lower() != " ".join(api_words)
    )
    text = description if informative else " ".join(api_words) or "use the service"
    phrase = request_phrase(scrub(text, [tool.app or ""]))
    return phrase or "use the service"


def assign_roles(tool: Tool) -> ParamRoles:
    """Roles of a tool's parameters from their names (kept if the corpus gave roles)."""
    roles = tool.param_roles
    if roles.personalized or roles.environmental or roles.profile:
        return roles
    required = list(tool.required)
    personalized: list[str] = []
    profile: list[str] = []
    environmental: list[str] = []
    for name in tool.properties:
        if environment_key(name):
            environmental.append(name)
        elif profile_key(name):
            (profile if name in required else personalized).append(name)
    return ParamRoles(
        required=required, personalized=personalized, environmental=environmental, profile=profile
    )


def has_dimensions(tool: Tool) -> bool:
    """Whether the tool already has a phrase for every dimension."""
    return all(isinstance(tool.attributes.get(d), str) for d in DIMENSION_NAMES)


def understood(tool: Tool, functionality: str, attributes: Mapping[str, str]) -> Tool:
    """The tool with its functionality, dimension attributes and parameter roles set."""
    attrs = dict(tool.attributes)
    attrs.update(attributes)
    return tool.model_copy(
        update={
            "functionality": functionality,
            "attributes": attrs,
            "param_roles": assign_roles(tool),
        }
    )


def understand_offline(tools: Sequence[Tool], provider_docs: Mapping[str, str]) -> list[Tool]:
    """Every tool understood from its documentation (kept where the corpus already says)."""
    out = []
    for tool in tools:
        functionality = tool.functionality or offline_functionality(tool)
        if has_dimensions(tool):
            attrs = {d: str(tool.attributes[d]) for d in DIMENSION_NAMES}
        else:
            attrs = offline_attributes(tool, provider_docs.get(tool.app or "", ""))
        out.append(understood(tool, functionality, attrs))
    return out


# --------------------------------------------------------------------------- with an LLM

UNDERSTAND_SYSTEM = (
    "You read the documentation of one API endpoint and describe it for a tool catalog. "
    "Answer with one JSON object and nothing else:\n"
    '{"functionality": "<one imperative phrase saying what the endpoint does, e.g. '
    "'get the current weather for a city'; never the provider's name>\", "
    '"attributes": {<dimension>: "<short phrase>", ...}}\n'
    "Dimensions (describe each from the documentation; when it says nothing, give your best "
    "estimate in the same style):\n"
    + "\n".join(f"- {d.name}: {d.meaning}; e.g. {', '.join(d.levels)}" for d in DIMENSIONS)
)


def understanding_request(tool: Tool, provider_doc: str) -> LLMRequest:
    """The LLM request that understands one tool."""
    params = [
        {"name": n, "type": s.get("type"), "description": str(s.get("description", ""))[:160]}
        for n, s in list(tool.properties.items())[:12]
    ]
    payload: dict[str, Any] = {
        "id": f"understand:{tool.name}",
        "provider": tool.app or "",
        "provider_description": provider_doc[:600],
        "category": tool.category,
        "api": api_part(tool),
        "description": tool.description[:800],
        "parameters": params,
    }
    return LLMRequest(
        key=payload["id"],
        system=UNDERSTAND_SYSTEM,
        intro="Describe this endpoint.",
        payload=payload,
    )


def parse_understanding(tool: Tool) -> Any:
    """A parser of the LLM's answer for ``tool``: ``(functionality, attributes)``."""

    def parse(answer: dict[str, Any]) -> tuple[str, dict[str, str]]:
        functionality = answer.get("functionality")
        if not isinstance(functionality, str) or not 2 <= len(functionality.strip()) <= 300:
            raise ValueError("'functionality' must be a phrase of 2-300 characters")
        attrs = answer.get("attributes")
        if not isinstance(attrs, dict):
            raise ValueError("'attributes' must be an object")
        phrases = {
            d: " ".join(str(v).split())[:80]
            for d, v in attrs.items()
            if d in DIMENSION_BY_NAME and isinstance(v, str) and v.strip()
        }
        if not phrases:
            raise ValueError("'attributes' names none of the dimensions")
        text = scrub(" ".join(functionality.split()), [tool.app or ""])
        return request_phrase(text) or text, phrases

    return parse


def merge_understanding(
    tool: Tool, answer: tuple[str, dict[str, str]] | None, provider_doc: str
) -> Tool:
    """The tool understood from the LLM's answer; documentation-derived where it is missing."""
    offline = offline_attributes(tool, provider_doc)
    if answer is None:
        return understood(tool, tool.functionality or offline_functionality(tool), offline)
    functionality, phrases = answer
    return understood(tool, functionality, {**offline, **phrases})
