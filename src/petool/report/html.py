"""``petool report``: one self-contained HTML file of runs — plots, comparison, task browser.

Plots are Vega-Lite specs built with Altair and drawn by vega-embed; the vega, vega-lite and
vega-embed JavaScript is inlined from ``vl-convert-python``'s bundled copy
(``vl_convert.javascript_bundle()``), so the file opens offline with no server. Plotly would
also have shipped its bundle, but at ~4.6 MB against ~0.9 MB here, and Altair's declarative
specs are small JSON, which keeps a 10,000-task report well under 10 MB.

The per-task browser's data is embedded once as compact JSON with every repeated string
(tool names, argument objects, histories' instructions) stored once in a string table, and
rendered a page at a time by a small inline script. Past :data:`COMPRESS_OVER` bytes (a
report of thousands of tasks) that JSON is embedded gzip-compressed in base64 and inflated by
the browser's own ``DecompressionStream`` (no library, no network): a 10,000-task report of
three runs shrinks from 9.8 MB to a few MB (``benchmarks/report_scale.py``).

The page records its own script errors: ``window.__errors`` collects uncaught errors and
failed charts, and when every chart has settled (and the next frame is due) the page writes
``{"charts": N, "rendered": M, "errors": [...], "ms": T}`` into ``#report-status``, T being
the milliseconds since the navigation started (``performance.now()``).
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from petool.errors import ConfigError, DataMissingError, InputError
from petool.report.compare import compare_runs, comparison_caption
from petool.report.runs import ReportRun, load_runs
from petool.report.stats import DEFAULT_SEED
from petool.report.table import MODE_ORDER, unified_block
from petool.schema import Suite, Task, ToolCall
from petool.scoring.taxonomy import ERROR_LABELS
from petool.scoring.unified import HISTORY_BINS, history_bin

MAX_CATEGORIES = 30
#: of a wrong answer's raw output kept (a right answer shows its parsed calls)
OUTPUT_CHARS = 300
#: of a prediction's explanation, the reasons kept (the ranker gives its top features)
MAX_REASONS = 6
#: task data (JSON bytes) past which the page embeds it gzip-compressed
COMPRESS_OVER = 2_000_000


@dataclass
class ReportResult:
    """What :func:`write_report` wrote."""

    path: Path
    size_bytes: int
    n_tasks: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def _require_altair() -> Any:
    try:
        import altair as alt
        import vl_convert  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the [report] extra is missing
        raise ConfigError(
            "petool report needs the report extra: pip install 'petool[report]'"
        ) from exc
    return alt


def _vega_bundle() -> str:
    import vl_convert

    return str(vl_convert.javascript_bundle())  # type: ignore[call-arg]  # default snippet


def _json_safe(text: str) -> str:
    """JSON inside a script element: ``</`` never closes it (``<\\/`` reads the same)."""
    return text.replace("</", "<\\/")


def _script_safe(code: str) -> str:
    """JavaScript inside a script element: only ``</script`` would close it."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}" if isinstance(value, int | float) else "–"


def _pct_std(value: Any, std: Any) -> str:
    if isinstance(value, int | float) and isinstance(std, int | float):
        return f"{100 * value:.1f} ± {100 * std:.1f}"
    return _pct(value)


def _mode_key(mode: Any) -> tuple[int, str]:
    return (MODE_ORDER.index(mode) if mode in MODE_ORDER else len(MODE_ORDER), mode)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# -- sections ------------------------------------------------------------------------------


class _Charts:
    def __init__(self) -> None:
        self.specs: list[dict[str, Any]] = []

    def add(self, chart: Any) -> str:
        spec = chart.to_dict()
        self.specs.append(spec)
        return f'<div class="chart" id="chart-{len(self.specs) - 1}"></div>'


