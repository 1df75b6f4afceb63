"""Interaction histories of demo users in the three modes.

* ``preferred``: past calls of the user's preferred tools (no ratings).
* ``rated``: liked calls (+1) of preferred tools and disliked calls (−1) of other members.
* ``chronological``: the first calls follow the old preference, the later ones the new one.

Most history calls come from groups other than the target, so the preference has to be read
off the attributes of the tools the user chose; in a minority of tasks one past call is in
the target group itself (consistent with the mode).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from petool.errors import InputError
from petool.schema import HistoryMode, Interaction, ToolCall
from petool.synth.demo_catalog import Catalog, FunctionalGroup, validate_arguments
from petool.synth.demo_text import (
    expected_snippets,
    instruction_spans,
    render_instruction,
    sample_required,
)
from petool.synth.demo_users import Preference, habits, preferred_index, ranking

#: A planned history entry: group, member index, rating.
Slot = tuple[FunctionalGroup, int, int | None]


@dataclass(frozen=True)
class HistoryPlan:
    """The ordered entries of a history; ``change_step``: first step of the new preference."""

    slots: list[Slot]
    change_step: int | None = None


@dataclass(frozen=True)
class DemoUser:
    """A synthetic user: mode, profile, current preference (and the old one if it drifted)."""

    user_id: str
    mode: HistoryMode
    profile: dict[str, Any]
    preference: Preference
    old_preference: Preference | None = None


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


def eligible(catalog: Catalog, pref: Preference) -> list[tuple[FunctionalGroup, int]]:
    """Groups where ``pref`` has a well-defined preferred member, with that member's index."""
    out = []
    for group in catalog.groups:
        idx = preferred_index(pref, group)
        if idx is not None:
            out.append((group, idx))
    return out


def _pick(
    rng: random.Random,
    pool: list[tuple[FunctionalGroup, int]],
    n: int,
    target: FunctionalGroup,
) -> list[tuple[FunctionalGroup, int]]:
    """``n`` distinct groups of ``pool`` other than the target; one shares a personalized param."""
    pool = [p for p in pool if p[0].id != target.id]
    if not pool or n <= 0:
        return []
    sharing = [p for p in pool if set(p[0].personalized) & set(target.personalized)]
    first = [rng.choice(sharing)] if sharing else []
    rest = [p for p in pool if not first or p[0].id != first[0][0].id]
    k = min(n - len(first), len(rest))
    chosen = first + rng.sample(rest, k)
    while len(chosen) < n:
        chosen.append(rng.choice(pool))
    rng.shuffle(chosen)
    return chosen


def _disliked_member(rng: random.Random, pref: Preference, group: FunctionalGroup) -> int:
    ranked = [i for _, i in ranking(pref, group)]
    return ranked[-1] if rng.random() < 0.6 else rng.choice(ranked[1:])


def plan_history(
    user: DemoUser,
    target: FunctionalGroup,
    catalog: Catalog,
    rng: random.Random,
    *,
    length: int,
    include_target: bool,
) -> HistoryPlan:
    """The ordered (group, member, rating) entries of one task's history."""
    pref = user.preference
    if user.mode == "preferred":
        slots: list[Slot] = [
            (g, i, None) for g, i in _pick(rng, eligible(catalog, pref), length, target)
        ]
        if include_target:
            idx = preferred_index(pref, target)
            assert idx is not None
            slots[rng.randrange(len(slots))] = (target, idx, None)
        return HistoryPlan(slots)
    if user.mode == "rated":
        n_dis = rng.randint(1, length // 2)
        chosen = _pick(rng, eligible(catalog, pref), length, target)
        slots = [(g, i, 1) for g, i in chosen[: length - n_dis]]
        slots += [(g, _disliked_member(rng, pref, g), -1) for g, _ in chosen[length - n_dis :]]
        rng.shuffle(slots)
        if include_target:
            rating = 1 if rng.random() < 0.5 else -1
            idx = preferred_index(pref, target)
            assert idx is not None
            member = idx if rating == 1 else _disliked_member(rng, pref, target)
            spots = [k for k, s in enumerate(slots) if s[2] == rating]
            slots[rng.choice(spots)] = (target, member, rating)
        return HistoryPlan(slots)
    old = user.old_preference
    assert old is not None
    n_old = rng.randint(1, length - 2)
    old_part: list[Slot] = [
        (g, i, None) for g, i in _pick(rng, eligible(catalog, old), n_old, target)
    ]
    new_part: list[Slot] = [
        (g, i, None) for g, i in _pick(rng, eligible(catalog, pref), length - n_old, target)
    ]
    if include_target:
        old_idx = preferred_index(old, target)
        if old_idx is not None and rng.random() < 0.5:
            old_part[rng.randrange(len(old_part))] = (target, old_idx, None)
        else:
            new_idx = preferred_index(pref, target)
            assert new_idx is not None
            new_part[rng.randrange(len(new_part))] = (target, new_idx, None)
    return HistoryPlan(old_part + new_part, change_step=len(old_part))


def build_history(user: DemoUser, plan: HistoryPlan, rng: random.Random) -> list[Interaction]:
    """Turn planned entries into interactions with instructions and full arguments."""
    history = []
    for step, (group, index, rating) in enumerate(plan.slots):
        instruction, call = make_call(group, index, user.profile, rng)
        history.append(Interaction(instruction=instruction, call=call, rating=rating, step=step))
    return history
