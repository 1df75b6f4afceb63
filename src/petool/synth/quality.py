"""Quality control: rule checks of every task and, with an LLM, a judge score.

Rules (a task failing one is dropped and counted):

* ``invalid_arguments``: the gold call or a past call does not fit its tool's JSON Schema
  (required, unknown names, types, enums, bounds);
* ``missing_values``: the request does not state a value of its query parameters;
* ``names_tool``: the request (or a past request) names a candidate tool: its full name, its
  provider, or its API identifier — words the group's functionality itself uses do not count
  ("weather" is no name when the job is getting the weather);
* ``duplicate``: the same user already has the same request.

With an LLM, each remaining task's request and gold call are scored 1–10
(:func:`judge_request`); tasks under ``min_score`` (default 8) are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from petool.schema import Task, Tool
from petool.synth.instructions import missing_values, stated_values
from petool.synth.llm import LLMRequest
from petool.synth.values import mask_values, name_words

MIN_SCORE = 8
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VERSION = re.compile(r"\s+v\d+$")
_IDENTIFIER = re.compile(r"[_/{}.]|[a-z][A-Z]")
_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": int | float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces (for name matching)."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def check_arguments(tool: Tool, arguments: Mapping[str, Any]) -> list[str]:
    """Problems of ``arguments`` against the tool's JSON Schema (empty list: valid)."""
    problems = [f"missing required argument '{n}'" for n in tool.required if n not in arguments]
    props = tool.properties
    for name, value in arguments.items():
        spec = props.get(name)
        if spec is None:
            problems.append(f"unknown argument '{name}'")
            continue
        kind = spec.get("type")
        expected = _TYPES.get(str(kind))
        bad_bool = isinstance(value, bool) and kind in ("integer", "number")
        if expected is not None and (not isinstance(value, expected) or bad_bool):
            problems.append(f"argument '{name}': expected {kind}, got {type(value).__name__}")
            continue
        if "enum" in spec and value not in spec["enum"]:
            problems.append(f"argument '{name}': {value!r} is not one of the enum values")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and "minimum" in spec and value < spec["minimum"]:
            problems.append(f"argument '{name}': {value} is below the minimum {spec['minimum']}")
        if number and "maximum" in spec and value > spec["maximum"]:
            problems.append(f"argument '{name}': {value} is above the maximum {spec['maximum']}")
    return problems


def naming_terms(
    tool: Tool, context: Iterable[str] = (), *, shared_api: bool = False
) -> tuple[list[str], list[str]]:
    """What would name ``tool`` in a request: (normalized phrases, raw identifiers).

    Phrases are the provider's name (with and without a version suffix) unless all its
    words are in ``context`` (the job's own words); identifiers are the full tool name and
    an API name that looks like code (``get_order``, ``getOrder``, ``/v1/order``) unless
    every member of the tool's group has that same API name (``shared_api``: then it names
    the job, not one of the tools to choose from).
    """
    words = set(context)
    phrases: list[str] = []
    if tool.app:
        full = normalize(tool.app)
        for variant in dict.fromkeys([full, _VERSION.sub("", full)]):
            if variant and set(variant.split()) - words:
                phrases.append(variant)
    raw = [tool.name.lower()]
    api = tool.name.rsplit(".", 1)[-1]
    if _IDENTIFIER.search(api) and len(api) > 3 and not shared_api:
        raw.append(api.lower())
    return phrases, raw


def _raw_found(raw: str, low: str) -> bool:
    """Whether identifier ``raw`` occurs in ``low`` as a whole token (not inside a longer one)."""
    start = low.find(raw)
    while start >= 0:
        end = start + len(raw)
        before = low[start - 1] if start else " "
        after = low[end] if end < len(low) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        start = low.find(raw, start + 1)
    return False


def job_context(functionality: str, arguments: Iterable[str]) -> str:
    """The words of a job: its functionality and the names of the call's parameters."""
    params = " ".join(" ".join(name_words(k)) for k in arguments)
    return f"{functionality} {params}" if params else functionality


def names_any(
    text: str, terms: Sequence[tuple[list[str], list[str]]], values: Iterable[Any] = ()
) -> bool:
    """Whether ``text`` (outside the argument ``values``) contains one of the naming terms."""
    low = mask_values(text, values)
    padded = f" {normalize(low)} "
    for phrases, raw in terms:
        if any(f" {p} " in padded for p in phrases) or any(_raw_found(r, low) for r in raw):
            return True
    return False


@dataclass
class QualityReport:
    """What quality control kept and why it dropped the rest."""

    checked: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    judged: int = 0
    unjudged: int = 0
    scores: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        data: dict[str, Any] = {
            "checked": self.checked,
            "kept": self.kept,
            "dropped": {k: self.dropped[k] for k in sorted(self.dropped)},
        }
        if self.judged or self.unjudged:
            data["judged"] = self.judged
            data["unjudged"] = self.unjudged
            data["judge_scores"] = {str(k): self.scores[k] for k in sorted(self.scores)}
        return data


