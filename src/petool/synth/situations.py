"""Situation suites: ToolSpectrum-style training tasks synthesized from real tool documentation.

``petool synth situations --corpus DIR --out DIR --tasks N --seed S`` writes a petool suite
(``suite.json``, ``tools.jsonl``, ``tasks.jsonl``; splits ``train`` and ``test``) in which a
user's profile and/or environment decide which of several apps offering the same API to call
(see :mod:`petool.synth.situation_catalog` for the apps, :mod:`petool.synth.situation_traits`
for why a user prefers one, :mod:`petool.synth.situation_policy` for the rules that forbid a
request). Scenarios (``meta.category``) follow ToolSpectrum: ``persona`` (profile only),
``environment`` (environment only), ``persona_environment`` (both; the gold app is the only one
that fits both, other apps may fit one).

By construction every call task has exactly one best app: the gold app carries a trait that
holds for this user and no other app of the group carries a holding trait (in
``persona_environment``: the gold app fits twice, every other app at most once). An
abstention task (about a fifth) asks for something a policy of the gold app forbids for this
user (gold ``[]``); most get a near-miss twin that must be called: the same request by a user
the rule does not restrict, or a smaller request by the same user. ``meta.situation`` records
the decisive traits, the intent, the policy case and the twin's pair id.

Candidates are the family's tools, those of one to three other families of its domain, then
of any families. Families (real providers) are split between train and test, so test tools
are unseen. Same corpus, size and seed: same bytes. Only the standard library's seeded
``random`` is used.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from petool.errors import ConfigError, InputError
from petool.schema import Suite, SuiteInfo, Task, TaskMeta, ToolCall, UserContext
from petool.synth.instructions import render_request
from petool.synth.situation_catalog import (
    App,
    Family,
    app_names,
    build_family,
    extra_values,
    providers,
)
from petool.synth.situation_policy import POLICIES, Intent, draw_intent, violations
from petool.synth.situation_traits import holds
from petool.synth.situation_users import SituationUser, draw_user, restricted_profile
from petool.synth.values import sample_value

SCENARIOS = ("persona", "environment", "persona_environment")
SCENARIO_WEIGHTS = (0.4, 0.25, 0.35)
ABSTAIN_RATE = 0.7  # of persona / persona_environment draws; with the twins about 22 % of tasks
TWIN_RATE = 0.7
TEST_FRACTION = 0.2
MIN_CANDIDATES, MAX_CANDIDATES = 20, 45
SAME_DOMAIN_MAX = 3  # other families of the task's domain among the candidates
TRIES = 60
NAME = "situations"


@dataclass(frozen=True)
class SituationConfig:
    """What to build: total tasks, the seed, families, test share."""

    tasks: int = 1000
    seed: int = 0
    families: int = 160
    test_fraction: float = TEST_FRACTION
    abstain_rate: float = ABSTAIN_RATE

    def check(self) -> None:
        """Raise :class:`ConfigError` for impossible sizes."""
        if self.tasks < 10:
            raise ConfigError("--tasks must be at least 10")
        if not 0 < self.test_fraction < 1:
            raise ConfigError("--test-fraction must be between 0 and 1")
        if self.families < 10:
            raise ConfigError("--families must be at least 10")


def build_catalog(
    corpus_tools: list[Any], config: SituationConfig, rng: random.Random
) -> list[Family]:
    """The families of the suite, each assigned to ``train`` or ``test``."""
    found = providers(corpus_tools)
    if len(found) < 10:
        raise InputError(f"the corpus has {len(found)} usable providers; at least 10 are needed")
    rng.shuffle(found)
    by_domain: dict[str, list[Any]] = {}
    for entry in found:
        by_domain.setdefault(entry[1], []).append(entry)
    chosen: list[Any] = []  # round robin over domains: rare domains (food, rides) get in too
    while len(chosen) < config.families and any(by_domain.values()):
        for queue in by_domain.values():
            if queue and len(chosen) < config.families:
                chosen.append(queue.pop(0))
    taken: set[str] = set()
    families = []
    for i, (provider, domain, apis) in enumerate(chosen):
        size = rng.choice((2, 3, 3, 4, 4, 5, 6))
        names = app_names(domain, rng, taken, size)
        families.append(build_family(f"f{i:03d}", provider, domain, apis, names, rng, size))
    n_test = max(2, round(len(families) * config.test_fraction))  # every domain in both splits
    for family in families[:n_test]:
        family.split = "test"
    return [f for f in families if len(f.apps) >= 2]


class _Builder:
    def __init__(self, families: list[Family], config: SituationConfig, rng: random.Random):
        self.families = families
        self.config = config
        self.rng = rng
        self.by_split = {s: [f for f in families if f.split == s] for s in ("train", "test")}
        self.ruled = {
            s: [f for f in fs if any(a.policies for a in f.apps)] for s, fs in self.by_split.items()
        }
        self.pairs = 0
        self.used: Counter[str] = Counter()

    def candidates(self, family: Family, split: str) -> list[str]:
        """The family's tools, those of 1-3 other families of its domain (apps that do
        neighbouring jobs, as a user's phone has them), then of any families."""
        pool = [f for f in self.by_split[split] if f is not family]
        same = [f for f in pool if f.domain == family.domain]
        near = self.rng.sample(same, min(len(same), self.rng.randint(1, SAME_DOMAIN_MAX)))
        chosen = {id(f) for f in near}
        rest = [f for f in pool if id(f) not in chosen]
        names = [t.name for t in family.tools]
        target = self.rng.randint(MIN_CANDIDATES, MAX_CANDIDATES)
        for other in [*near, *self.rng.sample(rest, len(rest))]:
            if len(names) >= target:
                break
            if len(names) + len(other.tools) <= MAX_CANDIDATES:
                names += [t.name for t in other.tools]
        self.rng.shuffle(names)
        return names

    def task(
        self,
        split: str,
        scenario: str,
        family: Family,
        api: str,
        gold: App,
        user: SituationUser,
        intent: Intent | None,
        case: str,
        pair: str | None,
        request: tuple[str, dict[str, Any], list[str]] | None = None,
    ) -> tuple[Task, tuple[str, dict[str, Any], list[str]]]:
        tool = next(t for t in gold.tools if t.name.endswith(f".{api}"))
        if request is None:
            args: dict[str, Any] = {}
            stated = []
            for name in tool.required:
                schema = tool.properties.get(name, {"type": "string"})
                args[name] = sample_value(name, dict(schema), self.rng)
                stated.append((name, args[name]))
            text = render_request(tool.functionality, stated, self.rng)
            request = (text, args, [n for n, _ in stated])
        text, required_args, query_params = request
        instruction = f"{intent.text} {text}" if intent else text
        broken = violations(user.profile, intent, gold.policies)
        extra, personal, environmental = extra_values(
            tool, user.profile, user.env, frozenset(user.likes)
        )
        arguments = {n: v for n, v in {**required_args, **extra}.items()}
        gold_calls = (
            [] if broken else [ToolCall(tool=tool.name, app=gold.name, arguments=arguments)]
        )
        decisive = [
            t.key
            for t in (gold.persona, gold.environment)
            if holds(t, frozenset(user.likes), user.profile, user.env)
        ]
        situation: dict[str, Any] = {
            "family": family.id,
            "domain": family.domain,
            "decisive_traits": decisive,
            "likes": sorted(user.likes),
            "policy_case": case,
            "violated": broken,
        }
        if intent is not None:
            situation["intent"] = intent.record()
        if pair is not None:
            situation["pair"] = pair
        meta = TaskMeta(
            split=split,
            category=scenario,
            functional_group=[t.name for t in family.group(api)],
            preferred_tool=tool.name,
            query_params=query_params if not broken else [],
            profile_params=personal if not broken else [],
            environment_params=environmental if not broken else [],
            situation=situation,
        )
        task = Task(
            id="draft",
            instruction=instruction,
            user=UserContext(profile=user.profile, environment=user.env),
            candidates=self.candidates(family, split),
            gold=gold_calls,
            meta=meta,
        )
        return task, request

    def draw(self, split: str) -> list[Task]:
        """One task, or an abstention with its near-miss twin (first the abstention)."""
        rng = self.rng
        for _ in range(TRIES):
            scenario = rng.choices(SCENARIOS, SCENARIO_WEIGHTS)[0]
            abstain = scenario != "environment" and rng.random() < self.config.abstain_rate
            family = rng.choice(self.ruled[split] if abstain else self.by_split[split])
            apps = [a for a in family.apps if a.policies] if abstain else family.apps
            if not apps:
                continue
            gold = rng.choice(apps)
            api = rng.choice(family.apis)
            if abstain:
                out = self._abstention(split, scenario, family, api, gold)
            else:
                out = self._plain(split, scenario, family, api, gold)
            if out and self._balanced(out[0]):
                return out
        raise InputError(f"could not draw a {split} task in {TRIES} tries (corpus too small?)")

    def _balanced(self, task: Task) -> bool:
        """Keep the decisive traits even: an over-used one is turned down now and then."""
        keys = (task.meta.model_extra or {})["situation"]["decisive_traits"]
        used = [self.used[k] for k in keys]
        mean = sum(self.used.values()) / max(1, len(self.used))
        if used and max(used) > 1.5 * mean + 5 and self.rng.random() < 0.8:
            return False
        for key in keys:
            self.used[key] += 1
        return True

    def _plain(self, split: str, scenario: str, family: Family, api: str, gold: App) -> list[Task]:
        user = draw_user(scenario, family, gold, self.rng, None)
        if user is None:
            return []
        intent = draw_intent(family.domain, self.rng)
        if intent is not None and violations(user.profile, intent, gold.policies):
            intent = draw_intent(family.domain, self.rng, big=False)
            if violations(user.profile, intent, gold.policies):
                return []
        return [self.task(split, scenario, family, api, gold, user, intent, "none", None)[0]]

    def _abstention(
        self, split: str, scenario: str, family: Family, api: str, gold: App
    ) -> list[Task]:
        rng = self.rng
        key, cap = rng.choice(gold.policies)
        user = draw_user(scenario, family, gold, rng, restricted_profile(key, rng))
        if user is None:
            return []
        intent = None
        for _ in range(8):
            drawn = draw_intent(family.domain, rng, big=True)
            if drawn is not None and POLICIES[key].violated(user.profile, drawn, cap):
                intent = drawn
                break
        if intent is None:
            return []
        pair = f"p{self.pairs:05d}"
        first, request = self.task(
            split, scenario, family, api, gold, user, intent, "violation", pair
        )
        out = [first]
        if rng.random() < TWIN_RATE:
            twin = self._twin(split, scenario, family, api, gold, user, intent, pair, request)
            if twin is not None:
                out.append(twin)
        self.pairs += 1
        return out

    def _twin(
        self,
        split: str,
        scenario: str,
        family: Family,
        api: str,
        gold: App,
        user: SituationUser,
        intent: Intent,
        pair: str,
        request: tuple[str, dict[str, Any], list[str]],
    ) -> Task | None:
        rng = self.rng
        if rng.random() < 0.5:  # the same request by a user the rules leave alone
            for _ in range(12):
                other = draw_user(scenario, family, gold, rng, None)
                if other is not None and not violations(other.profile, intent, gold.policies):
                    return self.task(
                        split,
                        scenario,
                        family,
                        api,
                        gold,
                        other,
                        intent,
                        "near_miss_user",
                        pair,
                        request,
                    )[0]
        for _ in range(8):  # a smaller request by the same user
            small = draw_intent(family.domain, rng, big=False)
            if small is not None and not violations(user.profile, small, gold.policies):
                return self.task(
                    split,
                    scenario,
                    family,
                    api,
                    gold,
                    user,
                    small,
                    "near_miss_request",
                    pair,
                    request,
                )[0]
        return None


