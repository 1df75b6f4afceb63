"""Training data for a run: from a suite's split or from LLaMA-Factory files, checked.

Everything here runs before a model is loaded: a missing split, an empty selection, a DPO
pair whose chosen equals its rejected stop with one line (exit 2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from petool.errors import ConfigError, InputError
from petool.schema import Suite
from petool.train.checks import check_pairs, check_sft_rows, require_split
from petool.train.config import DPORunConfig, SFTRunConfig, TrainConfig
from petool.train.datasets import dpo_rows, sft_rows
from petool.train.llamafactory import read_examples


@dataclass
class PreparedData:
    """The rows of a run, where they came from, and what was made."""

    rows: list[dict[str, Any]]
    source: str
    suite: Suite | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def data_hash(self) -> str:
        """A content hash of the rows (recorded; a resumed run must train on the same)."""
        text = json.dumps(self.rows, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_train_suite(config: TrainConfig) -> Suite:
    """The configured suite (registered name or directory)."""
    from petool.suites.registry import load_suite

    return load_suite(config.suite, config.data)


def _suite_tasks(config: TrainConfig) -> tuple[Suite, list[Any], str]:
    from petool.run import select_tasks

    suite = load_train_suite(config)
    require_split(suite, config.split)
    tasks = select_tasks(suite, split=config.split, modes=config.modes, limit=config.limit)
    source = f"suite '{suite.name}' split '{config.split}'"
    if not tasks:
        modes = ", ".join(config.modes or [])
        raise InputError(f"{source}: no task has history mode {modes} (--modes)")
    return suite, tasks, source


def _filter_file_rows(rows: list[dict[str, Any]], config: TrainConfig) -> list[dict[str, Any]]:
    if config.modes:
        rows = [r for r in rows if r.get("mode") in config.modes]
    if config.limit is not None:
        rows = rows[: config.limit]
    if not rows:
        raise InputError(f"--llamafactory: no row of history mode {', '.join(config.modes or [])}")
    return rows


def _file_source(paths: Sequence[str]) -> str:
    return ", ".join(str(p) for p in paths)


def _require_text(config: TrainConfig) -> None:
    if config.tool_calling != "text":
        raise ConfigError("--llamafactory files hold text answers; use --tool-calling text")


def _eval_suite(config: TrainConfig) -> Suite | None:
    return load_train_suite(config) if config.evaluate else None


def prepare_sft(config: SFTRunConfig) -> PreparedData:
    """SFT rows for the configured data, checked.

    Raises:
        InputError: no train split, nothing selected, an empty prompt or answer.
    """
    if config.llamafactory:
        _require_text(config)
        rows = _filter_file_rows(read_examples(config.llamafactory, "sft"), config)
        if config.sft_format == "messages":
            rows = [{**r, "messages": [*r.pop("prompt"), *r.pop("completion")]} for r in rows]
        source = _file_source(config.llamafactory)
        data = PreparedData(rows, source, _eval_suite(config), {"examples": len(rows)})
    else:
        suite, tasks, source = _suite_tasks(config)
        rows = sft_rows(
            suite,
            tasks,
            prompt_style=config.prompt_style,
            tool_calling=config.tool_calling,
            sft_format=config.sft_format,
        )
        data = PreparedData(rows, source, suite, {"tasks": len(tasks), "examples": len(rows)})
    check_sft_rows(data.rows, source)
    return data


def prepare_dpo(config: DPORunConfig) -> PreparedData:
    """DPO rows for the configured data (pairs drawn with the configured mix), checked.

    Raises:
        InputError: no train split, nothing selected, no pair can be made, or a pair whose
            chosen equals its rejected.
    """
    if config.llamafactory:
        _require_text(config)
        rows = _filter_file_rows(read_examples(config.llamafactory, "dpo"), config)
        source = _file_source(config.llamafactory)
        summary: dict[str, Any] = {"pairs": len(rows), "mix": "from the files"}
        data = PreparedData(rows, source, _eval_suite(config), summary)
    else:
        suite, tasks, source = _suite_tasks(config)
        rows, pairs = dpo_rows(
            suite,
            tasks,
            mix=config.mix(),
            pairs_per_task=config.pairs_per_task,
            seed=config.seed,
            prompt_style=config.prompt_style,
            tool_calling=config.tool_calling,
        )
        data = PreparedData(rows, source, suite, {"tasks": len(tasks), **pairs.as_dict()})
    check_pairs(data.rows, source)
    return data


def pairs_record(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per DPO pair for ``pairs.jsonl``: id, kind, chosen and rejected answers."""

    def text(messages: Any) -> Any:
        message = messages[0]
        return message.get("tool_calls") or message.get("content")

    return [
        {
            "id": r.get("id"),
            "rejection": r.get("rejection"),
            "chosen": text(r["chosen"]),
            "rejected": text(r["rejected"]),
        }
        for r in rows
    ]
