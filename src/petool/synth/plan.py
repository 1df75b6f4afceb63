"""The planning driver: users, their choice points, histories and calls, task by task.

One loop per split draws users (modes in turn), gives each user target choice points
(favouring groups whose preferred member has been the answer less often, so no member wins
by a prior alone), plans each task's history (:mod:`petool.synth.histories`) and asks the
strategy for the calls (draft instructions and arguments) and the candidates. Everything is
drawn from one ``random.Random`` in a fixed order: same seed, same plan.

A :class:`Strategy` supplies the parts that depend on the corpus: the demo catalog (its
attribute weights and templates, :mod:`petool.synth.demo`) and any corpus through the
pipeline (:mod:`petool.synth.strategy`) run through this same driver.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from petool.errors import RunError
from petool.schema import HistoryMode, Interaction, Task, TaskMeta, ToolCall, UserContext
from petool.synth.histories import GroupLike, HistoryPlan, PlannedUser, PreferenceModel
from petool.synth.histories import plan_history as _plan_history

#: Users in a row without a single task before the driver gives up (no choice points).
MAX_IDLE_USERS = 2000


@dataclass(frozen=True)
class PlanConfig:
    """Rates and lengths of the planned tasks."""

    min_history: int = 3
    max_history: int = 10
    target_in_history: float = 0.25
    chronological_changed: float = 0.85
    balance_power: float = 2.0


@dataclass
class PlannedCall:
    """A call with its draft instruction and where each argument's value comes from."""

    instruction: str
    call: ToolCall
    query_params: list[str] = field(default_factory=list)
    profile_params: list[str] = field(default_factory=list)
    environment_params: list[str] = field(default_factory=list)


class Strategy(Protocol):
    """The corpus-dependent parts of planning."""

    @property
    def model(self) -> PreferenceModel:
        """The preference model."""
        ...

    @property
    def groups(self) -> Sequence[GroupLike]:
        """The choice points, in a fixed order."""
        ...

    def user_id(self, split: str, number: int) -> str:
        """The id of the ``number``-th user drawn for ``split``."""
        ...

    def make_user(self, rng: random.Random, user_id: str, mode: HistoryMode) -> PlannedUser:
        """A new user: profile and preference (and an old preference if chronological)."""
        ...

    def environment(self, user: PlannedUser, rng: random.Random) -> dict[str, Any]:
        """The environment of one task (empty when the suite has none)."""
        ...

    def make_call(
        self,
        group: GroupLike,
        index: int,
        user: PlannedUser,
        environment: dict[str, Any] | None,
        rng: random.Random,
    ) -> PlannedCall:
        """A call of member ``index`` of ``group`` by ``user`` (``environment``: target only)."""
        ...

    def candidates(self, group: GroupLike, rng: random.Random) -> list[str]:
        """The candidate tools of a task whose target is ``group``, shuffled."""
        ...

    def task_extra(self, user: PlannedUser, target: GroupLike, plan: HistoryPlan) -> dict[str, Any]:
        """Extra ``TaskMeta`` fields of a task (group id, preference, ...)."""
        ...


class Quota(Protocol):
    """When a split has enough users or tasks."""

    def done(self) -> bool:
        """Whether the split is complete."""
        ...

    def wants(self, mode: HistoryMode) -> int:
        """How many tasks the next user of ``mode`` should get (0: skip this user)."""
        ...

    def add(self, mode: HistoryMode, tasks: int) -> None:
        """Record one user of ``mode`` with ``tasks`` tasks."""
        ...


@dataclass
class ModeQuota:
    """``per_mode`` tasks of each mode, at most ``tasks_per_user`` per user."""

    per_mode: int
    tasks_per_user: int
    modes: Sequence[HistoryMode]
    counts: dict[str, int] = field(default_factory=dict)

    def done(self) -> bool:
        """All modes have their tasks."""
        return all(self.counts.get(m, 0) >= self.per_mode for m in self.modes)

    def wants(self, mode: HistoryMode) -> int:
        """Tasks still missing for ``mode``, at most ``tasks_per_user``."""
        return max(min(self.tasks_per_user, self.per_mode - self.counts.get(mode, 0)), 0)

    def add(self, mode: HistoryMode, tasks: int) -> None:
        """Count the tasks."""
        self.counts[mode] = self.counts.get(mode, 0) + tasks


@dataclass
class UserQuota:
    """``users`` users with ``tasks_per_user`` tasks each."""

    users: int
    tasks_per_user: int
    made: int = 0

    def done(self) -> bool:
        """All users were drawn."""
        return self.made >= self.users

    def wants(self, mode: HistoryMode) -> int:
        """Always ``tasks_per_user``."""
        return self.tasks_per_user

    def add(self, mode: HistoryMode, tasks: int) -> None:
        """Count the user."""
        self.made += 1


@dataclass
class PlannedSplit:
    """The tasks of one split, the users who made them, each past request's query params."""

    split: str
    tasks: list[Task]
    users: list[PlannedUser]
    history_params: dict[str, list[list[str]]] = field(default_factory=dict)