def _summary(runs: Sequence[ReportRun], charts: _Charts, alt: Any) -> str:
    from petool.suites.paper import compare_with_paper, paper_numbers

    rows, points = [], []
    for run in runs:
        m = run.metrics.to_dict()
        unified = unified_block(m)
        by_mode = unified.get("by_mode", {})
        groups = [(mode, by_mode[mode]) for mode in sorted(by_mode, key=_mode_key)]
        groups.append(("overall", unified.get("overall", {})))
        summary = run.metrics.trials
        std = unified_block(summary.std) if summary is not None else {}
        k = summary.k if summary is not None else 1
        for mode, g in groups:
            s = std.get("by_mode", {}).get(mode, {}) if mode != "overall" else std.get("overall")
            s = s if isinstance(s, dict) else {}
            rows.append(
                [
                    run.label,
                    run.suite,
                    m.get("status") or "–",
                    k,
                    mode,
                    g.get("n", "–"),
                    _pct_std(g.get("tool_accuracy"), s.get("tool_accuracy")),
                    _pct_std(g.get("parameter_accuracy"), s.get("parameter_accuracy")),
                    _pct_std(g.get("call_accuracy"), s.get("call_accuracy")),
                    g.get("parse_errors", "–"),
                    g.get("backend_errors", "–"),
                ]
            )
            if isinstance(g.get("call_accuracy"), int | float):
                points.append({"run": run.label, "mode": mode, "call accuracy": g["call_accuracy"]})
    out = _table(
        [
            "run",
            "suite",
            "status",
            "trials",
            "mode",
            "n",
            "tool acc %",
            "param acc %",
            "call acc %",
            "parse err",
            "backend err",
        ],
        rows,
    )
    if any(r.metrics.trials is not None for r in runs):
        out += (
            "<p>A run with repeated trials shows the mean over its trials ± their sample"
            " standard deviation (metrics.json <code>trials.std</code>); n counts a task"
            " once.</p>"
        )
    if points:
        chart = (
            alt.Chart(alt.Data(values=points))
            .mark_bar()
            .encode(
                x=alt.X("mode:N", sort=[*MODE_ORDER, "overall"], title=None),
                xOffset="run:N",
                y=alt.Y("call accuracy:Q", scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("run:N"),
                tooltip=["run:N", "mode:N", alt.Tooltip("call accuracy:Q", format=".3f")],
            )
            .properties(width=520, height=240, title="call accuracy by history mode")
        )
        out += charts.add(chart)
    for run in runs:
        if paper_numbers(run.suite) is None:
            continue
        if run.metrics.status == "failed":
            out += f"<p>{html.escape(run.label)}: a failed run is not placed beside the paper.</p>"
            continue
        paper = compare_with_paper(run.suite, run.metrics.to_dict())
        out += f"<h3>{html.escape(run.label)} beside the paper ({html.escape(run.suite)})</h3>"
        out += _table(
            ["paper model", "group", "metric", "paper", "this run", "run − paper"],
            [
                [
                    r["model"],
                    r["group"],
                    r["metric"],
                    r["paper"],
                    "–" if r["run"] is None else f"{r['run']:.4g}",
                    "–" if r["delta"] is None else f"{r['delta']:+.4g}",
                ]
                for r in paper
            ],
            cls="paper",
        )
    return out


def _history(runs: Sequence[ReportRun], charts: _Charts, alt: Any) -> str:
    cells: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        for row in run.rows:
            cell = cells[(run.label, row.mode, history_bin(row.history_length))]
            cell[0] += int(row.call_correct)
            cell[1] += 1
    points = [
        {"run": r, "mode": m, "history": b, "call accuracy": c / n, "n": n}
        for (r, m, b), (c, n) in cells.items()
    ]
    modes = sorted({p["mode"] for p in points}, key=_mode_key)
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_line(point=True)
        .encode(
            x=alt.X("history:O", sort=[b[0] for b in HISTORY_BINS], title="history length"),
            y=alt.Y("call accuracy:Q", scale=alt.Scale(domain=[0, 1])),
            color="run:N",
            tooltip=[
                "run:N",
                "mode:N",
                "history:O",
                "n:Q",
                alt.Tooltip("call accuracy:Q", format=".3f"),
            ],
        )
        .properties(width=260, height=200)
        .facet(column=alt.Column("mode:N", sort=modes, title=None))
        .properties(title="call accuracy by history length (binned), per mode")
    )
    return charts.add(chart)


