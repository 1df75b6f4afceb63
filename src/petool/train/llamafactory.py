"""LLaMA-Factory datasets: export a suite's training data, and read such files as input.

**Export** (:func:`export_llamafactory`) writes alpaca rows for SFT and ranking rows for DPO
plus the ``dataset_info.json`` LLaMA-Factory reads. Each row carries ``system`` (the system
message), ``instruction`` (the user message), ``input`` (empty) and ``output`` (SFT) or
``chosen`` / ``rejected`` (DPO); ``dataset_info.json`` maps the ``system`` column, so
LLaMA-Factory renders exactly the messages petool's evaluation renders. ``by_mode=True``
writes one file per history mode (``<name>_sft_p.json``, ``_r``, ``_c``), as PEToolBench's
released training data does.

**Input** (:func:`examples_from_llamafactory`): PEToolBench's released files
(``dataset_sft/*.json``, ``dataset_dpo/*.json``, read and validated by
:func:`petool.suites.petoolbench.read_llamafactory_file`) or petool's own exports, as
TRL rows. A row with a ``system`` column becomes ``[system, user = instruction (+ "\\n" +
input)]`` (LLaMA-Factory's own rendering); a row without one — PEToolBench's layout, whose
``instruction`` is the whole rendered prompt and ``input`` the query — becomes ``[system =
instruction, user = input]``, the messages of the ``petoolbench`` suite's ``faithful`` prompt
at evaluation. A ``history`` column (``[[user, assistant], ...]``) becomes earlier turns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import write_json
from petool.schema import Suite, Task
from petool.suites.petoolbench import CODE_OF_MODE, read_llamafactory_file
from petool.train.checks import check_pairs, check_sft_rows
from petool.train.datasets import PairSummary, dpo_rows, sft_rows

DATASET_INFO = "dataset_info.json"
KINDS = ("sft", "dpo")


def _split_prompt(messages: Sequence[Mapping[str, Any]], where: str) -> dict[str, Any]:
    """``system``, ``instruction`` (the last user turn) and ``history`` of rendered messages."""
    turns = [dict(m) for m in messages]
    system = ""
    if turns and turns[0]["role"] == "system":
        system = str(turns.pop(0)["content"])
    if not turns or turns[-1]["role"] != "user":
        raise InputError(f"{where}: the prompt does not end with a user message")
    history: list[list[str]] = []
    earlier = turns[:-1]
    if len(earlier) % 2:
        raise InputError(f"{where}: the prompt's earlier turns are not user/assistant pairs")
    for user, assistant in zip(earlier[::2], earlier[1::2], strict=True):
        if user["role"] != "user" or assistant["role"] != "assistant":
            raise InputError(f"{where}: the prompt's earlier turns are not user/assistant pairs")
        history.append([str(user["content"]), str(assistant["content"])])
    row: dict[str, Any] = {"system": system, "instruction": str(turns[-1]["content"]), "input": ""}
    if history:
        row["history"] = history
    return row


def _text(messages: Sequence[Mapping[str, Any]]) -> str:
    return str(messages[0]["content"])


def alpaca_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """TRL prompt-completion rows (text tool calling) as LLaMA-Factory alpaca rows."""
    out = []
    for row in rows:
        item = _split_prompt(row["prompt"], f"task {row.get('id')}")
        item["output"] = _text(row["completion"])
        out.append(item)
    return out


def ranking_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """TRL preference rows (text tool calling) as LLaMA-Factory ranking rows."""
    out = []
    for row in rows:
        item = _split_prompt(row["prompt"], f"task {row.get('id')}")
        item["chosen"] = _text(row["chosen"])
        item["rejected"] = _text(row["rejected"])
        out.append(item)
    return out


def _info_entry(file_name: str, kind: str, with_history: bool) -> dict[str, Any]:
    columns = {"system": "system", "prompt": "instruction", "query": "input"}
    if kind == "sft":
        columns["response"] = "output"
    else:
        columns |= {"chosen": "chosen", "rejected": "rejected"}
    if with_history:
        columns["history"] = "history"
    entry: dict[str, Any] = {"file_name": file_name}
    if kind == "dpo":
        entry["ranking"] = True
    entry["columns"] = columns
    return entry


def _groups(tasks: Sequence[Task], by_mode: bool) -> dict[str, list[Task]]:
    if not by_mode:
        return {"": list(tasks)}
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        code = CODE_OF_MODE.get(task.mode) if task.mode else None
        groups.setdefault(f"_{code}" if code else "", []).append(task)
    return groups


def export_llamafactory(
    suite: Suite,
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    kinds: Sequence[str] = KINDS,
    by_mode: bool = False,
    prompt_style: str | None = None,
    mix: Mapping[str, float] | None = None,
    pairs_per_task: int = 1,
    seed: int = 0,
) -> tuple[Path, dict[str, Any]]:
    """Write LLaMA-Factory datasets (alpaca SFT, ranking DPO) and their dataset_info.json.

    Args:
        suite: the suite (tools, prompt style).
        tasks: the tasks to export (usually the train split).
        out_dir: the folder to write (created).
        kinds: ``sft`` and/or ``dpo``.
        by_mode: one file per history mode (``_p``, ``_r``, ``_c``) as PEToolBench ships.
        prompt_style: overrides the suite's style.
        mix: DPO rejection mix (see :func:`petool.train.datasets.dpo_rows`).
        pairs_per_task: DPO pairs per task.
        seed: seed of the DPO draw.

    Returns:
        The dataset_info.json path and a summary (files with row counts, the DPO pair summary).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {}
    summary: dict[str, Any] = {"files": {}}
    pairs_total: PairSummary | None = None
    for kind in kinds:
        if kind not in KINDS:
            raise InputError(f"--kind: expected sft or dpo, got '{kind}'")
        for suffix, group in _groups(tasks, by_mode).items():
            name = f"{suite.name}_{kind}{suffix}"
            if kind == "sft":
                rows = alpaca_rows(sft_rows(suite, group, prompt_style=prompt_style))
            else:
                made, pairs = dpo_rows(
                    suite,
                    group,
                    mix=mix,
                    pairs_per_task=pairs_per_task,
                    seed=seed,
                    prompt_style=prompt_style,
                )
                rows = ranking_rows(made)
                pairs_total = _merge(pairs_total, pairs)
            file_name = f"{name}.json"
            write_json(out / file_name, rows)
            info[name] = _info_entry(file_name, kind, any("history" in r for r in rows))
            summary["files"][file_name] = len(rows)
    if pairs_total is not None:
        summary["dpo_pairs"] = pairs_total.as_dict()
    path = out / DATASET_INFO
    write_json(path, info)
    return path, summary


