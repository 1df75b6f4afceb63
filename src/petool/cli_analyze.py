"""``petool analyze``: the papers' analysis grid (history length × attribute probes) of one
backend on one suite, as run directories, one HTML report, a terminal table and ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from petool.errors import ConfigError
from petool.schema import parse_history_modes

out_console = Console()
err_console = Console(stderr=True)


def _histories(text: str) -> list[int | None]:
    out: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        if part == "all":
            out.append(None)
        elif part.isdigit():
            out.append(int(part))
        else:
            raise ConfigError(
                f"--histories: expected numbers or 'all', comma-separated, got {part!r}"
            )
    return out


def analyze_cmd(
    suite: Annotated[str, typer.Option(help="registered suite name or suite directory")] = "demo",
    backend: Annotated[str, typer.Option(help="ranker | random | oracle | openai:MODEL | ...")] = (
        "ranker"
    ),
    data: Annotated[Path | None, typer.Option(help="the suite's data directory")] = None,
    out: Annotated[Path, typer.Option(help="folder of the grid's run directories")] = Path(
        "analysis"
    ),
    report: Annotated[
        Path | None, typer.Option(help="the HTML report (default: OUT/report.html)")
    ] = None,
    histories: Annotated[
        str, typer.Option(help="history limits, comma-separated ('all': the whole history)")
    ] = "0,5,10,20,all",
    split: Annotated[str | None, typer.Option(help="split to run (default: the suite's)")] = None,
    mode: Annotated[list[str] | None, typer.Option(help="history mode(s)")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N tasks")] = None,
    seed: Annotated[int, typer.Option(help="seed for sampling and the attribute shuffle")] = 0,
    trials: Annotated[int, typer.Option(min=1, help="trials per cell")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="backend calls in flight")] = 8,
    metric: Annotated[str, typer.Option(help="the overall metric of the grid")] = "tool_accuracy",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the grid as JSON")] = False,
) -> None:
    """Run the analysis grid (history 0/5/10/20/all × attributes as-is/masked/shuffled) as
    resumable run directories under OUT, then write one HTML report with the grid."""
    from rich.table import Table

    from petool.backends.registry import make_backend
    from petool.io import atomic_write_text
    from petool.report.html import render_report
    from petool.report.runs import load_runs
    from petool.run.grid import grid_cells, grid_table, run_grid
    from petool.suites.registry import load_suite

    modes = parse_history_modes(mode, "--mode")
    loaded = load_suite(suite, data)
    options: dict[str, Any] = {"base_url": base_url} if base_url else {}
    cells = grid_cells(out, _histories(histories))

    def make() -> Any:
        return make_backend(backend, seed=seed, concurrency=concurrency, **options)

    def said(cell: Any) -> None:
        err_console.print(f"cell: history {cell.history_label}, attributes {cell.attributes}")

    make()  # a bad spec or option fails here, before any directory is made
    run_grid(
        loaded,
        make,
        cells,
        backend_spec=backend,
        on_cell=said,
        split=split,
        modes=modes,
        limit=limit,
        seed=seed,
        trials=trials,
        concurrency=concurrency,
    )
    grid = grid_table(cells, metric)
    target = report or out / "report.html"
    text = render_report(load_runs([c.out_dir for c in cells]), data=data, grid=grid)
    atomic_write_text(target, text)
    grid["report"] = str(target)
    if as_json:
        out_console.print_json(json.dumps(grid))
        return
    table = Table(title=f"{loaded.name} · {backend}: {metric} (%) by history limit × attributes")
    table.add_column("attributes")
    for h in grid["histories"]:
        table.add_column(f"history {h}", justify="right")
    for attributes, values in grid["rows"].items():
        table.add_row(
            attributes,
            *("–" if values[h] is None else f"{100 * values[h]:.1f}" for h in grid["histories"]),
        )
    out_console.print(table)
    err_console.print(f"wrote {target}; run directories under {out}")
