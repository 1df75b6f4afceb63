"""Configs: the paper's defaults, YAML < CLI precedence, one CLI option per field."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from petool.errors import ConfigError
from petool.train.cli import config_path, train_app
from petool.train.config import DPORunConfig, SFTRunConfig
from petool.train.config_load import build_config, parse_trl_overrides, read_yaml_config

REQUIRED = {"model": "m", "output_dir": "out"}


def test_defaults_are_the_papers_recipe():
    sft, dpo = SFTRunConfig(), DPORunConfig()
    for cfg in (sft, dpo):
        assert (cfg.lora_rank, cfg.lora_target, cfg.lora_targets()) == (
            8,
            "all-linear",
            "all-linear",
        )
        assert (cfg.num_train_epochs, cfg.lr_scheduler_type, cfg.warmup_ratio) == (
            1.0,
            "cosine",
            0.1,
        )
        assert cfg.max_length == 4096
    assert (sft.learning_rate, sft.effective_batch_size) == (1e-4, 16)
    assert (dpo.learning_rate, dpo.effective_batch_size) == (5e-6, 32)
    assert (dpo.beta, dpo.loss_type) == (0.1, "sigmoid")
    assert dpo.mix() == {"preference": 1.0, "functionality": 0.0, "parameters": 0.0}


@pytest.mark.parametrize(("name", "cls"), [("sft", SFTRunConfig), ("dpo", DPORunConfig)])
def test_shipped_yaml_states_the_defaults(name, cls):
    values = read_yaml_config(config_path(name))
    defaults = cls()
    assert values, "the shipped file sets the recipe explicitly"
    for key, value in values.items():
        assert getattr(defaults, key) == value, key


@pytest.mark.parametrize("name", ["ddp", "zero2", "zero3"])
def test_shipped_accelerate_configs_are_accelerate_yaml(name):
    data = yaml.safe_load(config_path(name).read_text())
    assert data["distributed_type"] in ("MULTI_GPU", "DEEPSPEED")
    if name != "ddp":
        assert data["deepspeed_config"]["zero_stage"] == int(name[-1])


def test_cli_overrides_yaml_overrides_defaults(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rate: 3.0e-4\nlora_rank: 16\nmodes: p,r\ntrl:\n  optim: sgd\n")
    cfg = build_config(
        SFTRunConfig,
        yaml_path=path,
        overrides={**REQUIRED, "lora_rank": 4, "trl": {"max_grad_norm": 0.5}},
    )
    assert (cfg.learning_rate, cfg.lora_rank, cfg.num_train_epochs) == (3e-4, 4, 1.0)
    assert cfg.modes == ["preferred", "rated"]
    assert cfg.trl == {"optim": "sgd", "max_grad_norm": 0.5}


def test_bad_config_values_stop_with_one_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rat: 1\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: unknown key 'learning_rat'"):
        build_config(SFTRunConfig, yaml_path=path, overrides=REQUIRED)
    path.write_text("lora_rank: many\n")
    with pytest.raises(ConfigError, match="key 'lora_rank'"):
        build_config(SFTRunConfig, yaml_path=path, overrides=REQUIRED)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        build_config(SFTRunConfig, yaml_path=path, overrides=REQUIRED)
    with pytest.raises(ConfigError, match="--model is required"):
        build_config(SFTRunConfig, overrides={"output_dir": "x"})
    with pytest.raises(ConfigError, match="--modes"):
        build_config(SFTRunConfig, overrides={**REQUIRED, "modes": ["sometimes"]})
    with pytest.raises(ConfigError, match="--rejected-preference"):
        build_config(DPORunConfig, overrides={**REQUIRED, "rejected_preference": 0.0})
    with pytest.raises(ConfigError, match="--learning-rate"):
        build_config(SFTRunConfig, overrides={**REQUIRED, "trl": {"learning_rate": 1.0}})


def test_effective_batch_sets_gradient_accumulation():
    sft = build_config(SFTRunConfig, overrides=REQUIRED)
    assert sft.gradient_accumulation(1) == 8 and sft.gradient_accumulation(4) == 2
    dpo = build_config(DPORunConfig, overrides=REQUIRED)
    assert dpo.gradient_accumulation(1) == 32 and dpo.gradient_accumulation(8) == 4
    with pytest.raises(ConfigError, match="not a multiple"):
        sft.gradient_accumulation(3)


def test_trl_overrides_read_yaml_scalars():
    assert parse_trl_overrides(["optim=sgd", "max_grad_norm=0.5", "packing=true"]) == {
        "optim": "sgd",
        "max_grad_norm": 0.5,
        "packing": True,
    }
    with pytest.raises(ConfigError, match="key=value"):
        parse_trl_overrides(["novalue"])


def test_dpo_takes_the_base_model_from_the_sft_adapter(tmp_path):
    (tmp_path / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "/models/base"})
    )
    cfg = build_config(DPORunConfig, overrides={"output_dir": "o", "sft_adapter": str(tmp_path)})
    assert cfg.model == "/models/base"


@pytest.mark.parametrize(("command", "cls"), [("sft", SFTRunConfig), ("dpo", DPORunConfig)])
def test_every_config_field_is_one_cli_option(command, cls):
    import typer.main

    group = typer.main.get_command(train_app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    names = {p.name for p in cmd.params}
    assert names == {f.name for f in dataclasses.fields(cls)} | {"config"}
    options = {p.name: p.opts for p in cmd.params}
    assert options["learning_rate"] == ["--learning-rate"]
    assert "--evaluate" in options["evaluate"]


def test_trl_arguments_follow_the_config(tmp_path):
    pytest.importorskip("trl")
    from petool.train.trl_args import trl_arguments

    cfg = build_config(
        DPORunConfig,
        overrides={**REQUIRED, "output_dir": str(tmp_path), "trl": {"max_grad_norm": 0.5}},
    )
    args = trl_arguments(cfg, tmp_path, bf16=False)
    assert (args.beta, args.loss_type, args.learning_rate) == (0.1, ["sigmoid"], 5e-6)
    assert args.gradient_accumulation_steps == 32 and args.max_grad_norm == 0.5
    assert args.lr_scheduler_type == "cosine" and args.bf16 is False
    assert args.output_dir == str(tmp_path / "checkpoints")
    overrides = {**REQUIRED, "output_dir": str(tmp_path), "loss_type": "sigmoid,sft"}
    both = build_config(DPORunConfig, overrides=overrides)
    assert trl_arguments(both, tmp_path, bf16=False).loss_type == ["sigmoid", "sft"]
    bad = build_config(SFTRunConfig, overrides={**REQUIRED, "trl": {"no_such_field": 1}})
    with pytest.raises(ConfigError, match="--trl"):
        trl_arguments(bad, tmp_path, bf16=False)