def _errors(runs: Sequence[ReportRun], charts: _Charts, alt: Any) -> str:
    totals: Counter[tuple[str, str]] = Counter()
    counts: Counter[tuple[str, str, str]] = Counter()
    for run in runs:
        for row in run.rows:
            totals[(run.label, row.mode)] += 1
            if row.error is not None:
                counts[(run.label, row.mode, row.error)] += 1
    points = [
        {"run": r, "mode": m, "error": e, "share of tasks": k / totals[(r, m)], "tasks": k}
        for (r, m, e), k in counts.items()
    ]
    if not points:
        return "<p>No wrong answer in any run.</p>"
    modes = sorted({p["mode"] for p in points}, key=_mode_key)
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_bar()
        .encode(
            x=alt.X("run:N", title=None),
            y=alt.Y("share of tasks:Q", stack="zero"),
            color=alt.Color("error:N", sort=list(ERROR_LABELS)),
            tooltip=[
                "run:N",
                "mode:N",
                "error:N",
                "tasks:Q",
                alt.Tooltip("share of tasks:Q", format=".3f"),
            ],
        )
        .properties(width=max(120, 60 * len(runs)), height=220)
        .facet(column=alt.Column("mode:N", sort=modes, title=None))
        .properties(title="error taxonomy: share of tasks per label, per run and mode")
    )
    return charts.add(chart)


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


def _categories(runs: Sequence[ReportRun], charts: _Charts, alt: Any) -> str:
    sizes: Counter[str] = Counter(row.category or "–" for row in runs[0].rows)
    top = [c for c, _ in sizes.most_common(MAX_CATEGORIES)]
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        for row in run.rows:
            cat = row.category or "–"
            if cat in top:
                cell = cells[(run.label, cat)]
                cell[0] += int(row.call_correct)
                cell[1] += 1
    points = [
        {"run": r, "category": c, "call accuracy": k / n, "n": n}
        for (r, c), (k, n) in cells.items()
    ]
    note = (
        f"<p>The {MAX_CATEGORIES} largest of {len(sizes)} categories.</p>"
        if len(sizes) > MAX_CATEGORIES
        else ""
    )
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_bar()
        .encode(
            y=alt.Y("category:N", sort=top, title=None),
            yOffset="run:N",
            x=alt.X("call accuracy:Q", scale=alt.Scale(domain=[0, 1])),
            color="run:N",
            tooltip=["run:N", "category:N", "n:Q", alt.Tooltip("call accuracy:Q", format=".3f")],
        )
        .properties(
            width=520,
            height=max(120, 18 * len(top) * len(runs) ** 0.5),
            title="call accuracy by category",
        )
    )
    out = note + charts.add(chart)
    out += _official(runs, charts, alt, top)
    return out


def _official(runs: Sequence[ReportRun], charts: _Charts, alt: Any, top: list[str]) -> str:
    """The suite's own per-task verdicts averaged: overall (ToolSpectrum's APP → API → RP →
    PP/OP funnel, PTBench's columns) and per category."""
    points: list[dict[str, Any]] = []
    out = ""
    for run in runs:
        order: list[str] = []
        sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for row in run.rows:
            for key, value in (row.official or {}).items():
                num = _numeric(value)
                if key not in order and (num is not None or value is None):
                    order.append(key)  # a column's place: where the scorer first puts it
                if num is None:
                    continue
                for group in ("overall", row.category or "–"):
                    cell = sums[(group, key)]
                    cell[0] += num
                    cell[1] += 1
        order = [key for key in order if ("overall", key) in sums]
        if not order:
            continue
        for key in order:
            s, n = sums[("overall", key)]
            points.append({"run": run.label, "verdict": key, "mean": s / n, "order": len(points)})
        rows = []
        for group in ["overall", *top]:
            cells = [sums.get((group, k)) for k in order]
            if not any(cells):
                continue
            rows.append([group, *["–" if not c else f"{c[0] / c[1]:.3f}" for c in cells]])
        out += f"<h3>{html.escape(run.label)}: the suite's own verdicts, mean per task</h3>"
        out += _table(["category", *order], rows, cls="official")
    if points:
        keys = list(dict.fromkeys(p["verdict"] for p in points))
        chart = (
            alt.Chart(alt.Data(values=points))
            .mark_bar()
            .encode(
                x=alt.X("verdict:N", sort=keys, title=None),
                xOffset="run:N",
                y=alt.Y("mean:Q"),
                color="run:N",
                tooltip=["run:N", "verdict:N", alt.Tooltip("mean:Q", format=".3f")],
            )
            .properties(
                width=max(240, 50 * len(keys)),
                height=220,
                title="the suite's own verdicts (mean over tasks), in the scorer's order",
            )
        )
        out = charts.add(chart) + out
    return out


