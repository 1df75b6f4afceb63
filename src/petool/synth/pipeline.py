"""The synthesis pipeline: a tool corpus in, a personalized tool-use suite out.

Stages (each a typed function; the expensive ones cached on disk, LLM requests cached one by
one, fallbacks included, so a killed run resumes without repeating them and writes the same
bytes, report.json included, as an uninterrupted run):

1. corpus → ``list[Tool]`` (:mod:`petool.synth.corpus`);
2. understanding → tools with functionality and attributes (:mod:`petool.synth.understand`);
3. grouping → choice points (:mod:`petool.synth.grouping`);
4. preferences → the fit of preferences to tools, and the LLM's personas
   (:mod:`petool.synth.preferences`);
5. plan → users, histories in three modes and drafted calls per split
   (:mod:`petool.synth.plan`, :mod:`petool.synth.histories`, :mod:`petool.synth.strategy`);
6. instructions → with an LLM, natural requests for the drafted calls
   (:mod:`petool.synth.instructions`);
7. quality → rule checks, and the LLM judge (:mod:`petool.synth.quality`);
8. splits and output → the suite directory (:mod:`petool.synth.splits`).

The demo catalog runs through the same driver with its own strategy (weights and templates
already written, so stages 2–4 are given): ``petool synth --corpus
src/petool/synth/catalog/demo_catalog.json --backend template --seed 0`` writes the shipped
demo suite byte for byte. Offline (``backend="template"``) the same seed gives the same bytes.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from petool.embedding import TextEncoder
from petool.errors import ConfigError
from petool.retry import RetryPolicy
from petool.schema import HISTORY_MODES, HistoryMode, Suite, SuiteInfo, Task, Tool
from petool.synth import stages
from petool.synth.corpus import Corpus, load_corpus
from petool.synth.demo_strategy import DESCRIPTION, DemoStrategy, suite_stats
from petool.synth.histories import GroupLike
from petool.synth.llm import ProgressFactory, SynthLLM, no_progress
from petool.synth.plan import ModeQuota, PlanConfig, PlannedSplit, Quota, Strategy, UserQuota
from petool.synth.plan import plan_split as _plan_split
from petool.synth.quality import QualityReport
from petool.synth.splits import SPLITS, renumber, suite_statistics, user_record, users_per_split
from petool.synth.splits import write_suite_dir as _write_suite_dir

TEMPLATE = "template"
DEMO_SIZES = (240, 400)
DEFAULT_USERS = 50


@dataclass(frozen=True)
class SynthConfig:
    """Everything a synthesis run depends on (see ``petool synth --help``)."""

    corpus: Path | None = None
    out: Path | None = None
    backend: str = TEMPLATE
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    users: int | None = None
    tasks_per_user: int = 4
    test_per_mode: int | None = None
    train_per_mode: int | None = None
    test_fraction: float = 0.2
    modes: tuple[HistoryMode, ...] = HISTORY_MODES
    seed: int = 0
    skip_invalid: bool = False
    name: str | None = None
    min_history: int = 3
    max_history: int = 10
    candidates: int | None = None
    group_threshold: float = 0.85
    max_group_size: int = 6
    margin: float = 0.05
    profile_params: bool = True
    environment: bool = False
    personas: int = 24
    min_score: int = 8
    judge: bool = True
    confirm_groups: bool = True
    rewrite_history: bool = True
    concurrency: int = 16
    max_retries: int = 4
    cache: bool = True
    cache_dir: Path | None = None
    record: bool = True

    def check(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        if self.min_history < 3 or self.max_history < self.min_history:
            raise ConfigError("history lengths: need 3 <= --min-history <= --max-history")
        if not 0.0 <= self.test_fraction < 1.0:
            raise ConfigError("--test-fraction: expected a value in [0, 1)")
        if not self.modes or any(m not in HISTORY_MODES for m in self.modes):
            raise ConfigError(f"--modes: expected some of {', '.join(HISTORY_MODES)}")
        if self.users is not None and self.users < 1:
            raise ConfigError("--users: expected at least 1")
        if self.tasks_per_user < 1:
            raise ConfigError("--tasks-per-user: expected at least 1")
        if self.margin < 0 or not 0 < self.group_threshold <= 1:
            raise ConfigError("--margin must be >= 0 and --group-threshold in (0, 1]")
        if self.max_group_size < 2:
            raise ConfigError("--max-group-size: expected at least 2")
        if not 1 <= self.min_score <= 10:
            raise ConfigError("--min-score: expected 1 to 10")

    def settings(self) -> dict[str, Any]:
        """The settings recorded in ``suite.json`` (no paths, no credentials)."""
        return {
            "backend": self.backend,
            "users": self.users,
            "tasks_per_user": self.tasks_per_user,
            "test_per_mode": self.test_per_mode,
            "train_per_mode": self.train_per_mode,
            "test_fraction": self.test_fraction,
            "modes": list(self.modes),
            "history": [self.min_history, self.max_history],
            "candidates": self.candidates,
            "group_threshold": self.group_threshold,
            "max_group_size": self.max_group_size,
            "margin": self.margin,
            "preference_model": "embedding",
            "profile_params": self.profile_params,
            "environment": self.environment,
            "min_score": self.min_score if self.backend != TEMPLATE and self.judge else None,
        }


@dataclass(repr=False)
class SynthResult:
    """The suite, where it was written, the run's report and this process's session.

    ``report`` is what ``report.json`` holds: the same for a resumed run as for an
    uninterrupted one. ``session`` is what only this process did (per LLM stage: answers read
    from the cache, requests sent, retries, seconds); it is not written.
    """

    suite: Suite
    out: Path | None
    report: dict[str, Any]
    session: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        # short on purpose: asyncio on Python 3.11 may repr a task's result (with the whole
        # suite) when it looks up the SIGINT handler, which cost gigabytes at scale
        tasks = len(self.suite.tasks)
        return f"SynthResult(suite={self.suite.name!r}, tasks={tasks}, out={self.out!s})"


@dataclass
class _Built:
    name: str
    tools: list[Tool]
    groups: Sequence[GroupLike]
    strategy: Strategy
    splits: list[PlannedSplit]
    catalog: bool


def _quotas(config: SynthConfig, catalog: bool) -> dict[str, Quota]:
    tpu = config.tasks_per_user
    if config.users is None and (catalog or config.test_per_mode or config.train_per_mode):
        test = config.test_per_mode if config.test_per_mode is not None else DEMO_SIZES[0]
        train = config.train_per_mode if config.train_per_mode is not None else DEMO_SIZES[1]
        return {
            "test": ModeQuota(test, tpu, config.modes),
            "train": ModeQuota(train, tpu, config.modes),
        }
    sizes = users_per_split(config.users or DEFAULT_USERS, config.test_fraction)
    return {s: UserQuota(sizes[s], tpu) for s in SPLITS}


def _expected(quota: Quota, modes: int) -> int:
    if isinstance(quota, ModeQuota):
        return quota.per_mode * modes
    if isinstance(quota, UserQuota):
        return quota.users * quota.tasks_per_user
    return 0


def plan_splits(
    strategy: Strategy, config: SynthConfig, name: str, catalog: bool, progress: ProgressFactory
) -> list[PlannedSplit]:
    """Stage 5: the planned tasks of every split (one generator seeded with ``config.seed``)."""
    rng = random.Random(config.seed)
    plan_config = PlanConfig(min_history=config.min_history, max_history=config.max_history)
    out = []
    for split, quota in _quotas(config, catalog).items():
        bar = progress(f"plan {split}", _expected(quota, len(config.modes)))
        try:
            planned = _plan_split(
                strategy, split, quota, config.modes, rng, plan_config,
                id_prefix=name, on_task=bar.advance,
                keep_history_params=config.backend != TEMPLATE and config.rewrite_history,
            )  # fmt: skip
        finally:
            bar.close()
        out.append(planned)
    return out


def _name(config: SynthConfig, catalog: bool) -> str:
    """The suite's name: given, ``demo`` for the catalog, else the corpus's (not the output
    folder's, so that where a suite is written does not change its bytes)."""
    if config.name:
        return config.name
    if catalog:
        return "demo"
    stem = Path(config.corpus).stem if config.corpus is not None else ""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "synth"


def open_llm(config: SynthConfig, cache_dir: Path | None, progress: ProgressFactory) -> SynthLLM:
    """The LLM of the run's backend spec (a ConfigError names a spec that cannot work)."""
    from petool.backends.registry import backend_options, make_backend
    from petool.synth.llm import PROMPT_STYLE

    takes = backend_options(config.backend)
    defaults = {"no_cache": True, "max_new_tokens": 512}  # those the backend takes
    options: dict[str, Any] = {k: v for k, v in defaults.items() if takes is None or k in takes}
    options.update(config.backend_options)
    options["prompt_style"] = PROMPT_STYLE
    options.setdefault("concurrency", config.concurrency)
    backend = make_backend(config.backend, **options)
    return SynthLLM(
        backend=backend,
        model=config.backend,
        cache_dir=cache_dir,
        concurrency=config.concurrency,
        retry=RetryPolicy(max_retries=config.max_retries),
        seed=config.seed,
        progress=progress,
    )


async def _build(
    config: SynthConfig,
    corpus: Corpus,
    cache_dir: Path | None,
    llm: SynthLLM | None,
    encoder: TextEncoder | None,
    progress: ProgressFactory,
) -> _Built:
    catalog = corpus.catalog is not None
    name = _name(config, catalog)
    if corpus.catalog is not None:
        strategy: Strategy = DemoStrategy(corpus.catalog, config.candidates or 8, prefix=name)
        groups: Sequence[GroupLike] = corpus.catalog.groups
        tools = corpus.tools
    else:
        if encoder is None:
            from petool.embedding import get_embedder

            encoder = get_embedder("cpu")
        context = stages.StageContext(config, cache_dir, llm, encoder, progress)
        tools = await stages.understand_stage(context, corpus)
        groups_built = await stages.group_stage(context, tools)
        personas = await stages.persona_stage(context, tools)
        strategy = stages.corpus_strategy(context, tools, groups_built, personas, name)
        groups = groups_built
    splits = plan_splits(strategy, config, name, catalog, progress)
    return _Built(name, tools, groups, strategy, splits, catalog)


def _suite_info(config: SynthConfig, built: _Built, corpus: Corpus, tasks: list[Task]) -> SuiteInfo:
    if built.catalog:
        info = SuiteInfo(
            name=built.name,
            scorer="unified",
            prompt_style="unified",
            description=DESCRIPTION,
            splits=list(SPLITS),
            default_split="test",
        )
        stats = suite_stats(Suite(info=info, tools=built.tools, tasks=tasks))
        return SuiteInfo(
            **info.model_dump(), generator="petool.synth.demo", seed=config.seed, stats=stats
        )
    corpus_name = Path(corpus.report.path).name
    info = SuiteInfo(
        name=built.name,
        scorer="unified",
        prompt_style="unified",
        description=(
            f"Synthesized by petool from the '{corpus_name}' corpus ({corpus.report.format}): "
            "choice points of tools that do the same job, users who prefer some non-functional "
            "attributes and show it through their history (3 modes)."
        ),
        splits=list(SPLITS),
        default_split="test",
    )
    stats = suite_statistics(Suite(info=info, tools=built.tools, tasks=tasks), built.groups)
    return SuiteInfo(
        **info.model_dump(),
        generator="petool.synth.pipeline",
        seed=config.seed,
        synth=config.settings(),
        corpus=corpus.report.as_dict(),
        stats=stats,
    )


def _group_records(groups: Sequence[GroupLike]) -> list[dict[str, Any]]:
    out = []
    for g in groups:
        record = getattr(g, "record", None)
        if callable(record):
            out.append(record())
        else:
            functionality = g.tools[0].functionality if g.tools else ""
            out.append(
                {
                    "id": g.id,
                    "category": g.category,
                    "functionality": functionality,
                    "members": g.names,
                }
            )
    return out


async def _run(
    config: SynthConfig,
    corpus: Corpus | None,
    encoder: TextEncoder | None,
    progress: ProgressFactory,
) -> SynthResult:
    cache_dir = None
    if config.cache:
        cache_dir = config.cache_dir or (config.out / ".synth-cache" if config.out else None)
    if corpus is None:
        assert config.corpus is not None
        bar = progress("corpus", None)
        try:
            corpus = load_corpus(config.corpus, skip_invalid=config.skip_invalid)
            bar.advance(corpus.report.files)
        finally:
            bar.close()
    llm = open_llm(config, cache_dir, progress) if config.backend != TEMPLATE else None
    try:
        built = await _build(config, corpus, cache_dir, llm, encoder, progress)
        planned = [t for s in built.splits for t in s.tasks]
        history_params = {k: v for s in built.splits for k, v in s.history_params.items()}
        tasks = await stages.instruction_stage(
            config, built.tools, built.groups, planned, history_params, llm
        )
        quality = QualityReport()
        tasks = await stages.quality_stage(
            config, built.tools, built.groups, tasks, llm, quality, progress
        )
    finally:
        if llm is not None:
            await llm.aclose()
    tasks = renumber(tasks, built.name)
    suite = Suite(info=_suite_info(config, built, corpus, tasks), tools=built.tools, tasks=tasks)
    report: dict[str, Any] = {
        "corpus": corpus.report.as_dict(),
        "planned_tasks": len(planned),
        "tasks": len(tasks),
        "quality": quality.as_dict(),
    }
    session: dict[str, Any] = {}
    if llm is not None:
        report["llm"] = llm.report()
        session["llm"] = llm.session()
    if config.out is not None:
        bar = progress("write", 6 if config.record else 3)
        try:
            if config.record:
                users = [user_record(u, s.split) for s in built.splits for u in s.users]
                _write_suite_dir(
                    suite,
                    config.out,
                    groups=_group_records(built.groups),
                    users=users,
                    report=report,
                )
            else:
                _write_suite_dir(suite, config.out)
            bar.advance(6 if config.record else 3)
        finally:
            bar.close()
    return SynthResult(suite=suite, out=config.out, report=report, session=session)


def run_pipeline(
    config: SynthConfig,
    *,
    corpus: Corpus | None = None,
    encoder: TextEncoder | None = None,
    progress: ProgressFactory = no_progress,
) -> SynthResult:
    """Build a suite from a corpus (see the module docstring).

    Args:
        config: the run's settings (``config.out`` None: build in memory only).
        corpus: an already loaded corpus (default: ``load_corpus(config.corpus)``).
        encoder: the sentence embedder (default: the bundled all-MiniLM-L6-v2 on CPU).
        progress: opens a progress bar per stage.

    Returns:
        The suite, its directory and the report (corpus problems, quality, LLM counters).

    Raises:
        InputError: a bad corpus file (one line naming it) or bad settings (ConfigError).
        RunError: an LLM request kept failing (finished answers are cached: run again).
    """
    config.check()
    if corpus is None and config.corpus is None:
        raise ConfigError("--corpus: a corpus path is needed")
    return asyncio.run(_run(config, corpus, encoder, progress))