def build_situations(corpus_tools: list[Any], config: SituationConfig) -> Suite:
    """The situation suite in memory (same tools, config and seed: same suite)."""
    config.check()
    rng = random.Random(config.seed)
    families = build_catalog(corpus_tools, config, rng)
    builder = _Builder(families, config, rng)
    n_test = max(1, round(config.tasks * config.test_fraction))
    tasks: list[Task] = []
    for split, count in (("test", n_test), ("train", config.tasks - n_test)):
        made: list[Task] = []
        while len(made) < count:
            made += builder.draw(split)[: count - len(made)]
        tasks += [
            t.model_copy(update={"id": f"{NAME}-{split}-{i:05d}"}) for i, t in enumerate(made)
        ]
    tools = [t for f in families for t in f.tools]
    info = SuiteInfo(
        name=NAME,
        description="Situation suite (ToolSpectrum-style): profile and environment choose the "
        "app among same-API apps; app policies forbid some requests (synthesized by petool)",
        splits=["test", "train"],
        default_split="test",
    )
    return Suite(info=info, tools=tools, tasks=tasks)


def situation_stats(suite: Suite) -> dict[str, Any]:
    """Counts per split and scenario, abstentions, near-miss twins (the report)."""
    per: dict[str, Counter[str]] = {}
    cases: Counter[str] = Counter()
    for task in suite.tasks:
        per.setdefault(task.meta.split, Counter())[task.meta.category] += 1
        cases[(task.meta.model_extra or {}).get("situation", {}).get("policy_case", "none")] += 1
    abstain = sum(1 for t in suite.tasks if not t.gold)
    return {
        "tools": len(suite.tools),
        "apps": len({t.app for t in suite.tools}),
        "tasks": {s: dict(sorted(c.items())) for s, c in sorted(per.items())},
        "abstentions": abstain,
        "abstention_share": round(abstain / max(1, len(suite.tasks)), 4),
        "policy_cases": dict(sorted(cases.items())),
    }


def write_situations(
    corpus: Path, out: Path, config: SituationConfig
) -> tuple[Suite, dict[str, Any]]:
    """Read ``corpus``, build the suite and write it to ``out``; returns it and its stats."""
    from petool.synth.corpus import load_corpus
    from petool.synth.splits import write_suite_dir

    loaded = load_corpus(corpus, skip_invalid=True)
    suite = build_situations(loaded.tools, config)
    stats = situation_stats(suite)
    report = {"corpus": loaded.report.as_dict(), "config": config.__dict__, "stats": stats}
    write_suite_dir(suite, out, report=report)
    return suite, stats