def _comparison(comparisons: list[dict[str, Any]], charts: _Charts, alt: Any) -> str:
    if not comparisons:
        return "<p>Fewer than two runs on one suite: nothing to compare.</p>"
    rows, points = [], []
    notes = []
    for c in comparisons:
        if c.get("test", "mcnemar") != "mcnemar":
            notes.append(
                f"{c['b']} − {c['a']} ({c['trials_b']} and {c['trials_a']} trials): "
                + comparison_caption(c)
                + "."
            )
        for g in c["groups"]:
            pair = f"{c['b']} − {c['a']}"
            rows.append(
                [
                    pair,
                    g["group"],
                    g["n"],
                    _pct(g["a"]),
                    _pct(g["b"]),
                    f"{100 * g['difference']:+.1f}",
                    f"[{100 * g['ci_low']:+.1f}, {100 * g['ci_high']:+.1f}]",
                    g["only_a"],
                    g["only_b"],
                    f"{g['p_value']:.3g}",
                    "yes" if g["significant"] else "no",
                ]
            )
            points.append(
                {
                    "pair": pair,
                    "group": g["group"],
                    "difference": g["difference"],
                    "low": g["ci_low"],
                    "high": g["ci_high"],
                    "p": g["p_value"],
                }
            )
    base = alt.Chart(alt.Data(values=points)).encode(
        y=alt.Y("group:N", sort=None, title=None),
        color=alt.Color("pair:N"),
        yOffset="pair:N",
    )
    chart = (
        base.mark_rule(strokeWidth=2).encode(
            x=alt.X("low:Q", title="difference (B − A)"), x2="high:Q"
        )
        + base.mark_point(filled=True, size=60).encode(
            x="difference:Q",
            tooltip=["pair:N", "group:N", "difference:Q", "low:Q", "high:Q", "p:Q"],
        )
    ).properties(
        width=520,
        height=60 + 30 * len({p["group"] for p in points}),
        title="difference in call accuracy with its 95 % paired bootstrap interval",
    )
    return (
        "<p>Paired on the tasks both runs hold. Interval: 95 % paired bootstrap of the mean "
        "per-task difference; p: exact McNemar test on the tasks only one run got right. "
        "Significant: p &lt; 0.05 and the interval excludes 0. A run with repeated trials "
        "scores each task by its mean over its trials; the tasks, not the (task, trial) "
        "rows, are paired and resampled, and p is the exact sign test on the tasks where "
        "the means differ (McNemar's test is its single-trial case).</p>"
        + "".join(f"<p>{html.escape(n)}</p>" for n in notes)
        + charts.add(chart)
        + _table(
            [
                "B − A",
                "group",
                "n",
                "A %",
                "B %",
                "B − A pp",
                "95 % CI pp",
                "A only",
                "B only",
                "p",
                "significant",
            ],
            rows,
        )
    )


def _grid(grid: dict[str, Any], charts: _Charts, alt: Any) -> str:
    """``petool analyze``'s grid: the metric per (attributes, history limit) cell, as a
    heatmap and a table (``grid`` as :func:`petool.run.grid.grid_table` returns it)."""
    from petool.run.grid import ATTRIBUTE_NOTES

    histories = [str(h) for h in grid["histories"]]
    metric = str(grid["metric"])
    head = "".join(f"<th>history {html.escape(h)}</th>" for h in histories)
    rows, points = [], []
    for attributes, values in grid["rows"].items():
        cells = ""
        for h in histories:
            value = values.get(h)
            cells += "<td>–</td>" if value is None else f"<td>{100 * value:.1f}</td>"
            if value is not None:
                points.append({"attributes": attributes, "history": h, metric: value})
        note = html.escape(ATTRIBUTE_NOTES.get(attributes, ""), quote=True)
        rows.append(f'<tr><th title="{note}">{html.escape(attributes)}</th>{cells}</tr>')
    out = (
        f"<p>{html.escape(metric)} (%) of each cell: the last N interactions of each history"
        " kept (all: the whole history), the tools' attributes as they are, masked or shuffled."
        " Each cell is a run below (its label names its directory).</p>"
        f"<table><thead><tr><th>attributes</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    if points:
        base = alt.Chart(alt.Data(values=points)).encode(
            x=alt.X("history:O", sort=histories, title="history limit"),
            y=alt.Y("attributes:N", sort=list(grid["rows"]), title=None),
        )
        chart = (
            base.mark_rect().encode(
                color=alt.Color(
                    f"{metric}:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title=metric
                ),
                tooltip=["attributes:N", "history:O", alt.Tooltip(f"{metric}:Q", format=".3f")],
            )
            + base.mark_text(baseline="middle").encode(
                text=alt.Text(f"{metric}:Q", format=".1%"),
                color=alt.condition(
                    alt.datum[metric] > 0.6, alt.value("white"), alt.value("black")
                ),
            )
        ).properties(width=60 * len(histories), height=40 * len(grid["rows"]),
                     title=f"{metric} by history limit × attributes")  # fmt: skip
        out += charts.add(chart)
    return out


# -- the task browser's data -----------------------------------------------------------------


class _Strings:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.items)
            self.items.append(text)
        return i


