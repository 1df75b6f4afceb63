"""TRL and PEFT arguments of a run: SFTConfig / DPOConfig, LoraConfig, precision, devices.

Where transformers renamed an argument (``warmup_ratio``, ``gradient_checkpointing``), the
name the installed version takes is used.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from petool.errors import ConfigError
from petool.train.config import DPORunConfig, TrainConfig

CHECKPOINTS = "checkpoints"


def _training_argument_names() -> set[str]:
    from transformers import TrainingArguments

    return {f.name for f in dataclasses.fields(TrainingArguments)}


def warmup_kwargs(ratio: float) -> dict[str, Any]:
    """Warmup as TrainingArguments takes it: ``warmup_ratio`` where it exists, else a float
    ``warmup_steps`` (transformers >= 5 reads a value in [0, 1) as a ratio)."""
    if "warmup_ratio" in _training_argument_names():
        return {"warmup_ratio": ratio}
    return {"warmup_steps": ratio if ratio > 0 else 0}


def checkpointing_kwargs(enabled: bool) -> dict[str, Any]:
    """Gradient checkpointing as TrainingArguments takes it (``activation_checkpointing`` in
    transformers >= 5, ``gradient_checkpointing`` before)."""
    if "activation_checkpointing" in _training_argument_names():
        return {"activation_checkpointing": enabled, "gradient_checkpointing": None}
    return {"gradient_checkpointing": enabled}


def world_size() -> int:
    """Processes in this (accelerate / torchrun) launch."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def _has_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def use_bf16(config: TrainConfig) -> bool:
    """bf16 as configured; by default on when a CUDA GPU supports it."""
    if config.bf16 is not None:
        return config.bf16
    import torch

    return _has_cuda() and bool(torch.cuda.is_bf16_supported())


def trl_arguments(config: TrainConfig, out_dir: Path, bf16: bool) -> Any:
    """TRL's SFTConfig / DPOConfig for a run.

    Raises:
        ConfigError: a ``--trl`` field TRL does not know or rejects.
    """
    try:
        from trl import DPOConfig, SFTConfig
    except ImportError:
        raise ConfigError("training needs TRL: pip install 'petool[train]'") from None
    kwargs: dict[str, Any] = {
        "output_dir": str(out_dir / CHECKPOINTS),
        "learning_rate": config.learning_rate,
        "num_train_epochs": config.num_train_epochs,
        "max_steps": config.max_steps,
        "lr_scheduler_type": config.lr_scheduler_type,
        **warmup_kwargs(config.warmup_ratio),
        "max_length": config.max_length,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation(world_size()),
        **checkpointing_kwargs(config.gradient_checkpointing),
        "bf16": bf16,
        "logging_steps": config.logging_steps,
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": config.save_total_limit,
        "seed": config.seed,
        "report_to": config.report_to,
        "include_num_input_tokens_seen": "non_padding",
        "dataloader_pin_memory": _has_cuda(),
    }
    cls: Any = SFTConfig
    if isinstance(config, DPORunConfig):
        cls = DPOConfig
        losses = [name.strip() for name in config.loss_type.split(",") if name.strip()]
        kwargs |= {"beta": config.beta, "loss_type": losses}
    kwargs |= config.trl
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"--trl: {str(exc).splitlines()[0]}") from None
    except ValueError as exc:
        raise ConfigError(f"TRL rejects the configuration: {str(exc).splitlines()[0]}") from None


def lora_config(config: TrainConfig) -> Any:
    """The PEFT LoRA config (rank, alpha, dropout, target modules)."""
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_targets(),
        task_type="CAUSAL_LM",
    )
