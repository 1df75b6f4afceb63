"""Training curves saved with the run: ``curves.json``, ``curves.csv`` and ``curves.png``.

The rows are the trainer's logged training steps (``loss``, ``learning_rate``,
``grad_norm``, and for DPO ``rewards/margins``, ``rewards/chosen``, ``rewards/rejected``,
``rewards/accuracies``, ...). They are rewritten at every log (so a run in progress can be
watched and a resumed run keeps its history); the PNG is drawn at the end with matplotlib
(part of ``petool[train]``; without it the PNG alone is skipped, the run is not failed).
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.io import atomic_write_text, write_json

CURVES_JSON = "curves.json"
CURVES_CSV = "curves.csv"
CURVES_PNG = "curves.png"
_FIRST = ("step", "epoch", "loss", "learning_rate", "grad_norm")


def curve_rows(log_history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The training-step entries of a trainer's ``log_history`` (those with a ``loss``)."""
    rows = []
    for entry in log_history:
        if "loss" not in entry:  # the final summary has train_loss, evaluations eval_loss
            continue
        row = {"step": entry.get("step")}
        row.update({k: v for k, v in entry.items() if k != "step"})
        rows.append(row)
    return rows


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen = [c for c in _FIRST if any(c in r for r in rows)]
    for row in rows:
        seen += [k for k in row if k not in seen]
    return seen


def write_curves(log_history: Sequence[Mapping[str, Any]], out_dir: str | Path) -> list[Path]:
    """Write ``curves.json`` and ``curves.csv`` into the run directory; return the paths."""
    out = Path(out_dir)
    rows = curve_rows(log_history)
    write_json(out / CURVES_JSON, rows)
    buffer = io.StringIO()
    columns = _columns(rows)
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / CURVES_CSV, buffer.getvalue())
    return [out / CURVES_JSON, out / CURVES_CSV]


def plot_curves(log_history: Sequence[Mapping[str, Any]], out_dir: str | Path) -> Path | None:
    """Draw loss (and the DPO reward margin) against the step; None without matplotlib."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt: Any = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return None
    rows = curve_rows(log_history)
    panels = [k for k in ("loss", "rewards/margins") if any(k in r for r in rows)]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    for ax, key in zip(axes[0], panels, strict=True):
        points = [(r["step"], r[key]) for r in rows if key in r and r.get("step") is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=".")
        ax.set_xlabel("step")
        ax.set_title(key)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(out_dir) / CURVES_PNG
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def curve_callback(out_dir: str | Path) -> Any:
    """A ``transformers.TrainerCallback`` that rewrites the curves at every log (main
    process only)."""
    from transformers import TrainerCallback

    class _CurveWriter(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                write_curves(state.log_history, out_dir)

    return _CurveWriter()
