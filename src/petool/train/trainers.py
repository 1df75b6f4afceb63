"""SFT and DPO runs on TRL's SFTTrainer / DPOTrainer with a PEFT LoRA adapter.

:func:`train_sft` and :func:`train_dpo` check every input first (data, tokenizer and chat
template, lengths, run directory, TRL options), then load the model, train, and leave a run
directory that *is* the adapter, so ``petool eval --backend hf:BASE --adapter RUN`` loads it:

* ``adapter_config.json``, ``adapter_model.safetensors`` — the LoRA adapter;
* ``train_config.json`` — the petool config, the TRL arguments, the data (source, hash,
  counts, DPO mix and the pairs made), the library versions;
* ``pairs.jsonl`` (DPO) — one line per preference pair: task, kind, chosen, rejected;
* ``curves.json`` / ``curves.csv`` (/ ``curves.png`` with matplotlib) — loss, learning rate,
  and for DPO the reward margin, per logged step;
* ``train_metrics.json`` — runtime, steps, final loss, tokens per second;
* ``checkpoints/checkpoint-N`` — for ``--resume``;
* ``eval/`` — with ``--evaluate``: a petool run directory of the adapter on the suite's test
  split (``config.json``, ``predictions.jsonl``, ``metrics.json``).

DPO starts from the SFT adapter (``--sft-adapter``) and keeps training it; TRL keeps a frozen
copy of it as the reference model. Multi-GPU and multi-node runs go through ``accelerate
launch`` (see ``petool train configs``); only the main process writes the run records.
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import petool
from petool.errors import ConfigError
from petool.io import read_json, write_json, write_jsonl
from petool.train.checks import (
    check_adapter_dir,
    check_output_dir,
    check_tokenizer,
    drop_too_long,
    load_tokenizer,
)
from petool.train.config import DPORunConfig, SFTRunConfig, TrainConfig
from petool.train.curves import curve_callback, curve_rows, plot_curves, write_curves
from petool.train.datasets import to_dataset
from petool.train.prepare import PreparedData, pairs_record, prepare_dpo, prepare_sft
from petool.train.trl_args import (
    lora_config,
    trl_arguments,
    use_bf16,
    world_size,
)

TRAIN_CONFIG = "train_config.json"
TRAIN_METRICS = "train_metrics.json"
PAIRS = "pairs.jsonl"
EVAL_DIR = "eval"


@dataclass
class TrainResult:
    """What a run left: its directory, curves, final metrics and (optionally) evaluation."""

    out_dir: Path
    stage: str
    curves: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    eval_metrics: dict[str, Any] | None = None


def is_main_process() -> bool:
    """Whether this process writes the run records (rank 0)."""
    return int(os.environ.get("RANK", "0")) == 0


def versions() -> dict[str, str]:
    """Versions of petool and the training libraries."""
    found = {"petool": petool.__version__}
    for name in ("torch", "transformers", "trl", "peft", "datasets", "accelerate"):
        try:
            module = __import__(name)
            found[name] = str(getattr(module, "__version__", "?"))
        except ImportError:
            found[name] = "not installed"
    return found


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_model(config: TrainConfig, bf16: bool, adapter: str | None = None) -> Any:
    """The base model (bf16 when training in bf16), with a trainable adapter if given.

    Raises:
        ConfigError: the model or the adapter cannot be loaded (e.g. an adapter made for
            another base model).
    """
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if bf16 else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(config.model, dtype=dtype)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--model {config.model}: cannot load it ({_reason(exc)})") from None
    if adapter is None:
        return model
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, adapter, is_trainable=True)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ConfigError(
            f"--sft-adapter {adapter}: cannot load it on {config.model} ({_reason(exc)})"
        ) from None


def _check_resume(out_dir: Path, data_hash: str) -> None:
    path = out_dir / TRAIN_CONFIG
    if not path.exists():
        return
    old = read_json(path)
    recorded = old.get("data", {}).get("hash") if isinstance(old, dict) else None
    if recorded is not None and recorded != data_hash:
        raise ConfigError(
            f"{path}: field 'data.hash': the run trained on other data ({recorded}, now"
            f" {data_hash}); resume with the same data options or start a new --output-dir"
        )


def _checked_rows(config: TrainConfig, data: PreparedData) -> tuple[Any, list[dict[str, Any]]]:
    tokenizer = load_tokenizer(config.model)
    check_tokenizer(tokenizer, config.model, config.tool_calling)
    rows, dropped = drop_too_long(tokenizer, data.rows, config.max_length, data.source)
    data.summary["dropped_too_long"] = dropped
    data.summary["rows"] = len(rows)
    return tokenizer, rows


def _record(config: TrainConfig, data: PreparedData, args: Any, bf16: bool) -> dict[str, Any]:
    return {
        "stage": config.stage,
        "config": config.as_dict(),
        "trl_args": {k: v for k, v in args.to_dict().items() if not k.startswith("_")},
        "bf16": bf16,
        "world_size": world_size(),
        "data": {"source": data.source, "hash": data.data_hash(), **data.summary},
        "versions": versions(),
    }


def _run(config: TrainConfig, data: PreparedData) -> TrainResult:
    """Check everything, then train and write the run directory."""
    out = check_output_dir(config.output_dir, config.resume, config.overwrite)
    adapter = config.sft_adapter if isinstance(config, DPORunConfig) else None
    if adapter is not None:
        check_adapter_dir(adapter)
    tokenizer, rows = _checked_rows(config, data)
    data.rows = rows
    if config.resume:
        _check_resume(out, data.data_hash())
    bf16 = use_bf16(config)
    args = trl_arguments(config, out, bf16)
    dataset = to_dataset(rows)
    # every input is checked: from here on, the model is loaded and trained
    main = is_main_process()
    if main:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / TRAIN_CONFIG, _record(config, data, args, bf16))
        if isinstance(config, DPORunConfig):
            write_jsonl(out / PAIRS, pairs_record(rows))
    model = load_model(config, bf16, adapter)
    trainer = _trainer(config, model, args, dataset, tokenizer, out)
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=True if config.resume else None)
    wall = time.perf_counter() - started
    trainer.save_model(str(out))
    history = list(trainer.state.log_history)
    result = TrainResult(out_dir=out, stage=config.stage, curves=curve_rows(history))
    if trainer.is_world_process_zero():
        shutil.rmtree(out / "ref", ignore_errors=True)  # TRL's frozen reference copy (DPO)
        write_curves(history, out)
        plot_curves(history, out)
        state = trainer.state
        tokens = int(getattr(state, "num_input_tokens_seen", 0) or 0)
        result.metrics = _train_metrics(output.metrics, history, wall, state.global_step, tokens)
        write_json(out / TRAIN_METRICS, result.metrics)
    del trainer, model
    gc.collect()
    return result


def _trainer(
    config: TrainConfig, model: Any, args: Any, dataset: Any, tokenizer: Any, out: Path
) -> Any:
    callbacks = [curve_callback(out)]
    if isinstance(config, DPORunConfig):
        from trl import DPOTrainer

        return DPOTrainer(
            model=model,
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=None if config.sft_adapter else lora_config(config),
            callbacks=callbacks,
        )
    from trl import SFTTrainer

    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=callbacks,
    )


def _train_metrics(
    metrics: dict[str, Any], history: list[dict[str, Any]], wall: float, steps: int, tokens: int
) -> dict[str, Any]:
    """Final metrics: the trainer's, steps, wall time, first/final loss and reward margin,
    tokens (non-padding, this session) per second of training."""
    rows = curve_rows(history)
    result: dict[str, Any] = {**metrics, "global_step": steps, "wall_s": round(wall, 3)}
    if rows:
        result["first_loss"] = rows[0]["loss"]
        result["final_loss"] = rows[-1]["loss"]
    margins = [r["rewards/margins"] for r in rows if "rewards/margins" in r]
    if margins:
        result["first_reward_margin"] = margins[0]
        result["final_reward_margin"] = margins[-1]
    runtime = float(metrics.get("train_runtime") or wall)
    if tokens and runtime > 0:
        result["tokens"] = tokens
        result["tokens_per_s"] = round(tokens / runtime, 1)
    return result


def evaluate_adapter(config: TrainConfig, data: PreparedData, out_dir: Path) -> dict[str, Any]:
    """Evaluate the run's adapter on the suite (``eval_split``) through ``hf:`` into
    ``RUN/eval`` (``eval-<time>`` if that exists); return the metrics."""
    from petool.backends.registry import make_backend
    from petool.run import evaluate

    suite = data.suite
    if suite is None:
        raise ConfigError("--evaluate needs a suite (--suite) to evaluate on")
    options = {
        "adapter": str(out_dir),
        "device": config.device,
        "max_new_tokens": config.eval_max_new_tokens,
        "batch_size": config.eval_batch_size,
        "prompt_style": config.prompt_style,
        "tool_calling": config.tool_calling,
        "seed": config.seed,
    }
    spec = f"hf:{config.model}"
    backend = make_backend(spec, **{k: v for k, v in options.items() if v is not None})
    target = out_dir / EVAL_DIR
    if target.exists():
        target = out_dir / f"{EVAL_DIR}-{time.strftime('%Y%m%d-%H%M%S')}"
    result = evaluate(
        suite,
        backend,
        out_dir=target,
        backend_spec=spec,
        split=config.eval_split,
        modes=config.modes,
        limit=config.eval_limit,
        concurrency=1,
        seed=config.seed,
        extra_config={"adapter": str(out_dir), "training_stage": config.stage},
    )
    return result.metrics.to_dict()


def _finish(config: TrainConfig, data: PreparedData, result: TrainResult) -> TrainResult:
    if config.evaluate and is_main_process():
        result.eval_metrics = evaluate_adapter(config, data, result.out_dir)
    return result


def train_sft(config: SFTRunConfig) -> TrainResult:
    """Supervised fine-tuning with LoRA: every task's prompt -> its gold call.

    Args:
        config: the run configuration (see :class:`petool.train.config.SFTRunConfig`).

    Returns:
        The run directory (the adapter), curves, final metrics, evaluation metrics.

    Raises:
        InputError: bad input (found before training starts; exit 2).
    """
    data = prepare_sft(config)
    return _finish(config, data, _run(config, data))


def train_dpo(config: DPORunConfig) -> TrainResult:
    """Direct preference optimisation from the SFT adapter: preferred over rejected calls.

    Args:
        config: the run configuration (see :class:`petool.train.config.DPORunConfig`).

    Returns:
        The run directory (the adapter), curves (with reward margins), final metrics,
        evaluation metrics.

    Raises:
        InputError: bad input (found before training starts; exit 2).
    """
    if config.sft_adapter is not None:
        check_adapter_dir(config.sft_adapter)
    data = prepare_dpo(config)
    return _finish(config, data, _run(config, data))
