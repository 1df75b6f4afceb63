"""Terminal tables of a run's metrics (Rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

MODE_ORDER = ("preferred", "rated", "chronological", "none")


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}" if isinstance(value, int | float) else "–"


def unified_block(metrics: dict[str, Any]) -> dict[str, Any]:
    """The unified metrics of a run: top level, or under ``unified`` when an official
    scorer uses the top-level names for its own numbers (PTBench's ``overall``)."""
    if isinstance(metrics.get("overall"), dict):
        return metrics
    unified = metrics.get("unified")
    return unified if isinstance(unified, dict) else {}


def metrics_table(metrics: dict[str, Any], title: str | None = None) -> Table:
    """Per history mode and overall: n, tool / parameter / call accuracy, parse errors."""
    official = any(isinstance(metrics.get(key), dict) for key in OFFICIAL_BREAKDOWNS)
    default = f"{metrics.get('suite', '?')} · {metrics.get('backend', '?')}"
    title = title or (f"{default} · petool's unified metrics" if official else default)
    metrics = unified_block(metrics)
    table = Table(title=title)
    table.add_column("mode")
    table.add_column("n", justify="right")
    table.add_column("tool acc %", justify="right")
    table.add_column("param acc %", justify="right")
    table.add_column("call acc %", justify="right")
    table.add_column("parse err", justify="right")
    table.add_column("backend err", justify="right")
    by_mode: dict[str, Any] = metrics.get("by_mode", {})
    rows = [m for m in MODE_ORDER if m in by_mode] + sorted(set(by_mode) - set(MODE_ORDER))
    if rows == ["none"]:  # a suite without history modes: the overall row says it all
        rows = []
    for mode in rows:
        m = by_mode[mode]
        table.add_row(
            mode,
            str(m.get("n", 0)),
            _pct(m.get("tool_accuracy")),
            _pct(m.get("parameter_accuracy")),
            _pct(m.get("call_accuracy")),
            str(m.get("parse_errors", 0)),
            str(m.get("backend_errors", 0)),
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
        str(overall.get("backend_errors", 0)),
        style="bold",
    )
    return table


def errors_line(metrics: dict[str, Any]) -> str:
    """One line with the non-zero error-taxonomy counts."""
    errors: dict[str, int] = unified_block(metrics).get("errors", metrics.get("errors", {}))
    parts = [f"{k} {_count(v)}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1]) if v]
    line = "errors: " + (", ".join(parts) if parts else "none")
    k = (metrics.get("trials") or {}).get("k")
    return f"{line} (mean over {k} trials)" if k and parts else line


def _count(value: float) -> str:
    """A count as an integer; a mean over trials (416.0, 214.666667) to one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


OFFICIAL_BREAKDOWNS = ("by_scenario", "by_split")


def breakdown_table(metrics: dict[str, Any], key: str) -> Table | None:
    """A table of an official scorer's breakdown (``by_scenario``, ``by_split``): one row per
    group, one column per numeric metric the groups have."""
    groups = metrics.get(key)
    if not isinstance(groups, dict) or not groups:
        return None
    columns: list[str] = []
    for cells in groups.values():
        if isinstance(cells, dict):
            for name, value in cells.items():
                shown = name == "n" or (isinstance(value, float) or value is None)
                if shown and name not in columns and not name.startswith("n_"):
                    columns.append(name)
    title = f"{metrics.get('suite', '?')} · {metrics.get('backend', '?')} · official, {key[3:]}"
    table = Table(title=title)
    table.add_column(key[3:])
    for name in columns:
        table.add_column(name, justify="right")
    for group, cells in groups.items():
        row = [str(group)]
        for name in columns:
            value = cells.get(name) if isinstance(cells, dict) else None
            if isinstance(value, float):
                row.append(f"{value:.3f}")
            else:
                row.append("–" if value is None else str(value))
        table.add_row(*row)
    return table


def print_metrics(metrics: dict[str, Any], console: Console | None = None) -> None:
    """Print the metrics table, an official breakdown if the scorer gives one, the errors."""
    con = console or Console()
    con.print(metrics_table(metrics))
    for key in OFFICIAL_BREAKDOWNS:
        table = breakdown_table(metrics, key)
        if table is not None:
            con.print(table)
    con.print(errors_line(metrics))
    status = metrics.get("status")
    if status in ("failed", "partial"):
        con.print(f"status: {status} (see health in metrics.json)", markup=False)
    con.print("the columns and every metric: docs/metrics.md", markup=False, style="dim")


def paper_table(rows: list[dict[str, Any]], title: str) -> Table:
    """Published numbers beside this run's (rows from ``petool.suites.paper``)."""
    table = Table(title=title)
    for col in ("paper model", "group", "metric", "paper", "this run", "Δ"):
        table.add_column(col, justify="right" if col in ("paper", "this run", "Δ") else "left")
    for r in rows:
        run = "–" if r["run"] is None else f"{r['run']:.3f}"
        delta = "–" if r["delta"] is None else f"{r['delta']:+.3f}"
        table.add_row(r["model"], r["group"], r["metric"], f"{float(r['paper']):.3f}", run, delta)
    return table
