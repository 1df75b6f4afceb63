"""Reading a benchmark's own output files as petool predictions, for ``petool score``.

petool's ``predictions.jsonl`` is read for every suite. Besides it, a benchmark's package may
register a reader of its authors' output format under the suite's name::

    @native_readers.register("ptbench")
    def read(path, suite, mode, split) -> NativePredictions | None: ...

(``None``: the file is not in that format). PEToolBench reads the results JSON of the authors'
``run_experiment.py``; PTBench the authors' ``generation.jsonl``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import iter_jsonl_raw, parse_record
from petool.registry import Registry
from petool.schema import Prediction, Suite


@dataclass
class NativePredictions:
    """Predictions read from a file, and the task selection the file implies."""

    predictions: list[Prediction]
    kind: str
    modes: list[str] | None = None
    split: str | None = None


NativeReader = Callable[[Path, Suite, str | None, str | None], NativePredictions | None]
native_readers: Registry[NativeReader] = Registry("native output reader")

#: ``scorer(path, mode) -> metrics``: a benchmark whose native results file carries its own
#: gold registers one, so ``petool score`` works without the benchmark's data.
StandaloneScorer = Callable[[Path, str | None], dict[str, Any]]
standalone_scorers: Registry[StandaloneScorer] = Registry("standalone results scorer")


def read_petool_predictions(path: str | Path) -> list[Prediction]:
    """Read a predictions file to score: each task once (errors name file and line).

    A task id given twice with the same content counts once (a second writer's copy); with
    different content it stops, since which answer to score would be a guess.
    """
    kept: dict[str, tuple[int, Prediction]] = {}
    for lineno, data in iter_jsonl_raw(path):
        pred = parse_record(data, Prediction, f"{path}:{lineno}")
        first = kept.get(pred.id)
        if first is None:
            kept[pred.id] = (lineno, pred)
        elif first[1] != pred:
            raise InputError(
                f"{path}:{lineno}: field 'id': task '{pred.id}' is answered twice with different"
                f" content (first on line {first[0]}); keep one answer per task"
            )
    return [pred for _, pred in kept.values()]


def is_petool_predictions(path: Path) -> bool:
    """Whether the file is a petool predictions.jsonl (first record has ``id`` and ``output``)."""
    if not path.name.endswith(".jsonl"):
        return False
    for _, data in iter_jsonl_raw(path):
        return isinstance(data, dict) and "id" in data and "output" in data
    return True  # an empty predictions file


def read_any_predictions(
    suite: Suite, path: str | Path, *, mode: str | None = None, split: str | None = None
) -> NativePredictions:
    """Read petool's predictions.jsonl or the suite's native output format."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if is_petool_predictions(p):
        return NativePredictions(read_petool_predictions(p), "petool")
    reader = native_readers.find(suite.name)
    found = reader(p, suite, mode, split) if reader is not None else None
    if found is None:
        raise InputError(
            f"{p}: not a petool predictions.jsonl (records with 'id' and 'output') nor a native"
            f" output file of suite '{suite.name}'"
        )
    return found
