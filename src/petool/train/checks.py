"""Input checks that run before any training: one clear line and exit 2, never a traceback.

A suite without the training split, a DPO pair whose chosen equals its rejected, a tokenizer
without a chat template, an adapter folder that is not one, examples that all exceed the
cutoff, a run directory that would be overwritten: each stops here, before a model is loaded
or a step is taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import ConfigError, InputError
from petool.schema import Suite

ADAPTER_CONFIG = "adapter_config.json"


def require_split(suite: Suite, split: str) -> None:
    """The suite must have the training split.

    Raises:
        InputError: it does not (the message lists the splits it has).
    """
    sizes = suite.split_sizes()
    if sizes.get(split, 0) == 0:
        known = ", ".join(f"{name} ({n})" for name, n in sorted(sizes.items())) or "none"
        raise InputError(
            f"suite '{suite.name}': no '{split}' split to train on (splits: {known});"
            " pass --split, a suite with training tasks, or --llamafactory FILE"
        )


def _content(messages: Any) -> str:
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        parts = []
        for m in messages:
            if isinstance(m, Mapping):
                parts.append(str(m.get("content", "")) + str(m.get("tool_calls", "")))
        return "\n".join(parts)
    return str(messages)


def check_pairs(rows: Sequence[Mapping[str, Any]], source: str) -> None:
    """Every DPO row has a prompt, a chosen and a rejected answer, and they differ.

    Args:
        rows: the rows (``prompt``, ``chosen``, ``rejected``; ``line`` or ``id`` name them).
        source: the file or suite they came from, for the message.

    Raises:
        InputError: a row whose chosen equals its rejected, or an empty field.
    """
    for i, row in enumerate(rows):
        where = f"{source}: row {row.get('line', i)}"
        if "id" in row:
            where += f" (id {row['id']})"
        for key in ("prompt", "chosen", "rejected"):
            if not _content(row.get(key)).strip():
                raise InputError(f"{where}: field '{key}' is empty")
        if _content(row["chosen"]).strip() == _content(row["rejected"]).strip():
            raise InputError(
                f"{where}: field 'rejected' equals 'chosen' (a preference pair must differ)"
            )


def check_sft_rows(rows: Sequence[Mapping[str, Any]], source: str) -> None:
    """Every SFT row has a non-empty prompt and answer.

    Raises:
        InputError: naming the row and the empty field.
    """
    if not rows:
        raise InputError(f"{source}: no training examples")
    for i, row in enumerate(rows):
        where = f"{source}: row {row.get('line', i)}"
        keys = ("messages",) if "messages" in row else ("prompt", "completion")
        for key in keys:
            if not _content(row.get(key)).strip():
                raise InputError(f"{where}: field '{key}' is empty")


def load_tokenizer(model: str) -> Any:
    """The model's tokenizer (no model weights are loaded).

    Raises:
        ConfigError: the model folder or id cannot be read.
    """
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise ConfigError("training needs transformers: pip install 'petool[train]'") from None
    try:
        return AutoTokenizer.from_pretrained(model)
    except (OSError, ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"--model {model}: cannot load its tokenizer ({reason})") from None


def check_tokenizer(tokenizer: Any, model: str, tool_calling: str = "text") -> None:
    """The tokenizer has a chat template (training and evaluation both render with it).

    Raises:
        InputError: no chat template; or native tool calling with a template that ignores
            tools.
    """
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise InputError(
            f"{model}: field 'chat_template' of the tokenizer is missing; petool trains and"
            " evaluates through the chat template: use a chat model or add a template"
        )
    if tool_calling == "native" and "tools" not in str(template):
        raise InputError(f"{model}: the chat template does not take tools; use --tool-calling text")


def _ids(encoded: Any) -> list[int]:
    ids = encoded["input_ids"] if isinstance(encoded, Mapping) else encoded
    if hasattr(ids, "input_ids"):
        ids = ids.input_ids
    return list(ids)


def example_length(tokenizer: Any, row: Mapping[str, Any]) -> int:
    """Tokens of the longest full sequence of a row (prompt + answer, through the template)."""
    tools = row.get("tools")
    extra: dict[str, Any] = {}
    if tools:
        import json

        extra["tools"] = json.loads(tools) if isinstance(tools, str) else tools
    if "messages" in row:
        answers: list[list[Any]] = [[]]
        prompt = list(row["messages"])
    else:
        prompt = list(row["prompt"])
        answers = [list(row[k]) for k in ("completion", "chosen", "rejected") if k in row]
    lengths = []
    for answer in answers:
        encoded = tokenizer.apply_chat_template(prompt + answer, tokenize=True, **extra)
        lengths.append(len(_ids(encoded)))
    return max(lengths)


def drop_too_long(
    tokenizer: Any, rows: Sequence[dict[str, Any]], max_length: int, source: str
) -> tuple[list[dict[str, Any]], int]:
    """Rows that fit ``max_length`` (TRL would cut the answer off the others), and the count
    of dropped rows.

    Raises:
        InputError: every row is too long (the message gives the shortest length).
    """
    kept: list[dict[str, Any]] = []
    shortest: int | None = None
    for row in rows:
        n = example_length(tokenizer, row)
        if n <= max_length:
            kept.append(row)
        shortest = n if shortest is None else min(shortest, n)
    if not kept:
        raise InputError(
            f"{source}: every example is longer than --max-length {max_length} tokens"
            f" (the shortest has {shortest}); raise --max-length"
        )
    return kept, len(rows) - len(kept)


def check_adapter_dir(path: str | Path, option: str = "--sft-adapter") -> Path:
    """A PEFT adapter folder (with ``adapter_config.json``).

    Raises:
        InputError: the folder or its adapter_config.json is missing.
    """
    p = Path(path)
    if not (p / ADAPTER_CONFIG).is_file():
        what = "no such directory" if not p.exists() else f"no {ADAPTER_CONFIG} inside"
        raise InputError(f"{option} {p}: not a LoRA adapter folder ({what})")
    return p


def check_output_dir(path: str | Path, resume: bool, overwrite: bool = False) -> Path:
    """The run directory: new or empty, or (with ``resume``) one holding checkpoints, or
    (with ``overwrite``) any directory, emptied first.

    Raises:
        ConfigError: it would overwrite a run, or there is nothing to resume.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"--output-dir {p}: exists and is not a directory")
    if resume:
        if not any((p / "checkpoints").glob("checkpoint-*")):
            raise ConfigError(f"--resume: no checkpoint in {p / 'checkpoints'} to continue from")
    elif p.exists() and any(p.iterdir()):
        if overwrite:
            from petool.io import claim_output_dir

            return claim_output_dir(p, what="training run", overwrite=True)
        raise ConfigError(
            f"--output-dir {p}: exists and is not empty; pass --resume to continue that run,"
            " --overwrite to replace it whole, or choose another directory"
        )
    return p
