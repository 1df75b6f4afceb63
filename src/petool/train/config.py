"""Training configurations: one dataclass per stage, the single source of truth.

:class:`SFTRunConfig` and :class:`DPORunConfig` map one to one onto the YAML files
(``--config FILE``: keys are the field names) and onto the CLI (``--field-name``); the
precedence is defaults < YAML < CLI. Fields named like TRL's ``SFTConfig`` / ``DPOConfig``
(``learning_rate``, ``max_length``, ``beta``, ``loss_type``, ...) mean the same thing; any
other TRL field goes through ``trl`` (``--trl key=value``). The defaults are the paper's
recipe (PEToolLLM, arXiv 2502.18980, trained with LLaMA-Factory): LoRA rank 8 (alpha 16,
no dropout) on all linear layers; SFT lr 1e-4, one epoch, cosine, warmup 0.1, cutoff 4096,
effective batch 16; DPO from the SFT adapter, beta 0.1, sigmoid loss, lr 5e-6, effective
batch 32.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from petool.errors import ConfigError
from petool.schema import parse_history_modes

TOOL_CALLING = ("text", "native")
SFT_FORMATS = ("prompt_completion", "messages")
#: Our fields that TRL's configs must not receive through ``trl`` (we set them ourselves).
_MANAGED_TRL_FIELDS = {
    "output_dir",
    "learning_rate",
    "num_train_epochs",
    "max_steps",
    "lr_scheduler_type",
    "warmup_ratio",
    "warmup_steps",
    "max_length",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "gradient_checkpointing",
    "activation_checkpointing",
    "bf16",
    "logging_steps",
    "save_steps",
    "save_total_limit",
    "seed",
    "report_to",
    "beta",
    "loss_type",
}


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class TrainConfig:
    """What every training stage shares: model, data, LoRA, optimisation, run, evaluation."""

    stage: ClassVar[str] = ""

    model: str = field(default="", metadata=_help("base model folder or hub id (required)"))
    output_dir: str = field(default="", metadata=_help("the run directory (required)"))
    suite: str = field(
        default="demo",
        metadata=_help("suite name or directory to train on (its split) and evaluate on"),
    )
    data: str | None = field(default=None, metadata=_help("the suite's data directory"))
    split: str = field(default="train", metadata=_help("the suite split to train on"))
    modes: list[str] | None = field(
        default=None, metadata=_help("only these history modes (preferred, rated, chronological)")
    )
    limit: int | None = field(default=None, metadata=_help("only the first N training tasks"))
    llamafactory: list[str] | None = field(
        default=None,
        metadata=_help("LLaMA-Factory training files (e.g. PEToolBench's) instead of the suite"),
    )
    prompt_style: str | None = field(
        default=None, metadata=_help("prompt style (default: the suite's)")
    )
    tool_calling: str = field(
        default="text", metadata=_help("text (answer as JSON text) or native (tool_calls)")
    )
    lora_rank: int = field(default=8, metadata=_help("LoRA rank"))
    lora_alpha: int = field(default=16, metadata=_help("LoRA alpha"))
    lora_dropout: float = field(default=0.0, metadata=_help("LoRA dropout"))
    lora_target: str = field(
        default="all-linear",
        metadata=_help("LoRA target modules: all-linear or comma-separated module names"),
    )
    learning_rate: float = field(default=1e-4, metadata=_help("peak learning rate"))
    num_train_epochs: float = field(default=1.0, metadata=_help("epochs"))
    max_steps: int = field(default=-1, metadata=_help("stop after N optimizer steps (-1: epochs)"))
    lr_scheduler_type: str = field(default="cosine", metadata=_help("learning-rate schedule"))
    warmup_ratio: float = field(default=0.1, metadata=_help("warmup, as a fraction of steps"))
    max_length: int = field(
        default=4096, metadata=_help("cutoff in tokens; longer examples are dropped")
    )
    effective_batch_size: int = field(
        default=16,
        metadata=_help("examples per optimizer step over all devices (sets gradient accumulation)"),
    )
    per_device_train_batch_size: int = field(default=2, metadata=_help("examples per forward"))
    gradient_checkpointing: bool = field(default=True, metadata=_help("trade compute for memory"))
    bf16: bool | None = field(default=None, metadata=_help("bf16 (default: on when a GPU has it)"))
    logging_steps: int = field(default=10, metadata=_help("log loss every N steps"))
    save_steps: int = field(default=100, metadata=_help("checkpoint every N steps"))
    save_total_limit: int | None = field(default=3, metadata=_help("checkpoints to keep"))
    seed: int = field(default=0, metadata=_help("seed for initialisation, shuffling, pairs"))
    resume: bool = field(default=False, metadata=_help("continue from the last checkpoint"))
    overwrite: bool = field(default=False, metadata=_help("replace a non-empty --output-dir whole"))
    report_to: str = field(default="none", metadata=_help("trackers: none, wandb, tensorboard"))
    trl: dict[str, Any] = field(
        default_factory=dict, metadata=_help("further TRL config fields, key=value")
    )
    evaluate: bool = field(
        default=False, metadata=_help("evaluate the adapter on the suite after training")
    )
    eval_split: str = field(default="test", metadata=_help("split for the evaluation"))
    eval_limit: int | None = field(default=None, metadata=_help("evaluate the first N tasks"))
    eval_max_new_tokens: int = field(default=256, metadata=_help("generation limit in evaluation"))
    eval_batch_size: int | None = field(default=None, metadata=_help("generation batch size"))
    device: str | None = field(default=None, metadata=_help("device for evaluation (cpu, cuda)"))

    def validate(self) -> None:
        """Check the values; raises ConfigError naming the option at fault."""
        if not self.model:
            raise ConfigError("--model is required (a base model folder or hub id)")
        if not self.output_dir:
            raise ConfigError("--output-dir is required (the run directory)")
        if self.tool_calling not in TOOL_CALLING:
            raise ConfigError(f"--tool-calling: expected text or native, got '{self.tool_calling}'")
        positive = {
            "lora_rank": self.lora_rank,
            "max_length": self.max_length,
            "effective_batch_size": self.effective_batch_size,
            "per_device_train_batch_size": self.per_device_train_batch_size,
            "logging_steps": self.logging_steps,
            "save_steps": self.save_steps,
            "eval_max_new_tokens": self.eval_max_new_tokens,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"--{_option(name)}: expected >= 1, got {value}")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate: expected > 0, got {self.learning_rate}")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(
                f"--warmup-ratio: expected a value in [0, 1), got {self.warmup_ratio}"
            )
        if not 0 <= self.lora_dropout < 1:
            raise ConfigError(
                f"--lora-dropout: expected a value in [0, 1), got {self.lora_dropout}"
            )
        if self.modes:
            self.modes = normalize_modes(self.modes)
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit: expected >= 1, got {self.limit}")
        managed = sorted(set(self.trl) & _MANAGED_TRL_FIELDS)
        if managed:
            raise ConfigError(
                f"--trl {managed[0]}=...: set it with --{_option(managed[0])} instead"
                if managed[0] in {f.name for f in dataclasses.fields(self)}
                else f"--trl {managed[0]}=...: petool sets it (see --effective-batch-size)"
            )

    def gradient_accumulation(self, world_size: int = 1) -> int:
        """Accumulation steps giving ``effective_batch_size`` over ``world_size`` devices.

        Raises:
            ConfigError: the effective batch is not a multiple of per-device batch x devices.
        """
        per_step = self.per_device_train_batch_size * max(1, world_size)
        steps = self.effective_batch_size // per_step
        if steps < 1 or steps * per_step != self.effective_batch_size:
            raise ConfigError(
                f"--effective-batch-size {self.effective_batch_size}: not a multiple of"
                f" --per-device-train-batch-size {self.per_device_train_batch_size} x"
                f" {max(1, world_size)} device(s)"
            )
        return steps

    def lora_targets(self) -> str | list[str]:
        """``all-linear`` or the list of module names."""
        if self.lora_target.strip() in ("all", "all-linear", "all_linear"):
            return "all-linear"
        names = [n.strip() for n in self.lora_target.split(",") if n.strip()]
        if not names:
            raise ConfigError("--lora-target: expected all-linear or module names")
        return names

    def as_dict(self) -> dict[str, Any]:
        """Every field, for the run record."""
        return dataclasses.asdict(self)


@dataclass
class SFTRunConfig(TrainConfig):
    """Supervised fine-tuning: instruction with history and candidates -> the gold call."""

    sft_format: str = field(
        default="prompt_completion",
        metadata=_help("prompt_completion (loss on the answer) or messages (on every token)"),
    )

    stage: ClassVar[str] = "sft"

    def validate(self) -> None:
        """Check the values; raises ConfigError naming the option at fault."""
        super().validate()
        if self.sft_format not in SFT_FORMATS:
            raise ConfigError(
                f"--sft-format: expected one of {', '.join(SFT_FORMATS)}, got '{self.sft_format}'"
            )


@dataclass
class DPORunConfig(TrainConfig):
    """Direct preference optimisation from the SFT adapter: preferred call over others."""

    sft_adapter: str | None = field(
        default=None,
        metadata=_help("the SFT run directory (adapter) to start from; its model is the default"),
    )
    learning_rate: float = field(default=5e-6, metadata=_help("peak learning rate"))
    effective_batch_size: int = field(
        default=32,
        metadata=_help("examples per optimizer step over all devices (sets gradient accumulation)"),
    )
    per_device_train_batch_size: int = field(default=1, metadata=_help("examples per forward"))
    beta: float = field(default=0.1, metadata=_help("DPO beta"))
    loss_type: str = field(
        default="sigmoid",
        metadata=_help(
            "DPO loss (TRL loss_type); several, comma-separated, are added up (e.g. sigmoid,sft: "
            "DPO plus the chosen answer's NLL, which keeps a small model's answers well-formed)"
        ),
    )
    rejected_preference: float = field(
        default=1.0,
        metadata=_help("weight of rejections on a functionally equal, non-preferred tool"),
    )
    rejected_functionality: float = field(
        default=0.0, metadata=_help("weight of rejections on a tool that does another job")
    )
    rejected_parameters: float = field(
        default=0.0, metadata=_help("weight of rejections with a wrong personalized parameter")
    )
    pairs_per_task: int = field(default=1, metadata=_help("preference pairs per training task"))

    stage: ClassVar[str] = "dpo"

    def __post_init__(self) -> None:
        if not self.model and self.sft_adapter:
            self.model = base_model_of(self.sft_adapter) or ""

    def validate(self) -> None:
        """Check the values; raises ConfigError naming the option at fault."""
        super().validate()
        weights = self.mix()
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise ConfigError(
                "--rejected-preference/--rejected-functionality/--rejected-parameters:"
                " expected weights >= 0, at least one > 0"
            )
        if self.pairs_per_task < 1:
            raise ConfigError(f"--pairs-per-task: expected >= 1, got {self.pairs_per_task}")
        if self.beta <= 0:
            raise ConfigError(f"--beta: expected > 0, got {self.beta}")

    def mix(self) -> dict[str, float]:
        """The rejection mix by kind."""
        return {
            "preference": self.rejected_preference,
            "functionality": self.rejected_functionality,
            "parameters": self.rejected_parameters,
        }


def base_model_of(adapter: str | Path) -> str | None:
    """The base model an adapter was trained on (``base_model_name_or_path``), if recorded."""
    import json

    try:
        data = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    base = data.get("base_model_name_or_path") if isinstance(data, dict) else None
    return str(base) if base else None


def normalize_modes(values: list[str]) -> list[str]:
    """History modes from names or p/r/c, comma-separated or not; raises ConfigError."""
    return list(parse_history_modes([str(v) for v in values], "--modes") or [])


def _option(name: str) -> str:
    return name.replace("_", "-")
