"""``petool synth validate DIR``: check every task of a synthesized suite.

For each task:

* ``gold``: one gold call, of the task's ``meta.preferred_tool``, with arguments valid for
  the tool's JSON Schema;
* ``group``: the gold tool belongs to a choice point of at least two tools, recorded as the
  task's ``meta.functional_group``, and every member is among the candidates;
* ``preferred``: recomputed from the user's preference (the embedding fit, or the demo's
  attribute weights), the gold tool is the group's preferred member, by the margin;
* ``history``: each past call is to a member of a choice point and agrees with the mode:
  ``preferred`` — the preferred member, no rating; ``rated`` — +1 exactly for the preferred
  member, both ratings present; ``chronological`` — the old preference's member before
  ``change_step``, the current one from it on;
* ``names_tool``: the request names no candidate (provider, API identifier, full name);
* ``user``: a user has one mode, one profile and one split.

Groups come from ``groups.jsonl`` when the directory has one, else from tools sharing a
functionality (the demo suite). Preferences come from each task's metadata.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from petool.embedding import TextEncoder
from petool.errors import InputError
from petool.io import iter_jsonl_raw
from petool.schema import Suite, Task, Tool
from petool.suites.directory import load_suite_dir
from petool.synth.demo_catalog import FunctionalGroup
from petool.synth.demo_users import MARGIN as DEMO_MARGIN
from petool.synth.demo_users import Preference as WeightPreference
from petool.synth.demo_users import preferred_index as weight_preferred
from petool.synth.grouping import Group
from petool.synth.preferences import MARGIN, EmbeddingPreferences, Preference
from petool.synth.quality import RuleChecker, check_arguments

CHECKS = ("gold", "group", "preferred", "history", "names_tool", "user")


@dataclass
class ValidationReport:
    """Tasks checked, problems found (first ``limit`` kept verbatim), counts per check."""

    tasks: int = 0
    failed_tasks: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    limit: int = 50

    @property
    def ok(self) -> bool:
        """No task failed."""
        return self.failed_tasks == 0

    def add(self, where: str, check: str, message: str) -> None:
        """Record one problem."""
        self.counts[check] += 1
        if len(self.problems) < self.limit:
            self.problems.append(f"{where}: {check}: {message}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "ok": self.ok,
            "tasks": self.tasks,
            "failed_tasks": self.failed_tasks,
            "problems_by_check": {c: self.counts[c] for c in CHECKS if self.counts[c]},
            "problems": list(self.problems),
        }


def _groups(root: Path, tools: Sequence[Tool]) -> list[Group]:
    by_name = {t.name: t for t in tools}
    path = root / "groups.jsonl"
    groups: list[Group] = []
    if path.is_file():
        for line, record in iter_jsonl_raw(path):
            try:
                members = [by_name[n] for n in record["members"]]
                groups.append(Group(str(record["id"]), str(record.get("category", "")),
                                    str(record.get("functionality", "")), members))  # fmt: skip
            except (KeyError, TypeError) as exc:
                raise InputError(f"{path}:{line}: field 'members': unknown tool {exc}") from None
        return groups
    shared: dict[tuple[str, str], list[Tool]] = {}
    for t in tools:
        if t.functionality:
            shared.setdefault((t.category, t.functionality), []).append(t)
    for k, ((category, functionality), members) in enumerate(shared.items()):
        if len(members) >= 2:
            groups.append(Group(f"f{k:05d}", category, functionality, members))
    return groups


class _Chooser:
    """The preferred member of a group under a task's preference (either model)."""

    def __init__(self, suite: Suite, groups: Sequence[Group], encoder: TextEncoder | None):
        self.groups = groups
        self.tools = suite.tools
        synth = (suite.info.model_extra or {}).get("synth") or {}
        self.margin = float(synth.get("margin", MARGIN))
        self._encoder = encoder
        self._embedding: EmbeddingPreferences | None = None
        self._prefs: dict[str, Any] = {}
        self._demo_groups: dict[str, FunctionalGroup] = {}

    def _model(self) -> EmbeddingPreferences:
        if self._embedding is None:
            encoder = self._encoder
            if encoder is None:
                from petool.embedding import get_embedder

                encoder = get_embedder("cpu")
            self._embedding = EmbeddingPreferences(self.tools, self.groups, encoder, self.margin)
        return self._embedding

    def preference(self, meta: Mapping[str, Any], prefix: str) -> Any:
        """The preference stored under ``<prefix>_priorities`` / ``<prefix>_weights``."""
        weights = meta.get(f"{prefix}_weights")
        if not isinstance(weights, dict):
            return None
        priorities = meta.get(f"{prefix}_priorities")
        key = json.dumps([priorities, weights], sort_keys=True)
        if key not in self._prefs:
            if isinstance(priorities, dict):
                self._prefs[key] = Preference(dict(priorities), dict(weights), ())
            else:
                self._prefs[key] = WeightPreference(weights=dict(weights), dominant=())
        return self._prefs[key]

    def preferred(self, pref: Any, group: Group) -> str | None:
        """Name of the preferred member, or None when none wins by the margin."""
        if isinstance(pref, Preference):
            idx = self._model().preferred(pref, group)
        else:
            demo = self._demo_groups.get(group.id)
            if demo is None:
                demo = FunctionalGroup(
                    id=group.id,
                    category=group.category,
                    api="",
                    functionality=group.functionality,
                    parameters={},
                    personalized=[],
                    samplers={},
                    templates=[],
                    tools=group.tools,
                )
                self._demo_groups[group.id] = demo
            idx = weight_preferred(pref, demo, DEMO_MARGIN)
        return None if idx is None else group.tools[idx].name


