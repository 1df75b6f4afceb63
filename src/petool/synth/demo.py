"""Generate the built-in ``demo`` suite from the demo catalog (seeded, byte-reproducible).

Users have preferences over non-functional tool attributes (cheap, fast, accurate, ad-free,
private, wide coverage, high rate limit). For each task the user asks for a functionality
offered by 2–5 interchangeable tools; the gold call is the member the user's preference picks
(by a margin), with the required values from the instruction and the personalized optional
values (language, units, currency, ...) from the user's habits, visible in the profile and in
past calls. Run ``python -m petool.synth.demo --out DIR --seed S``.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from petool.io import write_json, write_jsonl
from petool.schema import HISTORY_MODES, HistoryMode, Suite, SuiteInfo, Task, TaskMeta, UserContext
from petool.suites.demo import DEMO_DIR
from petool.synth.demo_catalog import Catalog, FunctionalGroup, load_catalog
from petool.synth.demo_history import DemoUser, build_history, make_call, plan_history
from petool.synth.demo_users import make_profile, preferred_index, sample_preference

SHIPPED_DIR = DEMO_DIR
SPLITS = ("test", "train")
DESCRIPTION = (
    "petool's own catalog: 50 functionalities each offered by 2-5 interchangeable tools that "
    "differ in cost, latency, accuracy, ads, privacy, coverage and rate limit; users prefer "
    "some of these attributes and show it through their history (3 modes)."
)


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and rates of the generated suite."""

    test_per_mode: int = 240
    train_per_mode: int = 400
    tasks_per_user: int = 4
    n_candidates: int = 8
    min_history: int = 3
    max_history: int = 10
    target_in_history: float = 0.25
    chronological_changed: float = 0.85
    balance_power: float = 2.0


def _make_user(rng: random.Random, user_id: str, mode: HistoryMode) -> DemoUser:
    profile = make_profile(rng)
    if mode != "chronological":
        return DemoUser(user_id, mode, profile, sample_preference(rng))
    old = sample_preference(rng)
    new = sample_preference(rng, avoid=old.dominant)
    return DemoUser(user_id, mode, profile, new, old)


def _targets(
    user: DemoUser,
    catalog: Catalog,
    rng: random.Random,
    n: int,
    config: DemoConfig,
    counts: Counter[tuple[str, int]],
) -> list[FunctionalGroup]:
    """``n`` distinct target groups with a well-defined preferred member.

    Groups whose preferred member has been the gold answer less often so far are favoured
    (``counts``, updated here), so that no member becomes the answer by a prior alone.
    """
    best: dict[str, int] = {}
    for g in catalog.groups:
        idx = preferred_index(user.preference, g)
        if idx is not None:
            best[g.id] = idx
    ok = [g for g in catalog.groups if g.id in best]
    changed: list[FunctionalGroup] = []
    if user.old_preference is not None:
        for g in ok:
            old = preferred_index(user.old_preference, g)
            if old is not None and old != best[g.id]:
                changed.append(g)
    out: list[FunctionalGroup] = []
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


def _candidates(group: FunctionalGroup, catalog: Catalog, rng: random.Random, n: int) -> list[str]:
    """The group's members plus distractors (1–2 from the same category), shuffled."""
    same: list[str] = []
    other: list[str] = []
    for g in catalog.groups:
        if g.id != group.id:
            (same if g.category == group.category else other).extend(g.names)
    n_distract = max(n - len(group.tools), 0)
    k_same = min(len(same), rng.randint(1, 2), n_distract)
    names = group.names + rng.sample(same, k_same) + rng.sample(other, n_distract - k_same)
    rng.shuffle(names)
    return names


def _make_task(
    task_id: str,
    split: str,
    user: DemoUser,
    target: FunctionalGroup,
    catalog: Catalog,
    rng: random.Random,
    config: DemoConfig,
) -> Task:
    length = rng.randint(config.min_history, config.max_history)
    include_target = rng.random() < config.target_in_history
    plan = plan_history(user, target, catalog, rng, length=length, include_target=include_target)
    history = build_history(user, plan, rng)
    idx = preferred_index(user.preference, target)
    assert idx is not None
    instruction, gold = make_call(target, idx, user.profile, rng)
    extra: dict[str, Any] = {
        "group_id": target.id,
        "preference": user.preference.label,
        "preference_weights": dict(user.preference.weights),
        "target_in_history": any(g.id == target.id for g, _, _ in plan.slots),
    }
    if user.old_preference is not None:
        old_idx = preferred_index(user.old_preference, target)
        extra["old_preferred_tool"] = None if old_idx is None else target.tools[old_idx].name
        extra["old_preference"] = user.old_preference.label
        extra["old_preference_weights"] = dict(user.old_preference.weights)
        extra["change_step"] = plan.change_step
    meta = TaskMeta(
        split=split,
        category=target.category,
        history_length=len(history),
        functional_group=target.names,
        preferred_tool=gold.tool,
        query_params=target.required,
        profile_params=list(target.personalized),
        **extra,
    )
    return Task(
        id=task_id,
        instruction=instruction,
        user=UserContext(
            user_id=user.user_id,
            history=history,
            history_mode=user.mode,
            profile=dict(user.profile),
        ),
        candidates=_candidates(target, catalog, rng, config.n_candidates),
        gold=[gold],
        meta=meta,
    )


