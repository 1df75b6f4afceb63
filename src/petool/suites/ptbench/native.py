"""PTBench's own output files as petool predictions (:func:`read_native`); answers <-> calls.

PTBench's runners (hyfshadow/PTBench ``src/predict_api.py``, ``src/predict_oss.py``, commit
9678ecc80b3b39fa9694f25662c44bf4245f0486) write ``<output_dir>/test_<split>_user/
generation.jsonl``, one line ``{"query", "label", "predict"}`` per record of that split's
``data.json``, in order. The official scorer pairs line ``i`` with record ``i`` and never reads
``query``. :func:`read_ptbench_generation` pairs them the same way, takes the split from the
folder name (else from the queries), and checks that each line's ``query`` equals its record's,
so that a file of the other split or in another order stops with one line naming the file,
line and record instead of being scored against the wrong answers. Fewer lines than records
is fine: a missing line is a format failure for the scorer, as in their code.

Each ``predict`` becomes a :class:`~petool.schema.Prediction` with the raw text as ``output``
and calls read by PTBench's parser (named ``"<platform>.<function>"``), or by petool's parser
when the text is not in PTBench's format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import iter_jsonl_raw
from petool.parsing import parse_output
from petool.schema import ALL_SPLITS, Prediction, Suite, Task, Tool, ToolCall
from petool.suites.native import NativePredictions
from petool.suites.ptbench.answer import Answer, PTBenchFormatError, parse_answer
from petool.suites.ptbench.loader import SPLIT_DIRS
from petool.suites.ptbench.meta import ptbench_fields

GENERATION_FILE = "generation.jsonl"
_FENCE = re.compile(r"^```[\w+-]*[ \t]*\n(.*)\n```$", re.S)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {"**" if k is None else str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if value is Ellipsis or isinstance(value, complex):
        return str(value)
    return value


def gold_answer(gold: Sequence[ToolCall]) -> list[Any]:
    """Gold calls back in PTBench's native shape ``[platform, [{func: {param: [values]}}]]``."""
    platform = gold[0].app if gold else None
    funcs = [
        {split_tool(c.tool, c.app)[1]: {p: c.accepted_values(p) for p in c.arguments}} for c in gold
    ]
    return [platform, funcs]


def split_tool(name: str, app: str | None, platforms: Collection[str] = ()) -> tuple[Any, str]:
    """``"<platform>.<function>"`` as ``(platform, function)``; the platform may be None."""
    if app and name.startswith(app + "."):
        return app, name[len(app) + 1 :]
    for platform in sorted(platforms, key=len, reverse=True):
        if name.startswith(platform + "."):
            return platform, name[len(platform) + 1 :]
    return app, name


def calls_to_answer(
    calls: Sequence[ToolCall], tools: Mapping[str, Tool], platforms: Collection[str]
) -> Answer:
    """petool calls as PTBench's parsed answer; the platform is the first call's."""
    funcs: list[dict[str, dict[Any, Any]]] = []
    platform: Any = None
    for i, call in enumerate(calls):
        tool = tools.get(call.tool)
        app = tool.app if tool is not None and tool.app else call.app
        where, name = split_tool(call.tool, app, platforms)
        platform = where if i == 0 else platform
        funcs.append({name: dict(call.arguments)})
    return platform, funcs


def is_unified_answer(prediction: Prediction) -> bool:
    """Whether the raw output is petool's answer: one JSON value (maybe fenced) or tool calls."""
    text = prediction.output.strip()
    if not text:
        return bool(prediction.calls)
    fenced = _FENCE.match(text)
    try:
        json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return False
    return True


def answer_to_calls(answer: Answer) -> list[ToolCall]:
    """A parsed PTBench answer as petool calls named ``"<platform>.<function>"``."""
    platform, funcs = answer
    app = platform if isinstance(platform, str) and platform else None
    calls = []
    for func in funcs:
        name, arguments = next(iter(func.items()))
        tool = f"{app}.{name}" if app else (name or "<unnamed>")
        calls.append(ToolCall(tool=tool, app=app, arguments=_jsonable(arguments)))
    return calls


def prediction_from_output(task: Task, text: str) -> Prediction:
    """A Prediction for raw model text: PTBench's format first, petool's parser otherwise."""
    try:
        calls = answer_to_calls(parse_answer(text))
    except PTBenchFormatError as exc:
        parsed = parse_output(text, tool_names=task.candidates)
        error = parsed.error and f"not PTBench's format ({exc}); {parsed.error}"
        return Prediction(
            id=task.id, output=text, status=parsed.status, calls=parsed.calls, error=error
        )
    return Prediction(id=task.id, output=text, status="ok" if calls else "no_call", calls=calls)


def is_ptbench_generation(path: str | Path) -> bool:
    """Whether ``path`` is PTBench output: a ``generation.jsonl`` or an ``output_dir``."""
    p = Path(path)
    if p.is_dir():
        return any((p / d / GENERATION_FILE).is_file() for d in SPLIT_DIRS.values())
    try:
        for _, record in iter_jsonl_raw(p):
            return isinstance(record, dict) and {"query", "label", "predict"} <= set(record)
    except InputError:
        return False
    return False