def _check_history(task: Task, meta: Mapping[str, Any], chooser: _Chooser,
                   group_of: Mapping[str, Group], pref: Any) -> str | None:  # fmt: skip
    history = task.user.history
    if [h.step for h in history] != list(range(len(history))):
        return "steps are not 0, 1, 2, ..."
    old = chooser.preference(meta, "old_preference")
    change = meta.get("change_step")
    change_step = change if isinstance(change, int) else 0
    if task.mode == "chronological" and (old is None or not isinstance(change, int)):
        return "a chronological task needs old_preference_weights and change_step"
    for h in history:
        group = group_of.get(h.call.tool)
        if group is None:
            return f"step {h.step}: '{h.call.tool}' is in no choice point"
        current = old if task.mode == "chronological" and h.step < change_step else pref
        best = chooser.preferred(current, group)
        if task.mode == "rated":
            if h.rating not in (1, -1) or (h.call.tool == best) != (h.rating == 1):
                return f"step {h.step}: rating {h.rating} of '{h.call.tool}' (preferred: {best})"
        elif h.rating is not None or h.call.tool != best:
            return f"step {h.step}: '{h.call.tool}' is not the preferred member ({best})"
    if task.mode == "rated" and history and {h.rating for h in history} != {1, -1}:
        return "a rated history needs liked and disliked calls"
    return None


def _check_task(task: Task, suite_tools: Mapping[str, Tool], chooser: _Chooser,
                group_of: Mapping[str, Group], checker: RuleChecker,
                report: ValidationReport, where: str) -> None:  # fmt: skip
    before = sum(report.counts.values())
    meta = task.meta.model_extra or {}
    if len(task.gold) != 1 or task.gold[0].tool != task.meta.preferred_tool:
        report.add(where, "gold", "expected one gold call of meta.preferred_tool")
        report.failed_tasks += 1
        return
    gold = task.gold[0]
    problems = check_arguments(suite_tools[gold.tool], gold.arguments)
    if problems:
        report.add(where, "gold", problems[0])
    group = group_of.get(gold.tool)
    if group is None or len(group.tools) < 2:
        report.add(where, "group", f"'{gold.tool}' is in no choice point of two or more")
    else:
        if sorted(task.meta.functional_group) != sorted(group.names):
            report.add(where, "group", "meta.functional_group differs from the choice point")
        missing = [n for n in group.names if n not in task.candidates]
        if missing:
            report.add(where, "group", f"member '{missing[0]}' is not among the candidates")
        pref = chooser.preference(meta, "preference")
        if pref is None:
            report.add(where, "preferred", "no preference_weights in the task's metadata")
        else:
            best = chooser.preferred(pref, group)
            if best != gold.tool:
                report.add(where, "preferred", f"the preferred member is {best}, not the gold")
            problem = _check_history(task, meta, chooser, group_of, pref)
            if problem is not None:
                report.add(where, "history", problem)
        context = suite_tools[gold.tool].functionality
        names = [*task.candidates, *group.names]
        if checker.names_tool(task.instruction, names, context, gold.arguments):
            report.add(where, "names_tool", f"the request names a candidate: {task.instruction!r}")
    if sum(report.counts.values()) > before:
        report.failed_tasks += 1


def validate_suite(
    path: str | Path, *, encoder: TextEncoder | None = None, limit: int = 50
) -> ValidationReport:
    """Check every task of the suite directory ``path`` (see the module docstring).

    Args:
        path: a suite directory written by ``petool synth`` (or the demo suite).
        encoder: the sentence embedder (default: the bundled all-MiniLM-L6-v2).
        limit: how many problems to keep verbatim.

    Raises:
        InputError: the directory is not a loadable suite.
    """
    root = Path(path)
    suite = load_suite_dir(root)
    tools = suite.tool_index()
    groups = _groups(root, suite.tools)
    group_of = {t.name: g for g in groups for t in g.tools}
    chooser = _Chooser(suite, groups, encoder)
    checker = RuleChecker(tools, {n: g.names for n, g in group_of.items()})
    report = ValidationReport(limit=limit)
    users: dict[str, tuple[Any, ...]] = {}
    for line, task in enumerate(suite.tasks, start=1):
        where = f"{root / 'tasks.jsonl'}:{line}: task '{task.id}'"
        report.tasks += 1
        failed = report.failed_tasks
        _check_task(task, tools, chooser, group_of, checker, report, where)
        seen = (task.mode, task.meta.split, json.dumps(task.user.profile, sort_keys=True))
        if users.setdefault(task.user.user_id, seen) != seen:
            report.add(where, "user", f"user '{task.user.user_id}' changes mode, split or profile")
            report.failed_tasks += report.failed_tasks == failed
    return report