class RuleChecker:
    """The rule checks over a toolset; :meth:`problem` says why a task fails, or None."""

    def __init__(self, tools: Mapping[str, Tool], group_of: Mapping[str, Sequence[str]]):
        self.tools = tools
        self.group_of = group_of
        self._terms: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        self._seen: set[tuple[str, str]] = set()

    def _shared_api(self, name: str) -> bool:
        members = self.group_of.get(name, [name])
        apis = {m.rsplit(".", 1)[-1] for m in members}
        return len(members) >= 2 and len(apis) == 1

    def terms(self, name: str, context: str) -> tuple[list[str], list[str]]:
        """Naming terms of tool ``name`` given the job's text ``context`` (memoized)."""
        key = (name, context)
        if key not in self._terms:
            tool = self.tools[name]
            words = set(normalize(f"{context} {tool.category}").split())
            self._terms[key] = naming_terms(tool, words, shared_api=self._shared_api(name))
        return self._terms[key]

    def names_tool(
        self, text: str, names: Iterable[str], context: str, arguments: Mapping[str, Any]
    ) -> bool:
        """Whether ``text`` names one of the tools ``names`` (outside the call's values).

        The job's words are its ``context`` and the call's parameter names (a request says
        "image size 512" without naming a provider called "Image").
        """
        context = job_context(context, arguments)
        terms = [self.terms(n, context) for n in dict.fromkeys(names)]
        return names_any(text, terms, arguments.values())

    def problem(self, task: Task) -> str | None:
        """The first rule the task breaks (``invalid_arguments``, ...), or None."""
        if not task.gold:
            return None
        gold = task.gold[0]
        tool = self.tools[gold.tool]
        if check_arguments(tool, gold.arguments):
            return "invalid_arguments"
        for h in task.user.history:
            if check_arguments(self.tools[h.call.tool], h.call.arguments):
                return "invalid_arguments"
        if missing_values(task.instruction, stated_values(gold, task.meta.query_params)):
            return "missing_values"
        names = [*task.candidates, *task.meta.functional_group]
        if self.names_tool(task.instruction, names, tool.functionality, gold.arguments):
            return "names_tool"
        for h in task.user.history:
            htool = self.tools[h.call.tool]
            members = self.group_of.get(h.call.tool, [h.call.tool])
            if self.names_tool(h.instruction, members, htool.functionality, h.call.arguments):
                return "names_tool"
        key = (task.user.user_id, normalize(task.instruction))
        if key in self._seen:
            return "duplicate"
        self._seen.add(key)
        return None


def rule_filter(
    tasks: Sequence[Task],
    tools: Mapping[str, Tool],
    group_of: Mapping[str, Sequence[str]],
    report: QualityReport,
    on_task: Callable[[], Any] | None = None,
) -> list[Task]:
    """The tasks that pass every rule (the report counts the others by rule)."""
    checker = RuleChecker(tools, group_of)
    kept = []
    for task in tasks:
        report.checked += 1
        problem = checker.problem(task)
        if problem is None:
            kept.append(task)
        else:
            report.dropped[problem] += 1
        if on_task is not None:
            on_task()
    report.kept = len(kept)
    return kept


def forbidden_terms(checker: RuleChecker, names: Iterable[str], context: str) -> list[str]:
    """Every naming term of the tools ``names`` (sorted), for an LLM to avoid."""
    out: set[str] = set()
    for name in names:
        phrases, raw = checker.terms(name, context)
        out.update(phrases)
        out.update(raw)
    return sorted(out)


# --------------------------------------------------------------------------- with an LLM

JUDGE_SYSTEM = (
    "You grade one item of a benchmark of personalized tool use. A user's request and the "
    "tool call that answers it are given, with what the tool does. Grade 1-10 how natural "
    "and clear the request is and how well the call (its arguments) answers it; values "
    "listed under 'from_profile' are meant to be implied by the user's profile, not said. "
    'Answer with one JSON object and nothing else: {"score": <1-10>, "reason": "<short>"}'
)


def judge_request(task: Task, tool: Tool) -> LLMRequest:
    """The LLM request that grades one task."""
    gold = task.gold[0]
    payload = {
        "id": f"judge:{task.user.user_id}:{normalize(task.instruction)[:120]}:{gold.tool}",
        "request": task.instruction,
        "tool_does": tool.functionality,
        "arguments": dict(gold.arguments),
        "from_profile": list(task.meta.profile_params) + list(task.meta.environment_params),
    }
    return LLMRequest(
        key=str(payload["id"]),
        system=JUDGE_SYSTEM,
        intro="Grade this item.",
        payload=payload,
    )


def parse_score(answer: dict[str, Any]) -> int:
    """The judge's score (an integer 1–10)."""
    score = answer.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ValueError("'score' must be a number")
    if not 1 <= score <= 10:
        raise ValueError("'score' must be between 1 and 10")
    return round(score)