def _calls(calls: Sequence[ToolCall], st: _Strings) -> list[list[int]]:
    return [[st(c.tool), st(json.dumps(c.arguments, ensure_ascii=False))] for c in calls]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "–" if value is None else str(value)


def _explanation(explanation: Any, st: _Strings) -> list[Any] | int:
    """A prediction's explanation, compact: ``[choice, runner-up, abstain probability,
    [[feature, value, contribution], ...]]`` (strings as string-table indices), or -1.

    Read defensively: the ranker's explanation is ``{"choice", "runner_up",
    "abstain_probability", "reasons": [{"feature", "value", "contribution"}]}``; a missing
    key shows as "–", anything else in it is left out."""
    if not isinstance(explanation, dict) or not explanation:
        return -1
    reasons: list[list[Any]] = []
    for reason in explanation.get("reasons") or []:
        if isinstance(reason, dict) and len(reasons) < MAX_REASONS:
            contribution = _numeric(reason.get("contribution"))
            reasons.append(
                [
                    st(_short(reason.get("feature"))),
                    st(_short(reason.get("value"))),
                    None if contribution is None else round(contribution, 4),
                ]
            )
    abstain = _numeric(explanation.get("abstain_probability"))
    choice = explanation.get("choice")
    return [
        st("(abstain)" if choice is None and "choice" in explanation else _short(choice)),
        st(_short(explanation.get("runner_up"))),
        None if abstain is None else round(abstain, 4),
        reasons,
    ]


def _browser_data(runs: Sequence[ReportRun], suites: dict[str, Suite | None]) -> dict[str, Any]:
    st = _Strings()
    tasks: list[dict[str, Any]] = []
    task_index: dict[tuple[str, str, str], int] = {}
    by_id: dict[str, dict[str, Task]] = {}
    for name, suite in suites.items():
        by_id[name] = {t.id: t for t in suite.tasks} if suite is not None else {}
    out_runs = []
    for run in runs:
        rows: list[list[Any]] = []
        for row in run.rows:
            key = (run.suite, row.id, row.mode)
            ti = task_index.get(key)
            if ti is None:
                task = by_id.get(run.suite, {}).get(row.id)
                history = task.user.history if task is not None else []
                tasks.append(
                    {
                        "id": row.id,
                        "m": row.mode,
                        "k": st(row.category or "–"),
                        "i": st(task.instruction if task is not None else "(suite not loaded)"),
                        "h": [
                            [
                                st(x.instruction),
                                st(x.call.tool),
                                st(json.dumps(x.call.arguments, ensure_ascii=False)),
                                x.rating or 0,
                            ]
                            for x in history
                        ],
                        "c": [st(c) for c in task.candidates] if task is not None else [],
                        "g": _calls(row.gold, st),
                    }
                )
                ti = task_index[key] = len(tasks) - 1
            trial = row.trial if row.trial is not None else 0
            output = run.outputs.get((row.id, trial))
            rows.append(
                [
                    ti,
                    int(row.call_correct),
                    st(row.error),
                    row.status,
                    _calls(row.predicted, st),
                    st(output[:OUTPUT_CHARS]) if output and not row.call_correct else -1,
                    -1 if row.trial is None else row.trial,
                    _explanation(run.explanations.get((row.id, trial)), st),
                ]
            )
        out_runs.append({"label": run.label, "rows": rows})
    modes = sorted({t["m"] for t in tasks}, key=_mode_key)
    errors = sorted({st.items[r[2]] for run in out_runs for r in run["rows"] if r[2] >= 0})
    cats = sorted({st.items[t["k"]] for t in tasks})
    trials = sorted({r[6] for run in out_runs for r in run["rows"] if r[6] >= 0})
    return {
        "trials": trials,
        "strings": st.items,
        "tasks": tasks,
        "runs": out_runs,
        "modes": modes,
        "errors": errors,
        "categories": cats,
    }


