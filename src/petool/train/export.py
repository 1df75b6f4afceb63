"""``petool export``: a suite's training data for LLaMA-Factory or for TRL scripts.

``llamafactory``: alpaca (SFT) and ranking (DPO) JSON files plus ``dataset_info.json`` (see
:mod:`petool.train.llamafactory`). ``trl``: ``sft.jsonl`` and ``dpo.jsonl``, the rows exactly
as ``petool train`` gives them to TRL (``datasets.load_dataset("json", data_files=...)``
reads them back), and ``dpo_pairs.json`` with the mix and the pairs made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import ConfigError
from petool.io import write_json, write_jsonl
from petool.train.checks import require_split
from petool.train.config import normalize_modes
from petool.train.datasets import dpo_rows, sft_rows
from petool.train.llamafactory import KINDS, export_llamafactory

FORMATS = ("llamafactory", "trl")


def export_training_data(
    *,
    suite: str,
    out: str | Path,
    data: str | Path | None = None,
    split: str = "train",
    modes: Sequence[str] | None = None,
    limit: int | None = None,
    format: str = "llamafactory",
    kinds: Sequence[str] | None = None,
    by_mode: bool = False,
    prompt_style: str | None = None,
    mix: Mapping[str, float] | None = None,
    pairs_per_task: int = 1,
    seed: int = 0,
) -> dict[str, int]:
    """Write a suite's SFT and/or DPO training data; return rows written per file.

    Args:
        suite: a registered suite name or a suite directory.
        out: the folder to write.
        data: the suite's data directory.
        split: the split to export (``train``).
        modes: only these history modes.
        limit: only the first N tasks.
        format: ``llamafactory`` or ``trl``.
        kinds: ``sft`` and/or ``dpo`` (default both).
        by_mode: (llamafactory) one file per history mode.
        prompt_style: overrides the suite's style.
        mix: DPO rejection weights by kind.
        pairs_per_task: DPO pairs per task.
        seed: seed of the DPO draw.

    Raises:
        ConfigError: an unknown format or kind.
        InputError: the suite has no such split, or no pair can be made.
    """
    from petool.run import select_tasks
    from petool.suites.registry import load_suite

    if format not in FORMATS:
        raise ConfigError(f"--format: expected llamafactory or trl, got '{format}'")
    chosen = [k for item in (kinds or KINDS) for k in item.split(",") if k.strip()]
    bad = [k for k in chosen if k not in KINDS]
    if bad:
        raise ConfigError(f"--kind: expected sft or dpo, got '{bad[0]}'")
    loaded = load_suite(suite, data)
    require_split(loaded, split)
    wanted = normalize_modes(list(modes)) if modes else None
    tasks = select_tasks(loaded, split=split, modes=wanted, limit=limit)
    target = Path(out)
    if format == "llamafactory":
        _, summary = export_llamafactory(
            loaded,
            tasks,
            target,
            kinds=chosen,
            by_mode=by_mode,
            prompt_style=prompt_style,
            mix=mix,
            pairs_per_task=pairs_per_task,
            seed=seed,
        )
        written: dict[str, int] = dict(summary["files"])
        return written
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    if "sft" in chosen:
        rows = sft_rows(loaded, tasks, prompt_style=prompt_style)
        write_jsonl(target / "sft.jsonl", rows)
        written["sft.jsonl"] = len(rows)
    if "dpo" in chosen:
        pairs: list[dict[str, Any]]
        pairs, made = dpo_rows(
            loaded,
            tasks,
            mix=mix,
            pairs_per_task=pairs_per_task,
            seed=seed,
            prompt_style=prompt_style,
        )
        write_jsonl(target / "dpo.jsonl", pairs)
        write_json(target / "dpo_pairs.json", made.as_dict())
        written["dpo.jsonl"] = len(pairs)
    return written
