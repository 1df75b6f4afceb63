"""The demo catalog's planning parts: attribute-weight preferences and templated calls.

Plugs the demo catalog into the driver of :mod:`petool.synth.plan`: a user's preference is
a weight vector over the catalog's attributes (:mod:`petool.synth.demo_users`), the
preferred member is the utility argmax with a margin, calls take their required values
from the catalog's samplers and their personalized values from the user's habits, and the
request comes from the group's own templates (:mod:`petool.synth.demo_text`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from petool.errors import InputError
from petool.schema import HISTORY_MODES, HistoryMode, Suite, ToolCall
from petool.synth.demo_catalog import Catalog, FunctionalGroup, validate_arguments
from petool.synth.demo_text import (
    expected_snippets,
    instruction_spans,
    render_instruction,
    sample_required,
)
from petool.synth.demo_users import (
    Preference,
    habits,
    make_profile,
    preferred_index,
    ranking,
    sample_preference,
)
from petool.synth.histories import GroupLike, HistoryPlan, PlannedUser
from petool.synth.plan import PlannedCall

#: The demo's users (kept under its old name).
DemoUser = PlannedUser

DESCRIPTION = (
    "petool's own catalog: 50 functionalities each offered by 2-5 interchangeable tools that "
    "differ in cost, latency, accuracy, ads, privacy, coverage and rate limit; users prefer "
    "some of these attributes and show it through their history (3 modes)."
)


def suite_stats(suite: Suite) -> dict[str, Any]:
    """Counts of a suite: tools, categories, groups, tasks per split and mode, history lengths."""
    per_split: dict[str, dict[str, int]] = {}
    lengths: Counter[int] = Counter()
    for task in suite.tasks:
        modes = per_split.setdefault(task.meta.split, dict.fromkeys(HISTORY_MODES, 0))
        modes[task.mode or "preferred"] += 1
        lengths[len(task.user.history)] += 1
    groups = {t.functionality for t in suite.tools}
    return {
        "tools": len(suite.tools),
        "categories": len({t.category for t in suite.tools}),
        "functional_groups": len(groups),
        "tasks": per_split,
        "history_length": {str(k): lengths[k] for k in sorted(lengths)},
    }


def _demo_group(group: GroupLike) -> FunctionalGroup:
    if not isinstance(group, FunctionalGroup):
        raise TypeError(f"group '{group.id}' is not a demo catalog group")
    return group


def make_call(
    group: FunctionalGroup, index: int, profile: dict[str, Any], rng: random.Random
) -> tuple[str, ToolCall]:
    """An instruction and the call of member ``index`` answering it with the user's habits."""
    args = sample_required(group, rng)
    user_habits = habits(profile)
    for name in group.personalized:
        args[name] = user_habits[name]
    tool = group.tools[index]
    instruction = render_instruction(group, args, rng)
    problems = validate_arguments(tool, args)
    if instruction_spans(instruction, expected_snippets(group, args)) is None:
        problems.append(f"instruction {instruction!r} lacks a required value or its order")
    if problems:
        raise InputError(f"demo catalog: group '{group.id}': {problems[0]}")
    return instruction, ToolCall(tool=tool.name, app=tool.app, arguments=args)


class DemoPreferences:
    """The demo's preference model: attribute weights, utility argmax with a margin."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def preferred(self, pref: Any, group: GroupLike) -> int | None:
        """The utility argmax, or None when it does not win by the margin."""
        return preferred_index(pref, _demo_group(group))

    def ranking(self, pref: Any, group: GroupLike) -> list[int]:
        """Members by utility, best first."""
        return [i for _, i in ranking(pref, _demo_group(group))]

    def eligible(self, pref: Any) -> list[tuple[GroupLike, int]]:
        """Groups (catalog order) with a well-defined preferred member."""
        out: list[tuple[GroupLike, int]] = []
        for group in self.catalog.groups:
            idx = preferred_index(pref, group)
            if idx is not None:
                out.append((group, idx))
        return out


class DemoStrategy:
    """The planning parts of the demo suite.

    Args:
        catalog: the demo catalog.
        n_candidates: candidates per task.
        prefix: users are ``<prefix>-<split>-uNNNN``.
    """

    def __init__(self, catalog: Catalog, n_candidates: int = 8, prefix: str = "demo"):
        self.catalog = catalog
        self.model = DemoPreferences(catalog)
        self.n_candidates = n_candidates
        self.prefix = prefix

    @property
    def groups(self) -> Sequence[GroupLike]:
        """The catalog's functional groups."""
        return self.catalog.groups

    def user_id(self, split: str, number: int) -> str:
        """``<prefix>-<split>-uNNNN``."""
        return f"{self.prefix}-{split}-u{number:04d}"

    def make_user(self, rng: random.Random, user_id: str, mode: HistoryMode) -> PlannedUser:
        """A profile and attribute weights (a chronological user gets an old preference)."""
        profile = make_profile(rng)
        if mode != "chronological":
            return PlannedUser(user_id, mode, profile, sample_preference(rng))
        old = sample_preference(rng)
        new = sample_preference(rng, avoid=old.dominant)
        return PlannedUser(user_id, mode, profile, new, old)

    def environment(self, user: PlannedUser, rng: random.Random) -> dict[str, Any]:
        """The demo has no environment."""
        return {}

    def make_call(
        self,
        group: GroupLike,
        index: int,
        user: PlannedUser,
        environment: dict[str, Any] | None,
        rng: random.Random,
    ) -> PlannedCall:
        """A templated call; required values are stated, personalized ones come from habits."""
        demo_group = _demo_group(group)
        instruction, call = make_call(demo_group, index, user.profile, rng)
        return PlannedCall(
            instruction=instruction,
            call=call,
            query_params=demo_group.required,
            profile_params=list(demo_group.personalized),
        )

    def candidates(self, group: GroupLike, rng: random.Random) -> list[str]:
        """The group's members plus distractors (1–2 from the same category), shuffled."""
        same: list[str] = []
        other: list[str] = []
        for g in self.catalog.groups:
            if g.id != group.id:
                (same if g.category == group.category else other).extend(g.names)
        n_distract = max(self.n_candidates - len(group.tools), 0)
        k_same = min(len(same), rng.randint(1, 2), n_distract)
        names = group.names + rng.sample(same, k_same) + rng.sample(other, n_distract - k_same)
        rng.shuffle(names)
        return names

    def task_extra(self, user: PlannedUser, target: GroupLike, plan: HistoryPlan) -> dict[str, Any]:
        """Group id, preference label and weights (old ones too), target-in-history flag."""
        pref: Preference = user.preference
        extra: dict[str, Any] = {
            "group_id": target.id,
            "preference": pref.label,
            "preference_weights": dict(pref.weights),
            "target_in_history": any(g.id == target.id for g, _, _ in plan.slots),
        }
        if user.old_preference is not None:
            old: Preference = user.old_preference
            old_idx = preferred_index(old, _demo_group(target))
            extra["old_preferred_tool"] = None if old_idx is None else target.tools[old_idx].name
            extra["old_preference"] = old.label
            extra["old_preference_weights"] = dict(old.weights)
            extra["change_step"] = plan.change_step
        return extra
