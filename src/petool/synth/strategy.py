"""The planning strategy for any corpus: users, embedding-fit preferences, drafted calls.

Plugs the corpus-dependent parts into the driver of :mod:`petool.synth.plan`: user profiles
(home country, language, currency, units, time zone, ...), preferences drawn per user
(offline) or from the LLM's persona pool, an environment per task when asked for, calls
drafted by :func:`petool.synth.instructions.draft_call` (the request in the words of a
member drawn from the group, not necessarily the one called), and candidates made of the
target group's members plus distractors (one or two from the same category, the rest from
anywhere else in the corpus).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from petool.schema import HistoryMode, Tool
from petool.synth.demo_users import make_profile
from petool.synth.grouping import Group
from petool.synth.histories import GroupLike, HistoryPlan, PlannedUser
from petool.synth.instructions import draft_call
from petool.synth.plan import PlannedCall
from petool.synth.preferences import (
    EmbeddingPreferences,
    Preference,
    draw_persona,
    sample_preference,
)
from petool.synth.values import CITY_COORDINATES

N_CANDIDATES = 10
_NETWORKS = ("wifi", "4g", "5g", "3g", "offline")
_DEVICES = ("phone", "laptop", "tablet", "smart speaker")
_FIRST_DAY = dt.datetime(2026, 1, 5, 7, 0)


def sample_environment(profile: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Where and when a request happens: location (home or away), time, network, device."""
    city = str(profile.get("home_city", "London"))
    if city not in CITY_COORDINATES or rng.random() < 0.3:
        city = rng.choice(sorted(CITY_COORDINATES))
    lat, lon = CITY_COORDINATES[city]
    when = _FIRST_DAY + dt.timedelta(days=rng.randrange(355), minutes=15 * rng.randrange(64))
    return {
        "location": {"city": city, "latitude": lat, "longitude": lon},
        "time": when.isoformat(timespec="minutes"),
        "network": rng.choice(_NETWORKS),
        "device": rng.choice(_DEVICES),
        "battery": rng.randint(5, 100),
    }


def _home(profile: dict[str, Any]) -> dict[str, Any] | None:
    city = str(profile.get("home_city", ""))
    if city not in CITY_COORDINATES:
        return None
    lat, lon = CITY_COORDINATES[city]
    return {"location": {"city": city, "latitude": lat, "longitude": lon}}


class CorpusStrategy:
    """Planning parts for a corpus understood and grouped by the pipeline.

    Args:
        tools: every tool of the corpus (distractors come from all of them).
        groups: the choice points.
        model: the embedding fit of preferences.
        prefix: users are ``<prefix>-<split>-uNNNN``.
        personas: the LLM's persona pool (None: draw preferences offline).
        n_candidates: candidates per task (at least the group's size).
        profile_params: fill profile parameters from the profile.
        environment: give each task an environment (coordinates come from it).
    """

    def __init__(
        self,
        tools: Sequence[Tool],
        groups: Sequence[Group],
        model: EmbeddingPreferences,
        *,
        prefix: str,
        personas: Sequence[Preference] | None = None,
        n_candidates: int = N_CANDIDATES,
        profile_params: bool = True,
        environment: bool = False,
    ):
        self.model = model
        self._groups = list(groups)
        self.prefix = prefix
        self.personas = list(personas) if personas else None
        self.n_candidates = n_candidates
        self.profile_params = profile_params
        self.with_environment = environment
        self._tools = {t.name: t for t in tools}
        self._all = [t.name for t in tools]
        self._by_category: dict[str, list[str]] = {}
        for t in tools:
            self._by_category.setdefault(t.category, []).append(t.name)

    @property
    def groups(self) -> Sequence[GroupLike]:
        """The choice points."""
        return self._groups

    def user_id(self, split: str, number: int) -> str:
        """``<prefix>-<split>-uNNNN``."""
        return f"{self.prefix}-{split}-u{number:04d}"

    def _preference(self, rng: random.Random, avoid: Sequence[str] = ()) -> Preference:
        if self.personas:
            return draw_persona(rng, self.personas, avoid)
        return sample_preference(rng, avoid)

    def make_user(self, rng: random.Random, user_id: str, mode: HistoryMode) -> PlannedUser:
        """A profile and a preference; a chronological user's new one avoids the old's focus."""
        profile = make_profile(rng)
        if mode != "chronological":
            return PlannedUser(user_id, mode, profile, self._preference(rng))
        old = self._preference(rng)
        return PlannedUser(user_id, mode, profile, self._preference(rng, old.dominant), old)

    def environment(self, user: PlannedUser, rng: random.Random) -> dict[str, Any]:
        """An environment when the suite has them, else none."""
        return sample_environment(user.profile, rng) if self.with_environment else {}

    def make_call(
        self,
        group: GroupLike,
        index: int,
        user: PlannedUser,
        environment: dict[str, Any] | None,
        rng: random.Random,
    ) -> PlannedCall:
        """A drafted call of the member (past calls take coordinates from home), its request
        in the words of any member (drawn), so that the wording does not give the choice away."""
        tool = group.tools[index]
        voice = group.tools[rng.randrange(len(group.tools))].functionality
        env = (
            environment if environment else (_home(user.profile) if self.with_environment else None)
        )
        return draft_call(
            tool, user.profile, env, rng, profile_params=self.profile_params, voice=voice
        )

    def candidates(self, group: GroupLike, rng: random.Random) -> list[str]:
        """The members plus distractors (1–2 of the same category when there are some)."""
        members = set(group.names)
        n_distract = max(self.n_candidates - len(members), 0)
        chosen: list[str] = []
        same = self._by_category.get(group.category, [])
        want_same = min(rng.randint(1, 2), n_distract)
        self._draw(rng, same, want_same, members, chosen, tries=20)
        self._draw(rng, self._all, n_distract - len(chosen), members, chosen, tries=200)
        names = group.names + chosen
        rng.shuffle(names)
        return names

    @staticmethod
    def _draw(
        rng: random.Random,
        pool: list[str],
        n: int,
        members: set[str],
        chosen: list[str],
        *,
        tries: int,
    ) -> None:
        """Add up to ``n`` names of ``pool`` (not members, not yet chosen) to ``chosen``."""
        added = 0
        for _ in range(tries * max(n, 1)):
            if added >= n or not pool:
                return
            name = pool[rng.randrange(len(pool))]
            if name not in members and name not in chosen:
                chosen.append(name)
                added += 1

    def task_extra(self, user: PlannedUser, target: GroupLike, plan: HistoryPlan) -> dict[str, Any]:
        """Group id, the user's preference (and the old one), whether the target is in history."""
        pref: Preference = user.preference
        extra: dict[str, Any] = {
            "group_id": target.id,
            "preference": pref.label,
            "preference_weights": dict(pref.weights),
            "preference_priorities": dict(pref.priorities),
            "target_in_history": any(g.id == target.id for g, _, _ in plan.slots),
        }
        if user.old_preference is not None:
            old: Preference = user.old_preference
            old_idx = self.model.preferred(old, target)
            extra["old_preferred_tool"] = None if old_idx is None else target.tools[old_idx].name
            extra["old_preference"] = old.label
            extra["old_preference_weights"] = dict(old.weights)
            extra["old_preference_priorities"] = dict(old.priorities)
            extra["change_step"] = plan.change_step
        return extra
