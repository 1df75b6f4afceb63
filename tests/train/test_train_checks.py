"""Bad inputs stop before training with one line naming the file, row or field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from petool.errors import ConfigError, InputError
from petool.schema import Suite
from petool.train.checks import (
    check_adapter_dir,
    check_output_dir,
    check_pairs,
    check_tokenizer,
    drop_too_long,
    load_tokenizer,
    require_split,
)
from petool.train.datasets import sft_rows


def test_a_suite_without_a_train_split_is_refused(suite: Suite):
    test_only = suite.model_copy(update={"tasks": suite.split("test")})
    with pytest.raises(InputError, match=r"suite 'trainy': no 'train' split.*test \(4\)"):
        require_split(test_only, "train")
    require_split(suite, "train")


def test_a_pair_whose_chosen_equals_rejected_is_refused():
    answer = [{"role": "assistant", "content": '{"tool_name": "a", "parameters": {}}'}]
    rows = [
        {
            "id": "t1",
            "prompt": [{"role": "user", "content": "q"}],
            "chosen": answer,
            "rejected": list(answer),
        }
    ]
    with pytest.raises(InputError, match=r"src: row 0 \(id t1\): field 'rejected' equals"):
        check_pairs(rows, "src")
    rows[0]["rejected"] = []
    with pytest.raises(InputError, match="field 'rejected' is empty"):
        check_pairs(rows, "src")


def test_a_tokenizer_without_a_chat_template_is_refused():
    class Plain:
        chat_template = None

    with pytest.raises(InputError, match="'chat_template'"):
        check_tokenizer(Plain(), "some/model")

    class NoTools:
        chat_template = "{{ messages }}"

    check_tokenizer(NoTools(), "m")
    with pytest.raises(InputError, match="does not take tools"):
        check_tokenizer(NoTools(), "m", tool_calling="native")


def test_examples_over_the_cutoff_are_dropped_and_counted(suite, model_dir):
    tokenizer = load_tokenizer(str(model_dir))
    rows = sft_rows(suite, suite.split("train"))
    kept, dropped = drop_too_long(tokenizer, rows, 100_000, "src")
    assert (len(kept), dropped) == (len(rows), 0)
    with pytest.raises(InputError, match="every example is longer than --max-length 10"):
        drop_too_long(tokenizer, rows, 10, "src")


def test_a_model_folder_that_is_not_one_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot load its tokenizer"):
        load_tokenizer(str(tmp_path / "nothing"))


def test_adapter_and_output_dirs(tmp_path: Path):
    with pytest.raises(InputError, match="not a LoRA adapter folder"):
        check_adapter_dir(tmp_path)
    run = tmp_path / "run"
    assert check_output_dir(run, resume=False) == run
    run.mkdir()
    (run / "x").write_text("")
    with pytest.raises(ConfigError, match="exists and is not empty"):
        check_output_dir(run, resume=False)
    with pytest.raises(ConfigError, match="no checkpoint"):
        check_output_dir(run, resume=True)
    (run / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    assert check_output_dir(run, resume=True) == run
    shutil.rmtree(run)
