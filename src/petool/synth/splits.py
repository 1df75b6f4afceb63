"""Splits by user and the suite directory the pipeline writes.

Users are split before any task is drawn: the ``test`` users never appear in ``train``
(unseen users), and each split's tasks come from its own users only. The output directory
is a petool suite (``suite.json``, ``tools.jsonl``, ``tasks.jsonl``, loadable with
``load_suite(DIR)``) plus the synthesis record that ``petool synth validate`` reads:
``groups.jsonl`` (every choice point and its members) and ``users.jsonl`` (each user's
split, mode, profile and preferences), and ``report.json`` (corpus problems, quality
control, LLM counters).
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from petool.io import dumps, write_json, write_jsonl
from petool.schema import HISTORY_MODES, Suite, Task
from petool.synth.histories import GroupLike, PlannedUser

SPLITS = ("test", "train")
SUITE_FILES = ("suite.json", "tools.jsonl", "tasks.jsonl")
RECORD_FILES = ("groups.jsonl", "users.jsonl", "report.json")


def users_per_split(users: int, test_fraction: float) -> dict[str, int]:
    """How many users each split gets: ``test`` the fraction (at least one), ``train`` the rest."""
    test = min(users, max(1, round(users * test_fraction))) if users else 0
    return {"test": test, "train": users - test}


def compact(task: Task) -> dict[str, Any]:
    """A task as JSON without the always-empty ``alternatives`` of its calls (file size)."""
    calls = {"__all__": {"alternatives"}}
    exclude: Any = {"gold": calls, "user": {"history": {"__all__": {"call": {"alternatives"}}}}}
    data: dict[str, Any] = task.model_dump(mode="json", exclude=exclude)
    return data


def renumber(tasks: Sequence[Task], prefix: str) -> list[Task]:
    """Task ids ``<prefix>-<split>-NNNNN`` counted per split (after quality control)."""
    counts: Counter[str] = Counter()
    out = []
    for task in tasks:
        split = task.meta.split
        new_id = f"{prefix}-{split}-{counts[split]:05d}"
        counts[split] += 1
        out.append(task if task.id == new_id else task.model_copy(update={"id": new_id}))
    return out


def user_record(user: PlannedUser, split: str) -> dict[str, Any]:
    """A line of ``users.jsonl``."""

    def pref(p: Any) -> Any:
        as_dict = getattr(p, "as_dict", None)
        if callable(as_dict):
            return as_dict()
        return {"label": getattr(p, "label", ""), "weights": dict(getattr(p, "weights", {}))}

    record: dict[str, Any] = {
        "user_id": user.user_id,
        "split": split,
        "mode": user.mode,
        "profile": dict(user.profile),
        "preference": pref(user.preference),
    }
    if user.old_preference is not None:
        record["old_preference"] = pref(user.old_preference)
    return record


def _summary(values: Iterable[int]) -> dict[str, Any]:
    data = sorted(values)
    if not data:
        return {"n": 0}
    counts = Counter(data)
    return {
        "n": len(data),
        "min": data[0],
        "mean": round(statistics.fmean(data), 3),
        "median": statistics.median(data),
        "max": data[-1],
        "histogram": {str(k): counts[k] for k in sorted(counts)},
    }


def suite_statistics(suite: Suite, groups: Sequence[GroupLike] = ()) -> dict[str, Any]:
    """Counts of a synthesized suite (what the note compares with PEToolBench)."""
    per_split: dict[str, dict[str, int]] = {}
    users: dict[str, set[str]] = {}
    for task in suite.tasks:
        modes = per_split.setdefault(task.meta.split, dict.fromkeys(HISTORY_MODES, 0))
        modes[task.mode or "preferred"] += 1
        users.setdefault(task.meta.split, set()).add(task.user.user_id)
    return {
        "tools": len(suite.tools),
        "categories": len({t.category for t in suite.tools}),
        "choice_points": len(groups),
        "tools_in_choice_points": sum(len(g.tools) for g in groups),
        "choice_point_sizes": _summary(len(g.tools) for g in groups),
        "tasks": per_split,
        "users": {s: len(u) for s, u in sorted(users.items())},
        "task_group_sizes": _summary(len(t.meta.functional_group) for t in suite.tasks),
        "history_length": _summary(len(t.user.history) for t in suite.tasks),
        "params_per_call": _summary(len(t.gold[0].arguments) for t in suite.tasks if t.gold),
        "candidates_per_task": _summary(len(t.candidates) for t in suite.tasks),
    }


def stream_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Write JSONL line by line into a temporary file, then move it into place (atomic).

    Unlike building the whole text first, memory stays at one line (large suites).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for record in records:
                fh.write(dumps(record) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_suite_dir(
    suite: Suite,
    out_dir: str | Path,
    *,
    groups: Sequence[dict[str, Any]] | None = None,
    users: Sequence[dict[str, Any]] | None = None,
    report: dict[str, Any] | None = None,
) -> Path:
    """Write the suite files (and the synthesis record when given) into ``out_dir``.

    Files are written atomically and made world-readable (0644).
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / "suite.json", suite.info)
    write_jsonl(root / "tools.jsonl", suite.tools)
    stream_jsonl(root / "tasks.jsonl", (compact(t) for t in suite.tasks))
    written = list(SUITE_FILES)
    if groups is not None:
        write_jsonl(root / "groups.jsonl", groups)
        written.append("groups.jsonl")
    if users is not None:
        write_jsonl(root / "users.jsonl", users)
        written.append("users.jsonl")
    if report is not None:
        write_json(root / "report.json", report)
        written.append("report.json")
    for name in written:
        (root / name).chmod(0o644)  # atomic writes create owner-only files
    return root