def _split_tasks(tasks: Sequence[Task]) -> dict[str, list[Task]]:
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        groups.setdefault(task.meta.split, []).append(task)
    for group in groups.values():
        group.sort(key=lambda t: ptbench_fields(t).index)
    return groups


def _guess_split(
    path: Path, rows: list[tuple[int, dict[str, Any]]], groups: dict[str, list[Task]]
) -> str:
    folder = {d: s for s, d in SPLIT_DIRS.items()}.get(path.parent.name)
    if folder is not None:
        return folder
    fits = [
        split
        for split, group in groups.items()
        if len(rows) <= len(group)
        and all(rec["query"] == group[k].instruction for k, (_, rec) in enumerate(rows))
    ]
    if len(fits) != 1:
        why = f"its queries match {' and '.join(fits)}" if fits else "no split's queries match"
        raise InputError(
            f"{path}: cannot tell which PTBench split this generation.jsonl belongs to ({why});"
            " keep it in its test_untrained_user/ or test_trained_user/ folder, or pass --split"
        )
    return fits[0]


def _read_generation_file(
    path: Path, tasks: Sequence[Task], split: str | None
) -> tuple[list[Prediction], str]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for lineno, record in iter_jsonl_raw(path):
        for field in ("query", "predict"):
            if not isinstance(record, dict) or not isinstance(record.get(field), str):
                raise InputError(
                    f"{path}:{lineno}: field '{field}': expected a string (PTBench's"
                    ' generation.jsonl lines are {"query", "label", "predict"})'
                )
        rows.append((lineno, record))
    groups = _split_tasks(tasks)
    split = split or _guess_split(path, rows, groups)
    if split not in groups:
        known = ", ".join(sorted(groups)) or "none"
        raise InputError(f"{path}: split '{split}' has no tasks here (splits: {known})")
    group = groups[split]
    if len(rows) > len(group):
        raise InputError(
            f"{path}:{rows[len(group)][0]}: {len(rows)} lines but split '{split}' has"
            f" {len(group)} records; PTBench pairs line i with record i of that split's data.json"
        )
    predictions = []
    for k, (lineno, record) in enumerate(rows):
        task = group[k]
        if record["query"] != task.instruction:
            raise InputError(
                f"{path}:{lineno}: field 'query': differs from record {k} of split '{split}'"
                f" (task {task.id}); PTBench pairs line i with record i of data.json, so the"
                " file must be that split's generation.jsonl, in order"
            )
        predictions.append(prediction_from_output(task, record["predict"]))
    return predictions, split


def read_generation(
    path: str | Path, tasks: Sequence[Task], split: str | None = None
) -> list[Prediction]:
    """Read PTBench's native output as predictions for ``tasks`` (the suite's tasks).

    Args:
        path: a ``generation.jsonl`` (its split is ``split``, else its folder's name
            ``test_untrained_user`` / ``test_trained_user``, else the split whose queries it
            matches in order), or PTBench's ``output_dir`` holding
            ``test_*_user/generation.jsonl`` (both splits read).
        tasks: the PTBench tasks, in file order within each split.
        split: the split of a single file, when known.

    Returns:
        One prediction per line, paired by position with the split's records.

    Raises:
        InputError: a malformed line, too many lines, or a query that does not match its
            record (one line naming file, line and field).
    """
    p = Path(path)
    if not p.is_dir():
        return _read_generation_file(p, tasks, split)[0]
    files = [(s, p / d / GENERATION_FILE) for s, d in SPLIT_DIRS.items()]
    found = [(s, f) for s, f in files if f.is_file()]
    if not found:
        raise InputError(
            f"{p}: no {'/ or '.join(SPLIT_DIRS.values())}/{GENERATION_FILE} inside; pass"
            f" PTBench's output_dir or one {GENERATION_FILE}"
        )
    return [pred for s, f in found for pred in _read_generation_file(f, tasks, s)[0]]


def read_ptbench_generation(
    path: str | Path, suite: Suite, split: str | None = None
) -> tuple[list[Prediction], str]:
    """:func:`read_generation` for ``petool score``: the predictions and the split they cover.

    Args:
        path: a ``generation.jsonl`` or PTBench's ``output_dir``.
        suite: the PTBench suite.
        split: the split of a single file, when known (``all`` is read as unknown).

    Returns:
        The predictions, and their split (``all`` for an ``output_dir`` with both files).
    """
    p = Path(path)
    known = split if split in SPLIT_DIRS else None
    if p.is_dir():
        return read_generation(p, suite.tasks), ALL_SPLITS
    return _read_generation_file(p, suite.tasks, known)


def read_native(
    path: Path, suite: Suite, mode: str | None, split: str | None
) -> NativePredictions | None:
    """The authors' generation.jsonl (or output_dir) as predictions; None: not such a file."""
    if not is_ptbench_generation(path):
        return None
    preds, chosen_split = read_ptbench_generation(path, suite, split)
    return NativePredictions(preds, "ptbench-generation", split=chosen_split)
