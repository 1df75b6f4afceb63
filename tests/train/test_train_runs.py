"""SFT lowers the loss, DPO raises the reward margin, the adapter is evaluated through hf:."""

from __future__ import annotations

import json
from statistics import mean

import pytest

from petool.backends.registry import make_backend
from petool.suites.directory import load_suite_dir
from petool.train import DPORunConfig, SFTRunConfig, build_config, train_dpo, train_sft

pytest.importorskip("trl")
pytestmark = pytest.mark.slow

FAST = {
    "gradient_checkpointing": False,
    "warmup_ratio": 0.0,
    "per_device_train_batch_size": 4,
    "effective_batch_size": 4,
    "logging_steps": 1,
    "save_steps": 1000,
    "eval_max_new_tokens": 24,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def sft_run(runs, suite_dir, model_dir):
    config = build_config(
        SFTRunConfig,
        overrides={
            **FAST,
            "model": str(model_dir),
            "suite": str(suite_dir),
            "output_dir": str(runs / "sft"),
            "learning_rate": 1e-2,
            "max_steps": 20,
            "evaluate": True,
        },
    )
    return train_sft(config)


@pytest.fixture(scope="module")
def dpo_run(runs, one_user_suite_dir, sft_run):
    config = build_config(
        DPORunConfig,
        overrides={
            **FAST,
            "sft_adapter": str(sft_run.out_dir),
            "suite": str(one_user_suite_dir),
            "output_dir": str(runs / "dpo"),
            "learning_rate": 3e-3,
            "max_steps": 8,
            "rejected_parameters": 1.0,
        },
    )
    return train_dpo(config)


def test_sft_lowers_the_loss(sft_run):
    losses = [row["loss"] for row in sft_run.curves]
    assert len(losses) == 20
    assert mean(losses[-4:]) < mean(losses[:4]) - 0.5
    assert sft_run.metrics["final_loss"] == losses[-1] and sft_run.metrics["tokens_per_s"] > 0


def test_the_run_directory_is_the_adapter_with_its_records(sft_run, model_dir):
    out = sft_run.out_dir
    for name in ("adapter_config.json", "adapter_model.safetensors", "curves.json", "curves.csv"):
        assert (out / name).is_file(), name
    record = json.loads((out / "train_config.json").read_text())
    assert record["stage"] == "sft" and record["config"]["model"] == str(model_dir)
    assert record["data"]["examples"] == 8 and record["data"]["dropped_too_long"] == 0
    assert record["trl_args"]["learning_rate"] == 1e-2 and record["bf16"] is False
    curves = json.loads((out / "curves.json").read_text())
    header = (out / "curves.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["step", "epoch", "loss"] and len(curves) == 20
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and adapter["lora_alpha"] == 16
    linear = {name.rsplit(".", 1)[-1] for name in adapter["target_modules"]}
    assert linear == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_the_adapter_was_evaluated_through_hf_on_the_test_split(sft_run, model_dir):
    metrics = sft_run.eval_metrics
    assert metrics is not None and metrics["overall"]["n"] == 4
    assert metrics["overall"]["backend_errors"] == 0
    config = json.loads((sft_run.out_dir / "eval" / "config.json").read_text())
    assert config["backend"] == f"hf:{model_dir}" and config["split"] == "test"
    assert config["backend_config"]["adapter"] == str(sft_run.out_dir)


def test_the_saved_adapter_changes_what_the_model_answers(sft_run, suite_dir, model_dir):
    suite = load_suite_dir(suite_dir)
    task = suite.split("test")[0]
    answers = []
    for adapter in (None, sft_run.out_dir):
        options = {"adapter": str(adapter)} if adapter else {}
        backend = make_backend(f"hf:{model_dir}", max_new_tokens=16, **options)
        backend.setup(suite)
        answers.append(backend._generate_sync([backend.prompts.prompt(backend.tokenizer, task)]))
    assert answers[0][0].output != answers[1][0].output


def test_dpo_from_the_sft_adapter_raises_the_reward_margin(dpo_run, sft_run):
    margins = [row["rewards/margins"] for row in dpo_run.curves]
    assert len(margins) == 8 and margins[0] == 0.0  # step 1: policy == reference
    assert mean(margins[-3:]) > 0.05 and margins[-1] > margins[1]
    out = dpo_run.out_dir
    assert not (out / "ref").exists() and (out / "adapter_model.safetensors").is_file()
    record = json.loads((out / "train_config.json").read_text())
    assert record["config"]["sft_adapter"] == str(sft_run.out_dir)
    assert record["data"]["mix"] == {"preference": 1.0, "functionality": 0.0, "parameters": 1.0}
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert len(pairs) == record["data"]["pairs"] == 8
    assert {p["rejection"] for p in pairs} <= {"preference", "parameters"}


def test_a_run_resumes_from_its_last_checkpoint(runs, suite_dir, model_dir):
    overrides = {
        **FAST,
        "model": str(model_dir),
        "suite": str(suite_dir),
        "output_dir": str(runs / "resumed"),
        "learning_rate": 1e-2,
        "max_steps": 2,
        "save_steps": 2,
    }
    first = train_sft(build_config(SFTRunConfig, overrides=overrides))
    assert (first.out_dir / "checkpoints" / "checkpoint-2").is_dir()
    resumed = train_sft(
        build_config(SFTRunConfig, overrides={**overrides, "max_steps": 4, "resume": True})
    )
    assert resumed.metrics["global_step"] == 4
    assert [row["step"] for row in resumed.curves] == [1, 2, 3, 4]


def test_llamafactory_ranking_files_train_dpo(runs, tmp_path, suite, model_dir):
    from petool.train.llamafactory import export_llamafactory

    export_llamafactory(suite, suite.split("train"), tmp_path, kinds=["dpo"], by_mode=True)
    files = [str(tmp_path / f"trainy_dpo_{code}.json") for code in ("p", "r")]
    config = build_config(
        DPORunConfig,
        overrides={
            **FAST,
            "model": str(model_dir),
            "llamafactory": files,
            "modes": ["rated"],
            "output_dir": str(runs / "from-files"),
            "max_steps": 1,
        },
    )
    result = train_dpo(config)
    assert result.metrics["global_step"] == 1
    record = json.loads((result.out_dir / "train_config.json").read_text())
    assert record["data"]["source"] == ", ".join(files)
    rated = [t for t in suite.split("train") if t.mode == "rated"]
    assert record["data"]["pairs"] == len(rated) > 0  # the rows of the rated file only
