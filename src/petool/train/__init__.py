"""Training PEToolLLaMA-style models: SFT then DPO with TRL and PEFT, from any suite.

Data (:mod:`~petool.train.datasets`, :mod:`~petool.train.llamafactory`), configs
(:mod:`~petool.train.config`), input checks (:mod:`~petool.train.checks`) and the runs
(:mod:`~petool.train.trainers`). Names are imported on first use, and nothing imports torch,
transformers or TRL until a function that needs them runs, so ``petool --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "DPORunConfig": "petool.train.config",
    "PairSummary": "petool.train.datasets",
    "REJECTION_KINDS": "petool.train.datasets",
    "SFTRunConfig": "petool.train.config",
    "TrainConfig": "petool.train.config",
    "TrainResult": "petool.train.trainers",
    "build_config": "petool.train.config_load",
    "dpo_rows": "petool.train.datasets",
    "evaluate_adapter": "petool.train.trainers",
    "examples_from_llamafactory": "petool.train.llamafactory",
    "export_llamafactory": "petool.train.llamafactory",
    "export_training_data": "petool.train.export",
    "rejections": "petool.train.datasets",
    "sft_rows": "petool.train.datasets",
    "to_dataset": "petool.train.datasets",
    "train_dpo": "petool.train.trainers",
    "train_sft": "petool.train.trainers",
}

__all__ = [
    "REJECTION_KINDS",
    "DPORunConfig",
    "PairSummary",
    "SFTRunConfig",
    "TrainConfig",
    "TrainResult",
    "build_config",
    "dpo_rows",
    "evaluate_adapter",
    "examples_from_llamafactory",
    "export_llamafactory",
    "export_training_data",
    "rejections",
    "sft_rows",
    "to_dataset",
    "train_dpo",
    "train_sft",
]

if TYPE_CHECKING:
    from petool.train.config import DPORunConfig, SFTRunConfig, TrainConfig
    from petool.train.config_load import build_config
    from petool.train.datasets import (
        REJECTION_KINDS,
        PairSummary,
        dpo_rows,
        rejections,
        sft_rows,
        to_dataset,
    )
    from petool.train.export import export_training_data
    from petool.train.llamafactory import examples_from_llamafactory, export_llamafactory
    from petool.train.trainers import TrainResult, evaluate_adapter, train_dpo, train_sft


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'petool.train' has no attribute '{name}'")