def _merge(total: PairSummary | None, part: PairSummary) -> PairSummary:
    if total is None:
        return part
    total.tasks += part.tasks
    total.pairs += part.pairs
    total.skipped_no_call += part.skipped_no_call
    total.skipped_no_rejection += part.skipped_no_rejection
    for kind, n in part.by_kind.items():
        total.by_kind[kind] = total.by_kind.get(kind, 0) + n
    return total


def _messages(row: Mapping[str, Any], where: str) -> list[dict[str, str]]:
    history = row.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in history
    ):
        raise InputError(f"{where}: field 'history': expected a list of [user, assistant] pairs")
    system = row.get("system")
    if system is not None and not isinstance(system, str):
        raise InputError(f"{where}: field 'system': expected a string")
    if system is not None:
        user = row["instruction"] + (f"\n{row['input']}" if row["input"] else "")
        head = [{"role": "system", "content": system}] if system else []
    else:  # PEToolBench's layout: the instruction is the rendered system prompt
        user = row["input"]
        head = [{"role": "system", "content": row["instruction"]}]
    turns: list[dict[str, str]] = []
    for u, a in history:
        turns += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    return [*head, *turns, {"role": "user", "content": user}]


def examples_from_llamafactory(path: str | Path) -> tuple[str, list[dict[str, Any]]]:
    """TRL rows from a LLaMA-Factory alpaca (SFT) or ranking (DPO) file.

    Args:
        path: the ``.json`` (or ``.json.zip``) file.

    Returns:
        ``("sft", prompt-completion rows)`` or ``("dpo", preference rows)``; each row has
        ``id`` (``<file stem>:<row>``) and ``mode`` (from a ``_p``/``_r``/``_c`` suffix).

    Raises:
        DataMissingError: the file does not exist.
        InputError: a malformed row, or a DPO row whose chosen equals its rejected (one line
            naming the file and the row).
    """
    p = Path(path)
    raw = read_llamafactory_file(p)
    kind = str(raw[0]["kind"])
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(raw):
        where = f"{p}: row {i}"
        item: dict[str, Any] = {
            "id": f"{p.name}:{i}",
            "line": i,
            "mode": row.get("mode"),
            "prompt": _messages(row, where),
        }
        if kind == "sft":
            item["completion"] = [{"role": "assistant", "content": row["output"]}]
        else:
            item["chosen"] = [{"role": "assistant", "content": row["chosen"]}]
            item["rejected"] = [{"role": "assistant", "content": row["rejected"]}]
        rows.append(item)
    if kind == "dpo":
        check_pairs(rows, str(p))
    else:
        check_sft_rows(rows, str(p))
    for item in rows:
        del item["line"]
    return kind, rows


def read_examples(paths: Sequence[str | Path], kind: str) -> list[dict[str, Any]]:
    """The rows of several LLaMA-Factory files, all of one kind (``sft`` or ``dpo``).

    Raises:
        InputError: a file of the other kind (e.g. a ranking file given to SFT).
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        found, part = examples_from_llamafactory(path)
        if found != kind:
            raise InputError(
                f"{path}: holds {found} rows ({'alpaca' if found == 'sft' else 'ranking'}),"
                f" but this is {kind} training"
            )
        rows.extend(part)
    return rows
