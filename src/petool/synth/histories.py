"""The histories stage: which past calls a user made, in the three history modes.

* ``preferred``: past calls of the user's preferred member of other choice points.
* ``rated``: liked calls (+1) of preferred members and disliked calls (−1) of other members.
* ``chronological``: the first calls follow the user's old preference, the later ones the
  current one (``change_step`` is the first step of the current preference).

Most history calls come from choice points other than the task's target, so the preference
has to be read off the attributes of the tools the user chose; in a minority of tasks one
past call is in the target group itself (consistent with the mode).

The planner works on any groups (:class:`GroupLike`) and any preference model
(:class:`PreferenceModel`): the demo suite's attribute weights and the embedding fit of
:mod:`petool.synth.preferences` both plug in. It draws from one ``random.Random`` in a fixed
order, so a seed fixes the plan.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from petool.schema import HistoryMode, Tool


class GroupLike(Protocol):
    """A choice point: tools that do the same job (what the planner needs of a group)."""

    @property
    def id(self) -> str:
        """Stable group id."""
        ...

    @property
    def category(self) -> str:
        """Category of the group (for distractors)."""
        ...

    @property
    def tools(self) -> list[Tool]:
        """The members, in a fixed order."""
        ...

    @property
    def names(self) -> list[str]:
        """Names of the members."""
        ...

    @property
    def personalized(self) -> list[str]:
        """Parameters whose values come from the user's habits."""
        ...


class PreferenceModel(Protocol):
    """How a preference picks a member of a group."""

    def preferred(self, pref: Any, group: GroupLike) -> int | None:
        """Index of the preferred member, or None when no member wins by the margin."""
        ...

    def ranking(self, pref: Any, group: GroupLike) -> list[int]:
        """Member indices, best first."""
        ...

    def eligible(self, pref: Any) -> list[tuple[GroupLike, int]]:
        """Every group (in group order) with a preferred member, and that member's index."""
        ...


#: A planned history entry: group, member index, rating.
Slot = tuple[GroupLike, int, int | None]


@dataclass(frozen=True)
class HistoryPlan:
    """The ordered entries of a history; ``change_step``: first step of the new preference."""

    slots: list[Slot]
    change_step: int | None = None


@dataclass(frozen=True)
class PlannedUser:
    """A synthetic user: mode, profile, current preference (and the old one if it drifted)."""

    user_id: str
    mode: HistoryMode
    profile: dict[str, Any]
    preference: Any
    old_preference: Any | None = None


def pick_groups(
    rng: random.Random,
    pool: Sequence[tuple[GroupLike, int]],
    n: int,
    target: GroupLike,
) -> list[tuple[GroupLike, int]]:
    """``n`` groups of ``pool`` other than the target; one shares a personalized parameter.

    Distinct while the pool lasts, then repeats.
    """
    pool = [p for p in pool if p[0].id != target.id]
    if not pool or n <= 0:
        return []
    wanted = set(target.personalized)
    sharing = [p for p in pool if wanted.intersection(p[0].personalized)] if wanted else []
    first = [rng.choice(sharing)] if sharing else []
    rest = [p for p in pool if not first or p[0].id != first[0][0].id]
    k = min(n - len(first), len(rest))
    chosen = first + rng.sample(rest, k)
    while len(chosen) < n:
        chosen.append(rng.choice(pool))
    rng.shuffle(chosen)
    return chosen


def disliked_member(rng: random.Random, model: PreferenceModel, pref: Any, group: GroupLike) -> int:
    """A member the user would not pick: the worst one (60%) or another non-preferred one."""
    ranked = model.ranking(pref, group)
    return ranked[-1] if rng.random() < 0.6 else rng.choice(ranked[1:])


def _preferred(model: PreferenceModel, pref: Any, group: GroupLike) -> int:
    idx = model.preferred(pref, group)
    if idx is None:
        raise ValueError(f"group '{group.id}' has no preferred member for this preference")
    return idx


def plan_history(
    user: PlannedUser,
    target: GroupLike,
    model: PreferenceModel,
    rng: random.Random,
    *,
    length: int,
    include_target: bool,
) -> HistoryPlan:
    """The ordered (group, member, rating) entries of one task's history.

    Args:
        user: the user (mode, preference, old preference for ``chronological``).
        target: the task's choice point (the user's preferred member must be defined).
        model: the preference model.
        rng: the generator (drawn from in a fixed order).
        length: number of entries (at least 3 for ``chronological``, 2 for ``rated``).
        include_target: put one call of the target group into the history.

    Returns:
        The plan; ``change_step`` is set for ``chronological``.
    """
    pref = user.preference
    if user.mode == "preferred":
        slots: list[Slot] = [
            (g, i, None) for g, i in pick_groups(rng, model.eligible(pref), length, target)
        ]
        if include_target and slots:
            slots[rng.randrange(len(slots))] = (target, _preferred(model, pref, target), None)
        return HistoryPlan(slots)
    if user.mode == "rated":
        n_dis = rng.randint(1, length // 2)
        chosen = pick_groups(rng, model.eligible(pref), length, target)
        slots = [(g, i, 1) for g, i in chosen[: length - n_dis]]
        slots += [
            (g, disliked_member(rng, model, pref, g), -1) for g, _ in chosen[length - n_dis :]
        ]
        rng.shuffle(slots)
        if include_target and slots:
            rating = 1 if rng.random() < 0.5 else -1
            idx = _preferred(model, pref, target)
            member = idx if rating == 1 else disliked_member(rng, model, pref, target)
            spots = [k for k, s in enumerate(slots) if s[2] == rating]
            slots[rng.choice(spots)] = (target, member, rating)
        return HistoryPlan(slots)
    old = user.old_preference
    if old is None:
        raise ValueError(f"user '{user.user_id}': a chronological user needs an old preference")
    n_old = rng.randint(1, length - 2)
    old_part: list[Slot] = [
        (g, i, None) for g, i in pick_groups(rng, model.eligible(old), n_old, target)
    ]
    new_part: list[Slot] = [
        (g, i, None) for g, i in pick_groups(rng, model.eligible(pref), length - n_old, target)
    ]
    if include_target:
        old_idx = model.preferred(old, target)
        if old_idx is not None and old_part and rng.random() < 0.5:
            old_part[rng.randrange(len(old_part))] = (target, old_idx, None)
        elif new_part:
            new_part[rng.randrange(len(new_part))] = (target, _preferred(model, pref, target), None)
    return HistoryPlan(old_part + new_part, change_step=len(old_part))
