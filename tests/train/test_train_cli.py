"""``petool train`` from the command line: bad input stops with exit 2 and one line before
training; ``train sft`` then ``train dpo`` then ``eval --adapter`` run end to end."""

from __future__ import annotations

import json
import shutil

import pytest
from train_helpers import corpus, make_train_suite, run_petool, tiny_llama

from petool.suites.directory import export_suite_dir

pytest.importorskip("trl")
pytestmark = pytest.mark.slow

FAST = [
    "--no-gradient-checkpointing",
    "--warmup-ratio",
    "0",
    "--per-device-train-batch-size",
    "4",
    "--effective-batch-size",
    "4",
    "--logging-steps",
    "1",
]


def _one_error_line(result, *fragments: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_a_suite_without_a_train_split_stops_before_training(tmp_path, model_dir):
    suite = make_train_suite()
    test_only = export_suite_dir(
        suite.model_copy(update={"tasks": suite.split("test")}), tmp_path / "test-only"
    )
    out = tmp_path / "run"
    result = run_petool(
        "train",
        "sft",
        "--model",
        str(model_dir),
        "--suite",
        str(test_only),
        "--output-dir",
        str(out),
    )
    _one_error_line(result, "no 'train' split")
    assert not out.exists()


def test_a_dpo_record_whose_chosen_equals_rejected_stops_before_training(tmp_path, model_dir):
    path = tmp_path / "pairs_p.json"
    row = {"instruction": "system", "input": "query", "chosen": '{"a": 1}', "rejected": '{"a": 1}'}
    path.write_text(json.dumps([row]))
    out = tmp_path / "run"
    result = run_petool(
        "train",
        "dpo",
        "--model",
        str(model_dir),
        "--llamafactory",
        str(path),
        "--output-dir",
        str(out),
    )
    _one_error_line(result, str(path), "row 0", "'rejected' equals 'chosen'")
    assert not out.exists()


def test_a_tokenizer_without_a_chat_template_stops_before_training(tmp_path, model_dir, suite_dir):
    plain = tmp_path / "plain-model"
    shutil.copytree(model_dir, plain)
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    out = tmp_path / "run"
    result = run_petool(
        "train", "sft", "--model", str(plain), "--suite", str(suite_dir), "--output-dir", str(out)
    )
    _one_error_line(result, str(plain), "chat_template")
    assert not out.exists()


def test_sft_then_dpo_then_eval_from_the_command_line(tmp_path, model_dir, suite_dir):
    sft, dpo, run = tmp_path / "sft", tmp_path / "dpo", tmp_path / "eval"
    result = run_petool(
        "train",
        "sft",
        "--model",
        str(model_dir),
        "--suite",
        str(suite_dir),
        "--output-dir",
        str(sft),
        "--learning-rate",
        "1e-2",
        "--max-steps",
        "4",
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    assert "sft: 4 steps" in result.stderr
    result = run_petool(
        "train",
        "dpo",
        "--sft-adapter",
        str(sft),
        "--suite",
        str(suite_dir),
        "--output-dir",
        str(dpo),
        "--learning-rate",
        "3e-3",
        "--max-steps",
        "2",
        *FAST,
        "--trl",
        "max_grad_norm=0.5",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads((dpo / "train_config.json").read_text())
    assert record["config"]["model"] == str(model_dir)  # read from the SFT adapter
    assert record["trl_args"]["max_grad_norm"] == 0.5
    result = run_petool(
        "eval",
        "--suite",
        str(suite_dir),
        "--backend",
        f"hf:{model_dir}",
        "--adapter",
        str(dpo),
        "--max-new-tokens",
        "16",
        "--out",
        str(run),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["overall"]["n"] == 4 and metrics["overall"]["backend_errors"] == 0
    config = json.loads((run / "config.json").read_text())
    assert config["backend_config"]["adapter"] == str(dpo)


def test_export_writes_llamafactory_files(tmp_path, suite_dir):
    out = tmp_path / "lf"
    result = run_petool(
        "export",
        "--suite",
        str(suite_dir),
        "--out",
        str(out),
        "--by-mode",
        "--rejected-parameters",
        "1",
    )
    assert result.returncode == 0, result.stderr
    info = json.loads((out / "dataset_info.json").read_text())
    assert "trainy_dpo_p" in info and info["trainy_dpo_p"]["ranking"] is True
    assert "trainy_sft_c" in info


def test_sft_then_dpo_then_eval_on_the_builtin_demo_suite(tmp_path):
    """The done-when of training: the demo suite (long personalized prompts, three history
    modes) through ``train sft``, ``train dpo`` and ``eval --adapter`` with a tiny model."""
    from petool.suites.registry import load_suite

    demo = load_suite("demo")
    sample = demo.model_copy(update={"tasks": demo.split("train")[:30] + demo.split("test")[:3]})
    model = tiny_llama().build_tiny_llama(tmp_path / "model", corpus(sample))
    sft, dpo, run = tmp_path / "sft", tmp_path / "dpo", tmp_path / "eval"
    one_step = [
        "--max-steps",
        "1",
        "--effective-batch-size",
        "1",
        "--per-device-train-batch-size",
        "1",
        "--no-gradient-checkpointing",
        "--max-length",
        "16384",
        "--limit",
        "2",
    ]
    model_args = ["--model", str(model), "--output-dir", str(sft)]
    result = run_petool("train", "sft", *model_args, "--suite", "demo", *one_step)
    assert result.returncode == 0, result.stderr
    assert "sft: 1 steps" in result.stderr
    dpo_args = ["--sft-adapter", str(sft), "--output-dir", str(dpo), "--suite", "demo"]
    result = run_petool("train", "dpo", *dpo_args, *one_step)
    assert result.returncode == 0, result.stderr
    assert json.loads((dpo / "train_config.json").read_text())["config"]["suite"] == "demo"
    result = run_petool(
        "eval",
        *("--suite", "demo", "--backend", f"hf:{model}", "--adapter", str(dpo)),
        *("--limit", "2", "--max-new-tokens", "8", "--out", str(run)),
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["suite"] == "demo" and metrics["overall"]["n"] == 2
    assert metrics["overall"]["backend_errors"] == 0