def _split_tasks(
    split: str, catalog: Catalog, rng: random.Random, config: DemoConfig, per_mode: int
) -> list[Task]:
    """``per_mode`` tasks of each history mode, from users of this split only."""
    counts = dict.fromkeys(HISTORY_MODES, 0)
    gold_counts: Counter[tuple[str, int]] = Counter()
    tasks: list[Task] = []
    n_user = 0
    while any(c < per_mode for c in counts.values()):
        mode = HISTORY_MODES[n_user % len(HISTORY_MODES)]
        n_user += 1
        if counts[mode] >= per_mode:
            continue
        user = _make_user(rng, f"demo-{split}-u{n_user:04d}", mode)
        n = min(config.tasks_per_user, per_mode - counts[mode])
        for target in _targets(user, catalog, rng, n, config, gold_counts):
            task_id = f"demo-{split}-{len(tasks):05d}"
            tasks.append(_make_task(task_id, split, user, target, catalog, rng, config))
            counts[mode] += 1
    return tasks


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


def build_demo_suite(
    seed: int = 0, config: DemoConfig | None = None, catalog: Catalog | None = None
) -> Suite:
    """Build the demo suite in memory (same seed and config: same suite)."""
    config = config or DemoConfig()
    catalog = catalog or load_catalog()
    rng = random.Random(seed)
    tasks: list[Task] = []
    sizes = {"test": config.test_per_mode, "train": config.train_per_mode}
    for split in SPLITS:
        tasks += _split_tasks(split, catalog, rng, config, sizes[split])
    info = SuiteInfo(
        name="demo",
        scorer="unified",
        prompt_style="unified",
        description=DESCRIPTION,
        splits=list(SPLITS),
        default_split="test",
    )
    suite = Suite(info=info, tools=catalog.tools, tasks=tasks)
    extra = {"generator": "petool.synth.demo", "seed": seed, "stats": suite_stats(suite)}
    suite.info = SuiteInfo(**info.model_dump(), **extra)
    return suite


def write_demo_suite(suite: Suite, out_dir: Path) -> Path:
    """Write ``suite.json``, ``tools.jsonl`` and ``tasks.jsonl`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "suite.json", suite.info)
    write_jsonl(out_dir / "tools.jsonl", suite.tools)
    write_jsonl(out_dir / "tasks.jsonl", [_compact(t) for t in suite.tasks])
    for name in ("suite.json", "tools.jsonl", "tasks.jsonl"):
        (out_dir / name).chmod(0o644)  # atomic writes create owner-only files
    return out_dir


def _compact(task: Task) -> dict[str, Any]:
    """A task as JSON without the always-empty ``alternatives`` of its calls (file size)."""
    calls = {"__all__": {"alternatives"}}
    exclude: Any = {"gold": calls, "user": {"history": {"__all__": {"call": {"alternatives"}}}}}
    data: dict[str, Any] = task.model_dump(mode="json", exclude=exclude)
    return data


def generate_demo_suite(
    out_dir: Path | None,
    seed: int = 0,
    config: DemoConfig | None = None,
    catalog: Catalog | None = None,
) -> Suite:
    """Generate the demo suite and write it to ``out_dir`` (``None``: do not write).

    Args:
        out_dir: directory for ``suite.json``, ``tools.jsonl``, ``tasks.jsonl``.
        seed: seed of the only random generator used; same seed, same bytes.
        config: sizes and rates (defaults: 240 test and 400 train tasks per mode).
        catalog: the tool catalog (default: the shipped ``demo_catalog.json``).

    Returns:
        The generated suite.
    """
    suite = build_demo_suite(seed, config, catalog)
    if out_dir is not None:
        write_demo_suite(suite, Path(out_dir))
    return suite


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m petool.synth.demo --out DIR --seed S``."""
    parser = argparse.ArgumentParser(prog="python -m petool.synth.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR, help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--test-per-mode", type=int, default=DemoConfig.test_per_mode)
    parser.add_argument("--train-per-mode", type=int, default=DemoConfig.train_per_mode)
    args = parser.parse_args(argv)
    config = DemoConfig(test_per_mode=args.test_per_mode, train_per_mode=args.train_per_mode)
    suite = generate_demo_suite(args.out, seed=args.seed, config=config)
    stats = suite.info.model_dump().get("stats", {})
    print(f"wrote {args.out}: {stats.get('tools')} tools, tasks {stats.get('tasks')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
