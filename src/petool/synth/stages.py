"""The corpus stages of the pipeline: understanding, grouping, personas, instructions, quality.

Each stage is an ``async`` function with typed input and output that runs offline or with
the run's LLM. Understanding and grouping outputs are cached in the run's cache directory
(keyed by everything they read), with what their LLM requests' records said
(:class:`petool.synth.llm.StageSummary`), so that a run that loads them reports the same
counts as the run that made them; LLM answers are cached one by one (:mod:`petool.synth.llm`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from petool.embedding import TextEncoder
from petool.schema import Interaction, Task, Tool, ToolCall
from petool.synth.attributes import DIMENSION_NAMES
from petool.synth.corpus import Corpus
from petool.synth.grouping import (
    Group,
    apply_confirmations,
    confirm_request,
    group_tools,
    parse_confirmation,
)
from petool.synth.histories import GroupLike
from petool.synth.instructions import parse_rewrite, rewrite_request, stated_values
from petool.synth.llm import LLMRequest, ProgressFactory, SynthLLM
from petool.synth.preferences import (
    EmbeddingPreferences,
    Preference,
    offline_persona,
    parse_persona,
    persona_focus,
    persona_request,
)
from petool.synth.quality import (
    QualityReport,
    RuleChecker,
    forbidden_terms,
    job_context,
    judge_request,
    parse_score,
    rule_filter,
)
from petool.synth.store import StageStore, fingerprint
from petool.synth.strategy import CorpusStrategy
from petool.synth.understand import (
    has_dimensions,
    merge_understanding,
    parse_understanding,
    understand_offline,
    understanding_request,
)

if TYPE_CHECKING:
    from petool.synth.pipeline import SynthConfig

STAGE_VERSION = 2  # 2: stored outputs carry their LLM stage summary


@dataclass
class StageContext:
    """What the corpus stages share: settings, cache, LLM, embedder, progress."""

    config: SynthConfig
    cache_dir: Path | None
    llm: SynthLLM | None
    encoder: TextEncoder
    progress: ProgressFactory

    @property
    def store(self) -> StageStore:
        """The stage-output cache."""
        return StageStore(self.cache_dir)

    @property
    def model_id(self) -> str:
        """Who answers the LLM stages (``template`` offline)."""
        return self.config.backend if self.llm is not None else "template"


async def understand_stage(ctx: StageContext, corpus: Corpus) -> list[Tool]:
    """Stage 2: every tool with its functionality, attributes and parameter roles."""
    docs = corpus.provider_docs
    key = fingerprint(
        "understand",
        STAGE_VERSION,
        [t.model_dump(mode="json") for t in corpus.tools],
        docs,
        ctx.model_id,
    )
    cached = ctx.store.load("understand", key)
    if isinstance(cached, dict):
        if ctx.llm is not None:
            ctx.llm.restore("understand", cached.get("llm"))
        return [Tool.model_validate(d) for d in cached["tools"]]
    if ctx.llm is None:
        bar = ctx.progress("understand", len(corpus.tools))
        tools = understand_offline(corpus.tools, docs)
        bar.advance(len(tools))
        bar.close()
    else:
        todo: dict[str, Tool] = {}
        requests = []
        for t in corpus.tools:
            if not (t.functionality and has_dimensions(t)):
                request = understanding_request(t, docs.get(t.app or "", ""))
                todo[request.key] = t
                requests.append(request)
        answers = await ctx.llm.run(
            "understand", requests, lambda r: parse_understanding(todo[r.key])
        )
        asked = {t.name: key for key, t in todo.items()}
        tools = []
        for t in corpus.tools:
            doc = docs.get(t.app or "", "")
            if t.name in asked:
                tools.append(merge_understanding(t, answers.get(asked[t.name]), doc))
            else:
                tools += understand_offline([t], docs)
    summary = ctx.llm.summary("understand") if ctx.llm is not None else None
    data = {"tools": [t.model_dump(mode="json") for t in tools], "llm": summary}
    ctx.store.save("understand", key, data)
    return tools


async def group_stage(ctx: StageContext, tools: Sequence[Tool]) -> list[Group]:
    """Stage 3: the choice points (embedding similarity, confirmed by the LLM if any)."""
    config = ctx.config
    confirm = ctx.llm is not None and config.confirm_groups
    key = fingerprint(
        "group",
        STAGE_VERSION,
        [(t.name, t.functionality, t.category, t.app) for t in tools],
        config.group_threshold,
        config.max_group_size,
        ctx.model_id if confirm else "embedding",
    )
    by_name = {t.name: t for t in tools}
    cached = ctx.store.load("group", key)
    if isinstance(cached, dict):
        if confirm and ctx.llm is not None:
            ctx.llm.restore("group", cached.get("llm"))
        return [
            Group(
                id=r["id"],
                category=r["category"],
                functionality=r["functionality"],
                tools=[by_name[n] for n in r["members"]],
                min_similarity=r["min_similarity"],
            )
            for r in cached["groups"]
        ]
    bar = ctx.progress("group", None)
    try:
        groups = group_tools(
            tools, ctx.encoder, threshold=config.group_threshold, max_size=config.max_group_size
        )
        bar.advance(len(tools))
    finally:
        bar.close()
    if confirm and ctx.llm is not None:
        todo = {confirm_request(g).key: g for g in groups}
        answers = await ctx.llm.run(
            "group", [confirm_request(g) for g in groups], lambda r: parse_confirmation(todo[r.key])
        )
        groups = apply_confirmations(groups, answers)
    summary = ctx.llm.summary("group") if confirm and ctx.llm is not None else None
    ctx.store.save("group", key, {"groups": [g.record() for g in groups], "llm": summary})
    return groups


def _attribute_examples(tools: Sequence[Tool]) -> dict[str, list[str]]:
    out = {}
    for dim in DIMENSION_NAMES:
        counts = Counter(str(t.attributes[dim]) for t in tools if dim in t.attributes)
        out[dim] = [p for p, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:4]]
    return out


async def persona_stage(ctx: StageContext, tools: Sequence[Tool]) -> list[Preference] | None:
    """Stage 4 with an LLM: the pool of personas users draw their preferences from."""
    if ctx.llm is None or ctx.config.personas <= 0:
        return None
    rng = random.Random(f"personas:{ctx.config.seed}")
    focus = [persona_focus(i, rng) for i in range(ctx.config.personas)]
    examples = _attribute_examples(tools)
    requests = [persona_request(i, focus[i], examples) for i in range(len(focus))]
    index = {r.key: i for i, r in enumerate(requests)}
    answers = await ctx.llm.run("preferences", requests, lambda r: parse_persona(index[r.key]))
    return [answers.get(r.key) or offline_persona(i, focus[i]) for i, r in enumerate(requests)]


def corpus_strategy(
    ctx: StageContext,
    tools: Sequence[Tool],
    groups: Sequence[Group],
    personas: Sequence[Preference] | None,
    name: str,
) -> CorpusStrategy:
    """Stage 4: the embedding fit of preferences, wrapped in the planning strategy."""
    config = ctx.config
    model = EmbeddingPreferences(tools, groups, ctx.encoder, margin=config.margin)
    return CorpusStrategy(
        tools,
        groups,
        model,
        prefix=name,
        personas=personas,
        n_candidates=config.candidates or 10,
        profile_params=config.profile_params,
        environment=config.environment,
    )


def _group_of(groups: Sequence[GroupLike]) -> dict[str, list[str]]:
    return {n: g.names for g in groups for n in g.names}


async def instruction_stage(
    config: SynthConfig,
    tools: Sequence[Tool],
    groups: Sequence[GroupLike],
    tasks: list[Task],
    history_params: dict[str, list[list[str]]],
    llm: SynthLLM | None,
) -> list[Task]:
    """Stage 6 with an LLM: natural requests for the drafted calls (drafts kept offline)."""
    if llm is None:
        return tasks
    by_name = {t.name: t for t in tools}
    group_of = _group_of(groups)
    checker = RuleChecker(by_name, group_of)
    requests: dict[str, tuple[LLMRequest, dict[str, Any], list[str]]] = {}

    def ask(
        tool: Tool, names: Sequence[str], call: ToolCall, values: dict[str, Any], draft: str
    ) -> str:
        # the job as the group states it, the same whichever member is called (as the draft)
        job = by_name[group_of.get(tool.name, [tool.name])[0]].functionality
        context = job_context(tool.functionality, call.arguments)
        forbidden = forbidden_terms(checker, names, context)
        key = "rewrite:" + fingerprint(tool.name, job, values, forbidden)[:32]
        if key not in requests:
            request = rewrite_request(key, job, values, draft, forbidden)
            requests[key] = (request, values, forbidden)
        return key

    plan: list[tuple[str, list[str | None]]] = []
    for task in tasks:
        gold = task.gold[0]
        tool = by_name[gold.tool]
        names = [*task.candidates, *task.meta.functional_group]
        values = stated_values(gold, task.meta.query_params)
        target = ask(tool, names, gold, values, task.instruction)
        past: list[str | None] = []
        params = history_params.get(task.id, [])
        for k, h in enumerate(task.user.history):
            if not config.rewrite_history or k >= len(params):
                past.append(None)
                continue
            htool = by_name[h.call.tool]
            members = group_of.get(h.call.tool, [h.call.tool])
            values = stated_values(h.call, params[k])
            past.append(ask(htool, members, h.call, values, h.instruction))
        plan.append((target, past))
    answers = await llm.run(
        "instructions",
        [r for r, _, _ in requests.values()],
        lambda r: parse_rewrite(requests[r.key][1], requests[r.key][2]),
    )
    out = []
    for task, (target, past) in zip(tasks, plan, strict=True):
        history = []
        for h, key in zip(task.user.history, past, strict=True):
            text = answers.get(key) if key is not None else None
            if text is not None:
                h = Interaction(instruction=str(text), call=h.call, rating=h.rating, step=h.step)
            history.append(h)
        user = task.user.model_copy(update={"history": history})
        instruction = answers.get(target) or task.instruction
        out.append(task.model_copy(update={"instruction": instruction, "user": user}))
    return out


async def quality_stage(
    config: SynthConfig,
    tools: Sequence[Tool],
    groups: Sequence[GroupLike],
    tasks: list[Task],
    llm: SynthLLM | None,
    report: QualityReport,
    progress: ProgressFactory,
) -> list[Task]:
    """Stage 7: rule checks, then (with an LLM) the judge keeps scores >= ``min_score``."""
    by_name = {t.name: t for t in tools}
    bar = progress("quality", len(tasks))
    try:
        kept = rule_filter(tasks, by_name, _group_of(groups), report, on_task=bar.advance)
    finally:
        bar.close()
    if llm is None or not config.judge:
        return kept
    requests = {judge_request(t, by_name[t.gold[0].tool]).key: t for t in kept if t.gold}
    scores = await llm.run(
        "judge",
        [judge_request(t, by_name[t.gold[0].tool]) for t in requests.values()],
        lambda r: parse_score,
    )
    out = []
    for task in kept:
        if not task.gold:
            out.append(task)
            continue
        score = scores.get(judge_request(task, by_name[task.gold[0].tool]).key)
        if score is None:  # the judge gave no usable score: kept, and counted
            report.unjudged += 1
            out.append(task)
            continue
        report.judged += 1
        report.scores[score] += 1
        if score >= config.min_score:
            out.append(task)
        else:
            report.dropped["judge_score"] += 1
    report.kept = len(out)
    return out
