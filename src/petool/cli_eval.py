"""``petool eval`` and ``petool score``: option mapping and printing over :mod:`petool.run`."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from petool.errors import ConfigError, RunError
from petool.schema import parse_history_modes

out_console = Console()
err_console = Console(stderr=True)


def _default_out(suite: str, backend: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{Path(suite).name}-{backend}").strip("-")
    return Path("runs") / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"


def _progress_runner(total_hint: str) -> tuple[Any, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
    handle = bar.add_task(total_hint, total=None, status="")

    def update(p: Any) -> None:
        if not bar.live.is_started:  # shown from the first progress on: an input error
            bar.start()  # found before the run starts prints only its one line
        status = []
        if p.resumed:
            status.append(f"resumed {p.resumed}")
        if p.retries:
            status.append(f"retries {p.retries}")
        if p.throttled:
            status.append(f"throttled {p.throttled}")
        if p.backend_errors:
            status.append(f"backend errors {p.backend_errors}")
        if p.parse_errors:
            status.append(f"parse errors {p.parse_errors}")
        bar.update(handle, total=p.total, completed=p.done, status=" · ".join(status))

    return bar, update


def eval_cmd(
    suite: Annotated[str, typer.Option(help="registered suite name or suite directory")] = "demo",
    backend: Annotated[str, typer.Option(help="ranker | random | oracle | openai:MODEL | ...")] = (
        "ranker"
    ),
    data: Annotated[Path | None, typer.Option(help="the suite's data directory")] = None,
    split: Annotated[str | None, typer.Option(help="split to run (default: the suite's)")] = None,
    mode: Annotated[
        list[str] | None, typer.Option(help="history mode(s): preferred, rated, chronological")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N tasks")] = None,
    no_context: Annotated[
        bool, typer.Option("--no-context", help="drop history, profile and environment")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="run directory")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the run in --out")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace a non-empty --out whole")
    ] = False,
    lenient: Annotated[
        bool,
        typer.Option("--lenient", help="a suite directory's problems as counted warnings"),
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, help="backend calls in flight")] = 8,
    seed: Annotated[int, typer.Option(help="seed for sampling and retry jitter")] = 0,
    max_retries: Annotated[int, typer.Option(min=0, help="retries per failed request")] = 4,
    max_error_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="a larger share of backend errors fails the run"),
    ] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="print metrics.json")] = False,
    compare_paper: Annotated[
        bool, typer.Option("--compare-paper", help="place the run beside the paper's numbers")
    ] = False,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key (or OPENAI_API_KEY)")] = None,
    tool_calling: Annotated[
        str | None, typer.Option(help="text (parse the answer) or native (tool_calls)")
    ] = None,
    transport: Annotated[
        str | None, typer.Option(help="openai: auto, sdk (official SDK) or http (petool's client)")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="bypass the response cache")] = False,
    temperature: Annotated[float | None, typer.Option(help="sampling temperature")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="generation length limit")] = None,
    timeout: Annotated[float | None, typer.Option(help="per-request timeout, seconds")] = None,
    adapter: Annotated[Path | None, typer.Option(help="PEFT LoRA adapter directory")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1, ...")] = None,
    tensor_parallel_size: Annotated[int | None, typer.Option(help="vLLM GPUs per model")] = None,
    prompt_style: Annotated[str | None, typer.Option(help="prompt style (default: suite's)")] = (
        None
    ),
    top_p: Annotated[float | None, typer.Option(help="nucleus sampling")] = None,
    dtype: Annotated[str | None, typer.Option(help="hf/vllm weights: bfloat16, float32…")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="hf/vllm batch size")] = None,
    stop: Annotated[list[str] | None, typer.Option(help="stop string (repeatable)")] = None,
    cache_path: Annotated[Path | None, typer.Option(help="response cache (SQLite)")] = None,
    price_table: Annotated[
        Path | None, typer.Option(help="JSON/YAML prices per model, $ per 1M tokens")
    ] = None,
    trials: Annotated[
        int, typer.Option(min=1, help="run every task K times, seeds SEED..SEED+K-1")
    ] = 1,
    cost_limit: Annotated[
        float | None,
        typer.Option(min=0.0, help="stop before the run would spend more (US dollars)"),
    ] = None,
    history_limit: Annotated[
        int | None, typer.Option(min=0, help="keep the last N interactions of each history")
    ] = None,
    mask_attributes: Annotated[
        bool, typer.Option("--mask-attributes", help="remove tools' non-functional attributes")
    ] = False,
    shuffle_attributes: Annotated[
        bool,
        typer.Option("--shuffle-attributes", help="permute attributes within functional groups"),
    ] = False,
    drop_ratings: Annotated[
        bool, typer.Option("--drop-ratings", help="rated histories become chronological")
    ] = False,
    candidates: Annotated[
        str, typer.Option(help="given (each task's list) or all (rank the whole toolset)")
    ] = "given",
) -> None:
    """Run a backend on a suite, write a run directory, print the metrics."""
    from petool.backends.registry import make_backend
    from petool.report.table import print_metrics
    from petool.run import RetryPolicy, evaluate
    from petool.suites.registry import load_suite
    from petool.suites.transforms import SuiteTransforms

    if resume and out is None:
        raise ConfigError("--resume needs --out DIR (the run directory to continue)")
    modes = parse_history_modes(mode, "--mode")
    if mask_attributes and shuffle_attributes:
        raise ConfigError("--mask-attributes and --shuffle-attributes: choose one")
    transforms = SuiteTransforms(
        history_limit=history_limit,
        mask_attributes=mask_attributes,
        shuffle_attributes=shuffle_attributes,
        drop_ratings=drop_ratings,
    )
    if candidates not in ("given", "all"):
        raise ConfigError(f"--candidates: expected given or all, got '{candidates}'")
    loaded = load_suite(suite, data, lenient=lenient)
    if candidates == "all":
        from petool.ranker.catalog import open_candidates

        loaded = open_candidates(loaded)
    if loaded.load_warnings:
        err_console.print(
            f"warning: {len(loaded.load_warnings)} problems in the suite (--lenient), first:"
            f" {loaded.load_warnings[0]}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    options: dict[str, Any] = {
        "base_url": base_url,
        "api_key": api_key,
        "tool_calling": tool_calling,
        "transport": transport,
        "temperature": temperature,
        "max_new_tokens": max_new_tokens,
        "timeout": timeout,
        "adapter": str(adapter) if adapter else None,
        "device": device,
        "tensor_parallel_size": tensor_parallel_size,
        "prompt_style": prompt_style,
        "top_p": top_p,
        "dtype": dtype,
        "batch_size": batch_size,
        "stop": list(stop) if stop else None,
        "cache_path": str(cache_path) if cache_path else None,
        "price_table": str(price_table) if price_table else None,
    }
    options = {k: v for k, v in options.items() if v is not None}
    if no_cache:
        options["no_cache"] = True
    model = make_backend(backend, seed=seed, concurrency=concurrency, **options)
    out_dir = out or _default_out(suite, backend)
    bar, update = _progress_runner(f"{loaded.name} · {backend}")
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(bar.stop)
            result = evaluate(
                loaded,
                model,
                out_dir=out_dir,
                backend_spec=backend,
                split=split,
                modes=modes,
                limit=limit,
                no_context=no_context,
                concurrency=concurrency,
                resume=resume,
                seed=seed,
                retry=RetryPolicy(max_retries=max_retries),
                on_progress=update,
                max_error_rate=max_error_rate,
                overwrite=overwrite,
                trials=trials,
                transforms=transforms,
                cost_limit=cost_limit,
            )
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted: every finished task is in {out_dir}; resume with: "
            f"{resume_command(out_dir)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    metrics = result.metrics
    failed = metrics.status == "failed"
    if compare_paper and not failed:
        from petool.suites.paper import compare_with_paper

        metrics.paper_comparison = compare_with_paper(loaded.name, metrics.to_dict())
    if as_json:
        out_console.print_json(json.dumps({**metrics.to_dict(), "run_dir": str(result.out_dir)}))
    else:
        print_metrics(metrics.to_dict(), out_console)
        if metrics.trials is not None:
            out_console.print(trials_table(metrics.to_dict()))
        if metrics.paper_comparison is not None:
            from petool.report.table import paper_table
            from petool.suites.paper import paper_numbers

            reading = (paper_numbers(loaded.name) or {}).get("reading")
            scores = f" (the paper's figures are {reading} scores)" if reading else ""
            title = f"{loaded.name}: this run beside the paper{scores}"
            out_console.print(paper_table(metrics.paper_comparison, title))
        err_console.print(f"run directory: {result.out_dir}")
    stopped = metrics.run.stopped if metrics.run is not None else None
    if stopped and not failed:
        err_console.print(
            f"stopped: {stopped}; every finished task is in {out_dir}; continue with a higher"
            f" --cost-limit: {resume_command(out_dir)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if failed and metrics.health is not None:
        refused = "; not compared with the paper" if compare_paper else ""
        raise RunError(f"run failed: {metrics.health.failure_line()}{refused} ({out_dir})")


def trials_table(metrics: dict[str, Any]) -> Any:
    """A Rich table of a K-trial run: mean ± std of each overall and per-mode rate."""
    from rich.table import Table

    block = metrics["trials"]
    table = Table(title=f"mean ± std over {block['k']} trials (seeds {block['seeds']})")
    table.add_column("scope")
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    if isinstance(metrics.get("overall"), dict):
        rows.append(("overall", metrics["overall"], block["std"].get("overall", {})))
    for mode, values in (metrics.get("by_mode") or {}).items():
        if isinstance(values, dict):
            rows.append((mode, values, block["std"].get("by_mode", {}).get(mode, {})))
    names = [
        k for k, v in (rows[0][1] if rows else {}).items() if isinstance(v, float) and k != "n"
    ]
    for name in names:
        table.add_column(name, justify="right")
    for scope, mean, std in rows:
        cells = [
            f"{mean[k]:.4f} ± {std.get(k, 0.0):.4f}" if isinstance(mean.get(k), float) else "–"
            for k in names
        ]
        table.add_row(scope, *cells)
    return table


def resume_command(out_dir: Path) -> str:
    """The command line that continues this run: the same options, ``--resume --out DIR``."""
    args = list(sys.argv[1:])
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--out":
            skip = True
            continue
        if arg.startswith("--out=") or arg == "--resume":
            continue
        kept.append(arg)
    return shlex.join(["petool", *kept, "--resume", "--out", str(out_dir)])


def score_cmd(
    predictions: Annotated[
        Path, typer.Option(help="predictions.jsonl, or a benchmark's native output file")
    ],
    suite: Annotated[str, typer.Option(help="registered suite name or suite directory")] = "demo",
    data: Annotated[Path | None, typer.Option(help="the suite's data directory")] = None,
    split: Annotated[
        str | None, typer.Option(help="split (default: the run's, or the suite's)")
    ] = (None),
    mode: Annotated[list[str] | None, typer.Option(help="history mode(s): p|r|c or names")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False,
    results: Annotated[
        Path | None,
        typer.Option(help="write per-task results.jsonl here (default: in the run directory)"),
    ] = None,
) -> None:
    """Rescore predictions without running a model.

    Reads petool's predictions.jsonl or a benchmark's native output (PEToolBench results
    JSON, PTBench generation.jsonl). When a config.json sits beside a predictions.jsonl, its
    split, modes, limit and no-context choice select the tasks; options given here win.
    """
    from petool.report.table import print_metrics
    from petool.run.rescore import score_named

    modes = parse_history_modes(mode, "--mode")
    scored = score_named(suite, data, predictions, split=split, modes=modes, results_to=results)
    if as_json:
        out_console.print_json(json.dumps(scored))
    else:
        print_metrics(scored, out_console)
