"""PEToolBench's native results: the JSON files the authors' ``run_experiment.py`` writes.

A results file (``results/{p,r,c}_{model}.json``) is a list of ``{query,
api_call_ground_truth, response, entry_id, history_length}``; its name's prefix gives the
history mode. :func:`read_native` (registered for ``petool score``) reads it as petool
predictions against a loaded suite; :func:`score_petoolbench_results` scores it on its own,
with its own gold calls and its own length as denominator, exactly as ``calculate_scores``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.parsing import parse_output
from petool.schema import HISTORY_MODES, HistoryMode, Prediction, Suite
from petool.suites.native import NativePredictions
from petool.suites.petoolbench.files import read_json_document
from petool.suites.petoolbench.modes import MODE_CODES
from petool.suites.petoolbench.scorer import OfficialJudgement, judge_response, official_block

RESULTS_HINT = (
    "expected the results JSON of PEToolBench's run_experiment.py: a list of"
    " {query, api_call_ground_truth, response, entry_id, history_length}"
)
_MODE_PREFIX = re.compile(r"^([prc])_")


def resolve_mode(path: Path, mode: str | None) -> HistoryMode:
    """The history mode of a native results file: ``mode`` (p/r/c or a petool mode name), or
    the official file name's prefix (``results/{p,r,c}_{model}.json``).

    Raises:
        InputError: unknown ``mode``, or no mode given and none in the file name.
    """
    if mode is not None:
        if mode in MODE_CODES:
            return MODE_CODES[mode]
        if mode in HISTORY_MODES:
            return mode
        raise InputError(f"unknown PEToolBench mode '{mode}' (expected p, r or c)")
    match = _MODE_PREFIX.match(path.name)
    if match is None:
        raise InputError(
            f"{path}: cannot tell the history mode from the file name; pass --mode p|r|c"
        )
    return MODE_CODES[match.group(1)]


def _results_list(path: Path) -> list[Any]:
    data = read_json_document(path, RESULTS_HINT)
    if not isinstance(data, list):
        raise InputError(f"{path}: got a JSON {type(data).__name__}; {RESULTS_HINT}")
    if not data:
        raise InputError(f"{path}: the results list is empty; {RESULTS_HINT}")
    return data


def _field(path: Path, index: int, item: Any, key: str) -> Any:
    if not isinstance(item, dict):
        raise InputError(f"{path}: result {index}: expected an object; {RESULTS_HINT}")
    if key not in item:
        raise InputError(f"{path}: result {index}: field '{key}' is missing; {RESULTS_HINT}")
    return item[key]


def _response(path: Path, index: int, item: Any) -> str:
    value = _field(path, index, item, "response")
    if value is not None and not isinstance(value, str):
        raise InputError(
            f"{path}: result {index}: field 'response': expected a string or null,"
            f" got {type(value).__name__}"
        )
    return value or ""


def read_petoolbench_results(path: str | Path, mode: str | None = None) -> list[Prediction]:
    """Read a PEToolBench results JSON (``run_experiment.py`` output) as petool predictions.

    Args:
        path: the results file (``.json`` or ``.json.zip``).
        mode: ``p``, ``r`` or ``c`` (or a petool mode name); None takes it from the official
            file name ``{p,r,c}_{model}.json``.

    Returns:
        One prediction per result, id ``<entry_id>:<mode>``, ``output`` = the response,
        status and calls from petool's parser (for the unified metrics).

    Raises:
        InputError: unreadable file, not a list of result objects, a missing or mistyped
            ``entry_id``/``response``, a repeated ``entry_id``, or no mode (one line each).
    """
    p = Path(path)
    m = resolve_mode(p, mode)
    predictions: list[Prediction] = []
    seen: set[str] = set()
    for i, item in enumerate(_results_list(p)):
        entry_id = _field(p, i, item, "entry_id")
        if isinstance(entry_id, bool) or not isinstance(entry_id, int | str) or entry_id == "":
            raise InputError(f"{p}: result {i}: field 'entry_id': expected an integer or string")
        output = _response(p, i, item)
        pid = f"{entry_id}:{m}"
        if pid in seen:
            raise InputError(f"{p}: result {i}: entry_id {entry_id} appears twice")
        seen.add(pid)
        parsed = parse_output(output)
        predictions.append(
            Prediction(
                id=pid, output=output, status=parsed.status, calls=parsed.calls, error=parsed.error
            )
        )
    return predictions


def score_petoolbench_results(path: str | Path, mode: str | None = None) -> dict[str, Any]:
    """Score a native results file on its own, exactly as ``calculate_scores`` does.

    The gold calls are the file's own ``api_call_ground_truth`` and the denominator is the
    number of results in the file (quirk 8 in :mod:`petool.suites.petoolbench.scorer`).

    Args:
        path: the results file.
        mode: ``p``/``r``/``c``; optional (only labels the output).

    Returns:
        ``n``, ``tool_accuracy``, ``parameter_accuracy``, ``extraction`` counts, ``mode``
        (or None) and, when the mode is known, ``by_mode`` with that one mode.

    Raises:
        InputError: as :func:`read_petoolbench_results`, or a result whose
            ``api_call_ground_truth`` lacks ``tool_name`` or ``parameters``.
    """
    p = Path(path)
    try:
        m: HistoryMode | None = resolve_mode(p, mode)
    except InputError:
        if mode is not None:
            raise
        m = None
    judgements: list[OfficialJudgement] = []
    for i, item in enumerate(_results_list(p)):
        gold = _field(p, i, item, "api_call_ground_truth")
        if not isinstance(gold, dict) or "tool_name" not in gold or "parameters" not in gold:
            raise InputError(
                f"{p}: result {i}: field 'api_call_ground_truth': expected an object with"
                " tool_name and parameters"
            )
        judgements.append(
            judge_response(_response(p, i, item), gold["tool_name"], gold["parameters"])
        )
    block = official_block(judgements)
    out: dict[str, Any] = {**block, "mode": m}
    if m is not None:
        out["by_mode"] = {m: block}
    return out


def is_petoolbench_results(path: str | Path) -> bool:
    """Whether a file looks like a PEToolBench results JSON (a list of objects with
    ``entry_id`` and ``response``); False for anything unreadable."""
    p = Path(path)
    if not p.name.endswith((".json", ".json.zip")):
        return False
    try:
        data = read_json_document(p)
    except InputError:
        return False
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and "entry_id" in data[0]
        and "response" in data[0]
    )


def read_native(
    path: Path, suite: Suite, mode: str | None, split: str | None
) -> NativePredictions | None:
    """The authors' results JSON as predictions (None: not such a file)."""
    if not is_petoolbench_results(path):
        return None
    preds = read_petoolbench_results(path, mode)
    modes = sorted({p.id.rsplit(":", 1)[1] for p in preds})
    return NativePredictions(preds, "petoolbench-results", modes=modes)
