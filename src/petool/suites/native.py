"""Reading a benchmark's own output files as petool predictions, for ``petool score``.

petool's ``predictions.jsonl`` is read for every suite. Besides it:

* ``petoolbench`` — the results JSON of the authors' ``run_experiment.py`` (a list of
  ``query, api_call_ground_truth, response, entry_id, history_length``); one history mode per
  file, from ``--mode`` or the official file name ``{p,r,c}_{model}.json``.
* ``ptbench`` — the authors' ``generation.jsonl`` (``query, label, predict``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from petool.errors import InputError
from petool.io import iter_jsonl_raw
from petool.schema import Prediction, Suite


@dataclass
class NativePredictions:
    """Predictions read from a file, and the task selection the file implies."""

    predictions: list[Prediction]
    kind: str
    modes: list[str] | None = None
    split: str | None = None


def is_petool_predictions(path: Path) -> bool:
    """Whether the file is a petool predictions.jsonl (first record has ``id`` and ``output``)."""
    if not path.name.endswith(".jsonl"):
        return False
    for _, data in iter_jsonl_raw(path):
        return isinstance(data, dict) and "id" in data and "output" in data
    return True  # an empty predictions file


def _petoolbench(path: Path, mode: str | None) -> NativePredictions | None:
    from petool.scoring.petoolbench import is_petoolbench_results, read_petoolbench_results

    if not is_petoolbench_results(path):
        return None
    preds = read_petoolbench_results(path, mode)
    modes = sorted({p.id.rsplit(":", 1)[1] for p in preds})
    return NativePredictions(preds, "petoolbench-results", modes=modes)


def _ptbench(path: Path, suite: Suite, split: str | None) -> NativePredictions | None:
    module = importlib.import_module("petool.scoring.ptbench")
    detect = getattr(module, "is_ptbench_generation", None)
    read = getattr(module, "read_ptbench_generation", None)
    if detect is None or read is None or not detect(path):
        return None
    preds, chosen_split = read(path, suite, split)
    return NativePredictions(preds, "ptbench-generation", split=chosen_split)


def read_any_predictions(
    suite: Suite, path: str | Path, *, mode: str | None = None, split: str | None = None
) -> NativePredictions:
    """Read petool's predictions.jsonl or the suite's native output format."""
    from petool.runner import load_predictions

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if is_petool_predictions(p):
        return NativePredictions(load_predictions(p), "petool")
    found: NativePredictions | None = None
    if suite.name == "petoolbench":
        found = _petoolbench(p, mode)
    elif suite.name == "ptbench":
        found = _ptbench(p, suite, split)
    if found is None:
        raise InputError(
            f"{p}: not a petool predictions.jsonl (records with 'id' and 'output') nor a native"
            f" output file of suite '{suite.name}'"
        )
    return found