def choose_targets(
    strategy: Strategy,
    user: PlannedUser,
    rng: random.Random,
    n: int,
    config: PlanConfig,
    counts: Counter[tuple[str, int]],
) -> list[GroupLike]:
    """``n`` distinct target groups with a well-defined preferred member.

    Groups whose preferred member has been the gold answer less often so far are favoured
    (``counts``, updated here). A chronological user gets, with probability
    ``chronological_changed``, a group whose preferred member changed with the preference.
    """
    model = strategy.model
    best = {g.id: i for g, i in model.eligible(user.preference)}
    ok = [g for g in strategy.groups if g.id in best]
    changed: list[GroupLike] = []
    if user.old_preference is not None:
        for g in ok:
            old = model.preferred(user.old_preference, g)
            if old is not None and old != best[g.id]:
                changed.append(g)
    out: list[GroupLike] = []
    for _ in range(n):
        pool = [g for g in ok if g not in out]
        pool_changed = [g for g in changed if g not in out]
        if pool_changed and rng.random() < config.chronological_changed:
            pool = pool_changed
        if not pool:
            break
        weights = [1.0 / (1 + counts[(g.id, best[g.id])]) ** config.balance_power for g in pool]
        choice = rng.choices(pool, weights=weights)[0]
        counts[(choice.id, best[choice.id])] += 1
        out.append(choice)
    return out


def build_history(
    strategy: Strategy, user: PlannedUser, plan: HistoryPlan, rng: random.Random
) -> tuple[list[Interaction], list[list[str]]]:
    """Planned entries as interactions, and the query parameters each past request states."""
    history = []
    stated = []
    for step, (group, index, rating) in enumerate(plan.slots):
        planned = strategy.make_call(group, index, user, None, rng)
        history.append(
            Interaction(
                instruction=planned.instruction, call=planned.call, rating=rating, step=step
            )
        )
        stated.append(planned.query_params)
    return history, stated


def plan_task(
    strategy: Strategy,
    task_id: str,
    split: str,
    user: PlannedUser,
    target: GroupLike,
    rng: random.Random,
    config: PlanConfig,
    history_params: dict[str, list[list[str]]] | None = None,
) -> Task:
    """One task: history, environment, the gold call of the preferred member, candidates.

    ``history_params`` (if given) receives, under the task id, the query parameters of each
    past request (what an LLM rewrite of that request must keep).
    """
    length = rng.randint(config.min_history, config.max_history)
    include_target = rng.random() < config.target_in_history
    plan = _plan_history(
        user, target, strategy.model, rng, length=length, include_target=include_target
    )
    history, stated = build_history(strategy, user, plan, rng)
    if history_params is not None:
        history_params[task_id] = stated
    idx = strategy.model.preferred(user.preference, target)
    if idx is None:
        raise RunError(f"target group '{target.id}' has no preferred member for {user.user_id}")
    environment = strategy.environment(user, rng)
    planned = strategy.make_call(target, idx, user, environment, rng)
    meta = TaskMeta(
        split=split,
        category=target.category,
        history_length=len(history),
        functional_group=target.names,
        preferred_tool=planned.call.tool,
        query_params=planned.query_params,
        profile_params=planned.profile_params,
        environment_params=planned.environment_params,
        **strategy.task_extra(user, target, plan),
    )
    return Task(
        id=task_id,
        instruction=planned.instruction,
        user=UserContext(
            user_id=user.user_id,
            history=history,
            history_mode=user.mode,
            profile=dict(user.profile),
            environment=environment,
        ),
        candidates=strategy.candidates(target, rng),
        gold=[planned.call],
        meta=meta,
    )


def plan_split(
    strategy: Strategy,
    split: str,
    quota: Quota,
    modes: Sequence[HistoryMode],
    rng: random.Random,
    config: PlanConfig,
    *,
    id_prefix: str,
    gold_counts: Counter[tuple[str, int]] | None = None,
    on_task: Any = None,
    keep_history_params: bool = False,
) -> PlannedSplit:
    """The tasks of one split, from users of this split only (modes in turn).

    Args:
        strategy: the corpus-dependent parts.
        split: the split's name (goes into task ids and ``meta.split``).
        quota: when the split is complete and how many tasks each user gets.
        modes: the history modes, drawn in turn.
        rng: the generator.
        config: history lengths and rates.
        id_prefix: task ids are ``<id_prefix>-<split>-<NNNNN>``.
        gold_counts: how often each (group, member) was the answer (shared across splits
            when given; a fresh counter per split otherwise).
        on_task: called with no arguments after each task (progress).
        keep_history_params: record each past request's query parameters in
            ``PlannedSplit.history_params`` (an LLM rewrite of the request needs them).

    Raises:
        RunError: no user gets any task (the corpus has no usable choice points).
    """
    counts: Counter[tuple[str, int]] = gold_counts if gold_counts is not None else Counter()
    out = PlannedSplit(split=split, tasks=[], users=[])
    tasks, users = out.tasks, out.users
    n_user = idle = 0
    while not quota.done():
        mode = modes[n_user % len(modes)]
        n_user += 1
        n = quota.wants(mode)
        if n <= 0:
            continue
        user = strategy.make_user(rng, strategy.user_id(split, n_user), mode)
        targets = choose_targets(strategy, user, rng, n, config, counts)
        for target in targets:
            task_id = f"{id_prefix}-{split}-{len(tasks):05d}"
            tasks.append(
                plan_task(
                    strategy,
                    task_id,
                    split,
                    user,
                    target,
                    rng,
                    config,
                    out.history_params if keep_history_params else None,
                )
            )
            if on_task is not None:
                on_task()
        quota.add(mode, len(targets))
        users.append(user)
        idle = 0 if targets else idle + 1
        if idle >= MAX_IDLE_USERS:
            raise RunError(
                f"split '{split}': {idle} users in a row got no task; the corpus has too few "
                "choice points with a well-defined preferred member (lower --margin or "
                "--group-threshold, or add tools)"
            )
    return out
