"""The ``petool`` command: a thin Typer app over the library.

Every command parses options, calls library functions and prints with Rich. Errors that
petool raises on purpose become one line on stderr and exit code 2 (bad input or usage)
or 1 (the run failed); set ``PETOOL_DEBUG=1`` to see the traceback too (the exit code
stays). ``eval`` and ``score`` live in :mod:`petool.cli_eval`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from petool.cli_analyze import analyze_cmd
from petool.cli_errors import run_app
from petool.cli_eval import eval_cmd, score_cmd
from petool.cli_serve import serve_app
from petool.errors import ConfigError, DataMissingError

app = typer.Typer(
    name="petool",
    help="Personalized tool learning: run, score, build and train on personalized tool-use suites.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
suites_app = typer.Typer(help="List registered suites, or export one as a directory.")
app.add_typer(suites_app, name="suites")

out_console = Console()
err_console = Console(stderr=True)

app.command("eval")(eval_cmd)
app.command("score")(score_cmd)
app.command("analyze")(analyze_cmd)
app.add_typer(serve_app, name="serve")


def _mount_synth() -> None:
    from petool.synth.cli import synth_app

    app.add_typer(synth_app, name="synth")


def _mount_train() -> None:
    from petool.train.cli import export_command, train_app

    app.add_typer(train_app, name="train")
    app.command("export")(export_command)


def _mount_ranker() -> None:
    from petool.cli_ranker import ranker_app

    app.add_typer(ranker_app, name="ranker")


_mount_synth()
_mount_train()
_mount_ranker()

data_app = typer.Typer(help="Download public benchmark data into petool's cache.")
app.add_typer(data_app, name="data")


@data_app.command("fetch")
def data_fetch(
    name: Annotated[str, typer.Argument(help="petoolbench | ptbench | toolspectrum")],
    dest: Annotated[
        Path | None,
        typer.Option(
            help="a new or empty directory, or one petool fetched into before; any other"
            " is refused, never emptied (default: petool's cache)"
        ),
    ] = None,
) -> None:
    """Download a benchmark, verify it, and say where it is."""
    from petool.suites.fetch import fetch

    path = fetch(name, dest)
    err_console.print(f"{name}: ready in {path}")
    out_console.print(str(path), markup=False, highlight=False)


@suites_app.callback(invoke_without_command=True)
def suites_list(ctx: typer.Context) -> None:
    """List registered suites with their sizes."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from petool.suites.registry import load_suite, registered_suites

    table = Table(title="registered suites")
    for col in ("suite", "tools", "tasks", "splits", "scorer", "description"):
        table.add_column(col)
    for name, description in registered_suites().items():
        try:
            s = load_suite(name)
        except DataMissingError:  # a public suite whose data is not fetched yet
            hint = f"[dim]not fetched: petool data fetch {name}[/dim]"
            table.add_row(name, "–", "–", "–", "–", f"{description} {hint}")
            continue
        splits = ", ".join(f"{k} {v}" for k, v in s.split_sizes().items())
        table.add_row(
            name, str(len(s.tools)), str(len(s.tasks)), splits, s.info.scorer, description
        )
    out_console.print(table)


@suites_app.command("export")
def suites_export(
    name: Annotated[str, typer.Argument(help="registered suite name")],
    dest: Annotated[Path, typer.Argument(help="directory to write")],
    data: Annotated[Path | None, typer.Option(help="the suite's data directory")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace a non-empty DEST whole")
    ] = False,
) -> None:
    """Write a registered suite out as a suite directory."""
    from petool.io import claim_output_dir
    from petool.suites.directory import export_suite_dir
    from petool.suites.registry import load_suite

    claim_output_dir(dest, what="suite directory", overwrite=overwrite, create=False)
    suite = load_suite(name, data)
    path = export_suite_dir(
        suite, claim_output_dir(dest, what="suite directory", overwrite=overwrite)
    )
    err_console.print(f"wrote {path}")


@app.command("report")
def report_cmd(
    runs: Annotated[list[Path], typer.Argument(help="run directories (with results.jsonl)")],
    out: Annotated[Path, typer.Option("--out", help="the HTML file to write")] = Path(
        "report.html"
    ),
    data: Annotated[
        Path | None, typer.Option(help="the data directory of a registered public suite")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace an existing OUT file")
    ] = False,
    seed: Annotated[int, typer.Option(help="the bootstrap's seed")] = 0,
) -> None:
    """Write one self-contained HTML report (plots, comparison, task browser) of runs."""
    from petool.report.html import write_report

    result = write_report(runs, out, data=data, overwrite=overwrite, seed=seed)
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)
    err_console.print(f"wrote {result.path} ({result.size_bytes / 1e6:.2f} MB)")


@app.command("compare")
def compare_cmd(
    runs: Annotated[list[Path], typer.Argument(help="two or more run directories")],
    metric: Annotated[
        str, typer.Option(help="call_correct, tool_correct or parameters_correct")
    ] = "call_correct",
    seed: Annotated[int, typer.Option(help="the bootstrap's seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Compare runs on their common tasks: differences, 95 % bootstrap CIs, McNemar p."""
    from petool.report.compare import compare_runs, print_comparisons
    from petool.report.runs import load_runs

    if len(runs) < 2:
        raise ConfigError("compare: give at least two run directories")
    comparisons = compare_runs(load_runs(runs), metric=metric, seed=seed)
    if as_json:
        out_console.print_json(json.dumps(comparisons))
    else:
        print_comparisons(comparisons, out_console)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning petool errors into one line and an exit code."""
    return run_app(app, argv, "petool")


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
