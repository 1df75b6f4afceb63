"""The papers' analysis grid: one ordinary run directory per (history limit, attributes) cell.

``petool analyze`` runs a backend on a suite with every history limit of :data:`HISTORIES`
(``None``: the whole history) crossed with the attribute probes of :data:`ATTRIBUTES` (as they
are, masked, shuffled — :mod:`petool.suites.transforms`). Each cell is a run directory under the
grid's folder, resumed when it exists (a finished cell is read back, not run again), so a killed
analysis continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from petool.backends.base import Backend
from petool.run.execute import ProgressCallback, evaluate
from petool.run.record import RunRecord
from petool.schema import Suite
from petool.suites.transforms import SuiteTransforms

HISTORIES: tuple[int | None, ...] = (0, 5, 10, 20, None)
ATTRIBUTES: tuple[str, ...] = ("as-is", "masked", "shuffled")
#: what each attribute probe does (the report's grid shows it)
ATTRIBUTE_NOTES = {
    "as-is": "the suite as it is",
    "masked": "non-functional attributes removed (attributes emptied, description cut to the"
    " tool's functionality)",
    "shuffled": "attributes permuted among the tools of each functional group (seeded)",
}


@dataclass
class GridCell:
    """One cell of the grid: its settings, its run directory and, once run, its record."""

    history: int | None
    attributes: str
    out_dir: Path
    record: RunRecord | None = None

    @property
    def transforms(self) -> SuiteTransforms:
        """The suite transforms of this cell."""
        return SuiteTransforms(
            history_limit=self.history,
            mask_attributes=self.attributes == "masked",
            shuffle_attributes=self.attributes == "shuffled",
        )

    @property
    def history_label(self) -> str:
        """``0``, ``5``, …, ``all``."""
        return "all" if self.history is None else str(self.history)

    def value(self, metric: str = "tool_accuracy") -> float | None:
        """The cell's overall ``metric``, or None when not run."""
        if self.record is None:
            return None
        overall = self.record.metrics.get("overall") or {}
        value = overall.get(metric)
        return float(value) if isinstance(value, int | float) else None


def grid_cells(
    out: str | Path,
    histories: Sequence[int | None] = HISTORIES,
    attributes: Sequence[str] = ATTRIBUTES,
) -> list[GridCell]:
    """The cells of a grid under ``out`` (directories ``history-<N|all>_<attributes>``)."""
    root = Path(out)
    return [
        GridCell(h, a, root / f"history-{'all' if h is None else h}_{a}")
        for a in attributes
        for h in histories
    ]


def run_grid(
    suite: Suite,
    make: Callable[[], Backend],
    cells: Sequence[GridCell],
    *,
    backend_spec: str,
    on_cell: Callable[[GridCell], None] | None = None,
    on_progress: ProgressCallback | None = None,
    **options: Any,
) -> list[GridCell]:
    """Run (or resume) every cell with a fresh backend from ``make``; ``options`` go to
    :func:`~petool.run.execute.evaluate` (split, modes, limit, seed, concurrency, ...)."""
    for cell in cells:
        if on_cell is not None:
            on_cell(cell)
        cell.record = evaluate(
            suite,
            make(),
            out_dir=cell.out_dir,
            backend_spec=backend_spec,
            resume=True,
            transforms=cell.transforms,
            on_progress=on_progress,
            **options,
        )
    return list(cells)


def grid_table(cells: Sequence[GridCell], metric: str = "tool_accuracy") -> dict[str, Any]:
    """The grid as JSON: ``{"metric", "histories", "rows": {attributes: {history: value}}}``."""
    histories: list[str] = []
    rows: dict[str, dict[str, float | None]] = {}
    for cell in cells:
        if cell.history_label not in histories:
            histories.append(cell.history_label)
        rows.setdefault(cell.attributes, {})[cell.history_label] = cell.value(metric)
    dirs = {f"{c.history_label}/{c.attributes}": str(c.out_dir) for c in cells}
    return {"metric": metric, "histories": histories, "rows": rows, "run_dirs": dirs}
