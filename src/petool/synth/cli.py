"""``petool synth``: build a suite from a tool corpus; ``petool synth validate DIR``.

:data:`synth_app` is a Typer app; ``petool.cli`` mounts it as ``synth``. :func:`main` runs it
alone with petool's error convention (one line on stderr; exit 2 for bad input, 1 for a
failed run): ``python -m petool.synth.cli --corpus ... --out ...``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from petool.cli_errors import run_app
from petool.errors import ConfigError
from petool.schema import HISTORY_MODES, HistoryMode, parse_history_modes

synth_app = typer.Typer(
    help="Build a personalized tool-use suite from a tool corpus (any LLM, or offline).",
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)


def parse_modes(values: list[str] | None) -> tuple[HistoryMode, ...]:
    """``--mode preferred,r`` (repeatable, comma-separated; ``--modes`` too) as a tuple."""
    return tuple(parse_history_modes(values, "--mode") or HISTORY_MODES)


def _own_synth_output(directory: Path) -> bool:
    """A folder synthesis wrote before (its stage cache, or its suite with its report)."""
    cache = (directory / ".synth-cache").is_dir()
    return cache or ((directory / "report.json").is_file() and (directory / "suite.json").is_file())


@synth_app.callback(invoke_without_command=True)
def synth(
    ctx: typer.Context,
    corpus: Annotated[
        Path | None,
        typer.Option(
            help="tool corpus: a ToolBench folder, OpenAI function schemas, ToolSpectrum "
            "API_description*.json, a petool tools.jsonl or suite folder"
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="output suite directory")] = None,
    backend: Annotated[
        str, typer.Option(help="template (offline) | openai:MODEL | hf:PATH | vllm:PATH")
    ] = "template",
    users: Annotated[
        int | None, typer.Option(min=1, help="users in all (default 50; split by --test-fraction)")
    ] = None,
    tasks_per_user: Annotated[int, typer.Option(min=1, help="tasks per user")] = 4,
    modes: Annotated[
        list[str] | None,
        typer.Option(
            "--mode", "--modes", help="history mode(s): preferred, rated, chronological (p, r, c)"
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed: same seed, same bytes (offline)")] = 0,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="skip bad corpus files and count them")
    ] = False,
    name: Annotated[str | None, typer.Option(help="suite name (default: the corpus's)")] = None,
    test_fraction: Annotated[
        float, typer.Option(help="share of users in the unseen test split")
    ] = 0.2,
    test_per_mode: Annotated[
        int | None, typer.Option(min=0, help="size by tasks: test tasks per mode")
    ] = None,
    train_per_mode: Annotated[
        int | None, typer.Option(min=0, help="size by tasks: train tasks per mode")
    ] = None,
    min_history: Annotated[int, typer.Option(min=3, help="shortest history")] = 3,
    max_history: Annotated[int, typer.Option(min=3, help="longest history")] = 10,
    candidates: Annotated[int | None, typer.Option(min=2, help="candidate tools per task")] = None,
    group_threshold: Annotated[float, typer.Option(help="cosine similarity inside a group")] = 0.85,
    max_group_size: Annotated[int, typer.Option(min=2, help="largest group")] = 6,
    margin: Annotated[float, typer.Option(help="fit margin of the preferred member")] = 0.05,
    profile_params: Annotated[
        bool,
        typer.Option(
            "--profile-params/--no-profile-params",
            help="fill profile parameters from the profile, unsaid",
        ),
    ] = True,
    environment: Annotated[
        bool, typer.Option("--environment", help="give tasks an environment (coordinates from it)")
    ] = False,
    personas: Annotated[
        int, typer.Option(min=0, help="LLM: personas to draw preferences from")
    ] = 24,
    min_score: Annotated[int, typer.Option(min=1, max=10, help="LLM judge: lowest score kept")] = 8,
    judge: Annotated[bool, typer.Option("--judge/--no-judge", help="LLM: judge the tasks")] = True,
    confirm_groups: Annotated[
        bool, typer.Option("--confirm-groups/--no-confirm-groups", help="LLM: confirm the groups")
    ] = True,
    rewrite_history: Annotated[
        bool,
        typer.Option(
            "--rewrite-history/--no-rewrite-history", help="LLM: rewrite past requests too"
        ),
    ] = True,
    concurrency: Annotated[int, typer.Option(min=1, help="LLM requests in flight")] = 16,
    max_retries: Annotated[int, typer.Option(min=0, help="retries per failed LLM request")] = 4,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key (or OPENAI_API_KEY)")] = None,
    temperature: Annotated[float | None, typer.Option(help="LLM sampling temperature")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="LLM answer length limit")] = None,
    timeout: Annotated[float | None, typer.Option(help="per-request timeout, seconds")] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="stage and LLM cache (default OUT/.synth-cache)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace a non-empty --out whole")
    ] = False,
) -> None:
    """Build a suite: understand, group, prefer, plan histories, write requests, check, split."""
    if ctx.invoked_subcommand is not None:
        return
    if corpus is None or out is None:
        raise ConfigError("petool synth needs --corpus PATH and --out DIR (or: synth validate DIR)")
    from petool.io import claim_output_dir

    claim_output_dir(  # its own output (with its stage cache) is resumed, anything else kept
        out,
        what="synthesized suite",
        overwrite=overwrite,
        own=None if overwrite else _own_synth_output,
    )
    from petool.synth.corpus import load_corpus
    from petool.synth.pipeline import SynthConfig, run_pipeline
    from petool.synth.progress import RichProgress

    options: dict[str, Any] = {
        "base_url": base_url,
        "api_key": api_key,
        "temperature": temperature,
        "max_new_tokens": max_new_tokens,
        "timeout": timeout,
        "seed": seed,
    }
    config = SynthConfig(
        corpus=corpus,
        out=out,
        backend=backend,
        backend_options={k: v for k, v in options.items() if v is not None},
        users=users,
        tasks_per_user=tasks_per_user,
        test_per_mode=test_per_mode,
        train_per_mode=train_per_mode,
        test_fraction=test_fraction,
        modes=parse_modes(modes),
        seed=seed,
        skip_invalid=skip_invalid,
        name=name,
        min_history=min_history,
        max_history=max_history,
        candidates=candidates,
        group_threshold=group_threshold,
        max_group_size=max_group_size,
        margin=margin,
        profile_params=profile_params,
        environment=environment,
        personas=personas,
        min_score=min_score,
        judge=judge,
        confirm_groups=confirm_groups,
        rewrite_history=rewrite_history,
        concurrency=concurrency,
        max_retries=max_retries,
        cache_dir=cache_dir,
    )
    config.check()
    loaded = load_corpus(corpus, skip_invalid=skip_invalid)  # a bad file: one line, exit 2
    with RichProgress(err_console) as progress:
        result = run_pipeline(config, corpus=loaded, progress=progress)
    report = result.report
    if as_json:
        printed = {**report, "session": result.session} if result.session else report
        out_console.print_json(json.dumps(printed))
        return
    corpus_report = report["corpus"]
    if corpus_report["skipped"]:
        err_console.print(
            f"skipped {corpus_report['skipped']} invalid corpus file(s): see {out / 'report.json'}",
            markup=False,
        )
    stats = result.suite.info.model_dump().get("stats", {})
    out_console.print(
        f"wrote {out}: {len(result.suite.tasks)} tasks from {stats.get('tools')} tools, "
        f"{stats.get('choice_points', stats.get('functional_groups'))} choice points; "
        f"tasks per split and mode {json.dumps(stats.get('tasks'))}",
        markup=False,
        soft_wrap=True,
    )
    session = result.session.get("llm")
    if session:
        total = {k: sum(s[k] for s in session.values()) for k in ("sent", "retries", "cached")}
        fallbacks = sum(s["fallbacks"] for s in report["llm"].values())
        out_console.print(
            f"LLM: {total['sent']} requests sent ({total['retries']} retries), "
            f"{total['cached']} answers from the cache, {fallbacks} fallbacks "
            "to the offline result",
            markup=False,
            soft_wrap=True,
        )


@synth_app.command("validate")
def validate(
    directory: Annotated[Path, typer.Argument(help="suite directory written by petool synth")],
    max_problems: Annotated[int, typer.Option(min=0, help="problems to list")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Check every task: gold is the preferred member of a choice point, history fits its mode."""
    from petool.synth.validate import validate_suite

    report = validate_suite(directory, limit=max_problems)
    if as_json:
        out_console.print_json(json.dumps(report.as_dict()))
    else:
        for line in report.problems:
            out_console.print(line, markup=False, soft_wrap=True)
        verdict = "ok" if report.ok else "FAILED"
        out_console.print(
            f"{directory}: {report.tasks} tasks checked, {report.failed_tasks} failed: {verdict}",
            markup=False,
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


@synth_app.command("situations")
def situations(
    corpus: Annotated[Path, typer.Option(help="tool corpus (a ToolBench folder)")],
    out: Annotated[Path, typer.Option(help="output suite directory")],
    tasks: Annotated[int, typer.Option(min=10, help="tasks in all (train and test)")] = 1000,
    seed: Annotated[int, typer.Option(help="seed: same seed, same bytes")] = 0,
    families: Annotated[int, typer.Option(min=10, help="real providers cloned into apps")] = 160,
    test_fraction: Annotated[float, typer.Option(help="share of tasks in the test split")] = 0.2,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace a non-empty --out")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the counts as JSON")] = False,
) -> None:
    """ToolSpectrum-style suite: profile/environment pick the app; app policies force abstention."""
    from petool.io import claim_output_dir
    from petool.synth.situations import SituationConfig, write_situations

    config = SituationConfig(tasks=tasks, seed=seed, families=families, test_fraction=test_fraction)
    config.check()
    claim_output_dir(out, what="situation suite", overwrite=overwrite)
    _, stats = write_situations(corpus, out, config)
    if as_json:
        out_console.print_json(json.dumps(stats))
    else:
        out_console.print(f"wrote {out}: {json.dumps(stats)}", markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Run :data:`synth_app` with petool's error convention; returns the exit code."""
    return run_app(
        synth_app, argv, "petool synth", interrupt_hint="run the same command again to resume"
    )


if __name__ == "__main__":
    raise SystemExit(main())