def _load_suites(
    runs: Sequence[ReportRun], data: str | Path | None, warnings: list[str]
) -> dict[str, Suite | None]:
    """The suites the runs name, for the task browser's text. config.json names a suite by
    its name: a registered suite loads by it (its data from ``data``); a suite directory's
    run is found with ``data`` naming that directory. A suite whose content hash differs
    from the run's is used, with a warning."""
    from petool.run.rescore import suite_hash
    from petool.suites.directory import is_suite_dir
    from petool.suites.registry import load_suite, suites

    found: dict[str, Suite | None] = {}
    for run in runs:
        if run.suite in found:
            continue
        try:
            if suites.find(run.suite) is None and data is not None and is_suite_dir(data):
                suite = load_suite(data, lenient=True)
                if suite.name != run.suite:
                    raise InputError(f"{data} holds suite '{suite.name}'")
            else:
                suite = load_suite(run.suite, data, lenient=True)
        except (DataMissingError, InputError) as exc:
            warnings.append(
                f"suite '{run.suite}' not loaded ({exc}); the task browser shows no task text"
                " (--data: the suite directory, or a public suite's data)"
            )
            found[run.suite] = None
            continue
        recorded = run.config.suite_hash if run.config is not None else None
        if recorded and recorded != suite_hash(suite):
            warnings.append(
                f"suite '{run.suite}' has changed since run {run.path} (hash {recorded},"
                f" now {suite_hash(suite)}): its task text may not match"
            )
        found[run.suite] = suite
    return found


