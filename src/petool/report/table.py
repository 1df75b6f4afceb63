"""Terminal tables of a run's metrics (Rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

MODE_ORDER = ("preferred", "rated", "chronological", "none")


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}" if isinstance(value, int | float) else "–"


def metrics_table(metrics: dict[str, Any], title: str | None = None) -> Table:
    """Per history mode and overall: n, tool / parameter / call accuracy, parse errors."""
    table = Table(title=title or f"{metrics.get('suite', '?')} · {metrics.get('backend', '?')}")
    table.add_column("mode")
    table.add_column("n", justify="right")
    table.add_column("tool acc %", justify="right")
    table.add_column("param acc %", justify="right")
    table.add_column("call acc %", justify="right")
    table.add_column("parse err", justify="right")
    by_mode: dict[str, Any] = metrics.get("by_mode", {})
    rows = [m for m in MODE_ORDER if m in by_mode] + sorted(set(by_mode) - set(MODE_ORDER))
    for mode in rows:
        m = by_mode[mode]
        table.add_row(
            mode,
            str(m.get("n", 0)),
            _pct(m.get("tool_accuracy")),
            _pct(m.get("parameter_accuracy")),
            _pct(m.get("call_accuracy")),
            str(m.get("parse_errors", 0)),
        )
    overall = metrics.get("overall", {})
    table.add_section()
    table.add_row(
        "overall",
        str(overall.get("n", 0)),
        _pct(overall.get("tool_accuracy")),
        _pct(overall.get("parameter_accuracy")),
        _pct(overall.get("call_accuracy")),
        str(overall.get("parse_errors", 0)),
        style="bold",
    )
    return table


def errors_line(metrics: dict[str, Any]) -> str:
    """One line with the non-zero error-taxonomy counts."""
    errors: dict[str, int] = metrics.get("errors", {})
    parts = [f"{k} {v}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1]) if v]
    return "errors: " + (", ".join(parts) if parts else "none")


def print_metrics(metrics: dict[str, Any], console: Console | None = None) -> None:
    """Print the metrics table and the error line."""
    con = console or Console()
    con.print(metrics_table(metrics))
    con.print(errors_line(metrics))