# -- the page -----------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 2em 4em;color:#222;max-width:1300px}
h1{margin-top:.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
th{background:#f4f4f4}.chart{margin:.8em 0}
nav a{margin-right:1em}code{font-size:12px;background:#f6f6f6;padding:0 3px}
details{border-bottom:1px solid #eee;padding:3px 0}summary{cursor:pointer}
.detail{padding:.3em 1.5em;background:#fafafa}.ok{color:#187a2f}.bad{color:#b3261e}
.err{color:#8a5a00}.like{color:#187a2f;font-weight:600}.dislike{color:#b3261e;font-weight:600}
pre{white-space:pre-wrap;background:#f6f6f6;padding:4px;font-size:12px}
#filters select,#filters input{margin-right:.8em}
"""

_CHART_SCRIPT = """
(function(){
  var specs = JSON.parse(document.getElementById("chart-specs").textContent);
  var rendered = 0;
  var jobs = specs.map(function(spec, i){
    return vegaEmbed("#chart-" + i, spec, {actions:false, renderer:"svg"})
      .then(function(){ rendered++; })
      .catch(function(e){ window.__errors.push("chart " + i + ": " + e); });
  });
  Promise.all(jobs.concat([window.__browserReady])).then(function(){
    requestAnimationFrame(function(){
      document.getElementById("report-status").textContent = JSON.stringify({
        charts: specs.length, rendered: rendered, errors: window.__errors,
        ms: Math.round(performance.now())});
    });
  });
})();
"""


def _task_data(text: str, compress_over: int) -> str:
    """The task browser's data element: the JSON as it is, or, past ``compress_over``
    bytes, gzip-compressed (mtime 0: the same runs give the same bytes) in base64, which
    the page inflates with the browser's ``DecompressionStream``."""
    raw = text.encode("utf-8")
    if len(raw) <= compress_over:
        return f'<script type="application/json" id="task-data">{_json_safe(text)}</script>'
    packed = base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")
    return f'<script type="application/gzip;base64" id="task-data-gz">{packed}</script>'


def render_report(
    runs: Sequence[ReportRun],
    *,
    data: str | Path | None = None,
    seed: int = DEFAULT_SEED,
    warnings: list[str] | None = None,
    grid: dict[str, Any] | None = None,
    compress_over: int = COMPRESS_OVER,
) -> str:
    """The report's HTML text; ``grid`` (``petool analyze``'s, from
    :func:`petool.run.grid.grid_table`) adds the "Analysis grid" section first. The task
    browser's data is embedded gzip-compressed when its JSON passes ``compress_over``
    bytes."""
    alt = _require_altair()
    warnings = warnings if warnings is not None else []
    charts = _Charts()
    suites = _load_suites(runs, data, warnings)
    comparisons = compare_runs(runs, seed=seed)
    sections = [("grid", "Analysis grid", _grid(grid, charts, alt))] if grid is not None else []
    sections += [
        ("summary", "Summary per run and mode", _summary(runs, charts, alt)),
        ("history", "Accuracy by history length", _history(runs, charts, alt)),
        ("errors", "Error taxonomy", _errors(runs, charts, alt)),
        ("categories", "By category / scenario / platform", _categories(runs, charts, alt)),
        ("comparison", "Comparison of runs", _comparison(comparisons, charts, alt)),
    ]
    browser = _browser_data(runs, suites)
    nav = "".join(f'<a href="#{k}">{html.escape(t)}</a>' for k, t, _ in sections)
    body = "".join(f'<h2 id="{k}">{html.escape(t)}</h2>{s}' for k, t, s in sections)
    runs_list = "".join(
        f"<li><b>{html.escape(r.label)}</b>: {html.escape(str(r.path))} · suite "
        f"{html.escape(r.suite)} · {len(r.rows)} tasks</li>"
        for r in runs
    )
    warn = "".join(f"<p class=bad>{html.escape(w)}</p>" for w in warnings)
    browser_html = (
        '<h2 id="tasks-h">Tasks</h2><div id="filters">run <select id="f-run"></select>'
        'mode <select id="f-mode"><option value="">all</option></select>'
        'verdict <select id="f-verdict"><option value="">all</option>'
        '<option value="right">right</option><option value="wrong">wrong</option></select>'
        'error <select id="f-error"><option value="">all</option></select>'
        'category <select id="f-category"><option value="">all</option></select>'
        '<span id="f-trial-box">trial <select id="f-trial"><option value="">all</option>'
        "</select></span>"
        'search <input id="f-text" size="24"> <button id="prev">◀</button>'
        ' <span id="page-info"></span> <button id="next">▶</button></div>'
        f"<p>A wrong answer shows the model's raw output (its first {OUTPUT_CHARS} characters)"
        " too; a right one its parsed calls. A prediction with an explanation (the learned"
        " ranker's) shows the features that most set its choice apart from the runner-up."
        '</p><div id="tasks"></div>'
    )
    js = resources.files("petool.report").joinpath("browser.js").read_text(encoding="utf-8")
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>petool report</title>"
        "<script>window.__errors=[];window.addEventListener('error',function(e){"
        "window.__errors.push(String(e.message||e));});</script>"
        f"<style>{_CSS}</style></head><body><h1>petool report</h1><ul>{runs_list}</ul>{warn}"
        f'<nav>{nav}<a href="#tasks-h">Tasks</a></nav>{body}{browser_html}'
        '<pre id="report-status" hidden></pre>'
        f'<script type="application/json" id="chart-specs">'
        f"{_json_safe(json.dumps(charts.specs, **compact))}</script>"  # type: ignore[arg-type]
        f"{_task_data(json.dumps(browser, **compact), compress_over)}"  # type: ignore[arg-type]
        f"<script>{_script_safe(_vega_bundle())}</script>"
        f"<script>{_script_safe(js)}</script>"
        f"<script>{_script_safe(_CHART_SCRIPT)}</script></body></html>"
    )


def write_report(
    run_dirs: Sequence[str | Path],
    out: str | Path,
    *,
    data: str | Path | None = None,
    overwrite: bool = False,
    seed: int = DEFAULT_SEED,
) -> ReportResult:
    """Read run directories and write their report to ``out`` (an existing file is refused
    unless ``overwrite``)."""
    from petool.io import atomic_write_text

    start = time.perf_counter()
    path = Path(out)
    if path.is_dir():
        raise InputError(f"{path}: is a directory (--out names the HTML file to write)")
    if path.exists() and not overwrite:
        raise InputError(f"{path}: exists (give --overwrite to replace it)")
    runs = load_runs(run_dirs)
    warnings: list[str] = []
    text = render_report(runs, data=data, seed=seed, warnings=warnings)
    atomic_write_text(path, text)
    return ReportResult(
        path=path,
        size_bytes=path.stat().st_size,
        n_tasks=max(len(r.rows) for r in runs),
        seconds=time.perf_counter() - start,
        warnings=warnings,
    )
