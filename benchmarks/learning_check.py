"""Learning check of the training recipe: untrained vs SFT vs SFT + DPO on the demo suite.

Minutes on a CPU, not part of CI. It shows that petool's SFT then DPO recipe (the same
``train_sft`` / ``train_dpo`` as ``petool train``, LoRA rank 8 on all linear layers) makes
a model better at personalized tool selection, with a model small enough for two cores:

1. a tiny Llama-style model (``tests/backends/tiny_llama.py``: random weights, a byte-level
   BPE tokenizer trained on the demo suite's training prompts, a chat template), its BPE
   retrained with a 4,000-token vocabulary (demo prompts shrink from about 4,800 tokens to
   about 3,100: attention, the bulk of the cost, falls by more than half) and every tool
   name of the catalog added as one token (a 600-token BPE spells a name in about ten pieces,
   which a 64-wide model cannot learn to copy in minutes);
2. a short full-parameter *pretraining*, standing in for the pretrained LLM the recipe starts
   from (LoRA adapts a model that can already read prompts and call tools; it does not build
   one from random weights), in two parts, both from the train users only:
   a. language modelling on the training prompts (no answers): the prompt format;
   b. language modelling on the train users' *past* requests and calls as short
      request -> call documents (no candidates, no history, no profile: generic tool calling,
      which instruction-tuned LLMs bring). Without (b) a 64-wide model trained for minutes
      never learns which tool a request asks for (measured: the gold tool's probability stays
      at 1 / 165 after 300 SFT steps, even with full fine-tuning); with it, SFT has to teach
      reading that request at the end of a 3,000-token personalized prompt, and DPO which of
      the functionally equal tools this user prefers;
3. SFT on the demo train users' tasks, then DPO from the SFT adapter with the paper's pairs
   (the same call on a functionally equal, non-preferred tool), once per ``--dpo LOSS:LR``;
4. each model evaluated through ``hf:`` (+ adapter) on the demo test users (other users than
   training), the same number of tasks per history mode.

The table gives tool accuracy per history mode (and call accuracy and parse errors overall).
Learning rates are larger than the paper's (1e-4 / 5e-6 are for 8B models, not a random
64-wide model) and the batch is smaller (more updates for the same examples); the cutoff is
raised to 8192 tokens, as demo prompts are about 3,100 tokens with this vocabulary.

Usage::

    python benchmarks/learning_check.py [--out runs/learning-check] [--per-mode 40]
        [--sft-tasks 1200] [--dpo-tasks 300] [--pretrain 600] [--threads 2]
        [--dpo sigmoid:1e-3 --dpo sigmoid:1e-4 ...] [--reuse]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from petool.backends.registry import make_backend
from petool.prompts import render_answer, render_messages
from petool.run import evaluate
from petool.schema import HISTORY_MODES, Suite, Task
from petool.suites.registry import load_suite
from petool.train import DPORunConfig, SFTRunConfig, build_config, train_dpo, train_sft

ROOT = Path(__file__).resolve().parents[1]


def tiny_llama() -> ModuleType:
    """The tiny Llama builder of the test suite (loaded by path)."""
    path = ROOT / "tests" / "backends" / "tiny_llama.py"
    spec = importlib.util.spec_from_file_location("tiny_llama", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_llama"] = module
    spec.loader.exec_module(module)
    return module


def per_mode(tasks: list[Task], k: int) -> list[Task]:
    """The first ``k`` tasks of each history mode."""
    chosen: list[Task] = []
    for mode in HISTORY_MODES:
        chosen += [t for t in tasks if t.mode == mode][:k]
    return chosen


def sub_suite(suite: Suite, train: list[Task], test: list[Task]) -> Suite:
    """The suite restricted to the chosen train and test tasks."""
    return suite.model_copy(update={"tasks": [*train, *test]})


def widen_vocabulary(model_dir: Path, corpus: list[str], vocab_size: int, names: list[str]) -> int:
    """Retrain the builder's BPE with ``vocab_size`` tokens and add every tool name as one
    token; resize the (random) embeddings to match. Returns the vocabulary size."""
    from tokenizers import Tokenizer, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = model_dir / "tokenizer.json"
    tok = Tokenizer.from_file(str(path))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(tiny_llama().SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    tok.add_tokens(sorted(names))
    tok.save(str(path))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sample = f'{{"tool_name": "{names[0]}", "parameters": {{"q": "x"}}}}'
    ids = tokenizer(sample, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids) == sample, "tool tokens must decode to the same text"
    assert tokenizer.convert_tokens_to_ids(names[0]) in ids
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    model.save_pretrained(model_dir)
    return len(tokenizer)


def prompt_texts(tokenizer: Any, suite: Suite, tasks: list[Task]) -> list[str]:
    """The tasks' prompts as the model sees them (chat template, generation prompt), no answer."""
    tools = suite.tool_index()
    return [
        tokenizer.apply_chat_template(
            render_messages(task, tools, style=suite.info.prompt_style),
            tokenize=False,
            add_generation_prompt=True,
        )
        for task in tasks
    ]


def request_documents(tokenizer: Any, tasks: list[Task]) -> list[str]:
    """The users' past requests and calls as short chat documents (request -> call), once each.

    Only what the history of these tasks shows: no candidates, no profile, no preference.
    """
    docs = set()
    for task in tasks:
        for past in task.user.history:
            messages = [
                {"role": "user", "content": "## Request\n" + past.instruction},
                {"role": "assistant", "content": render_answer([past.call])},
            ]
            docs.add(tokenizer.apply_chat_template(messages, tokenize=False))
    return sorted(docs)


def pretrain(
    model_dir: Path,
    out: Path,
    texts: list[str],
    *,
    lr: float,
    epochs: int,
    chunk: int = 512,
    batch: int = 8,
    seed: int = 0,
    label: str = "pretrain",
) -> dict[str, Any]:
    """Full-parameter language modelling on ``texts``, concatenated and cut into chunks.

    ``chunk``-token pieces carry the same text at a fraction of the cost of full-length
    sequences (attention is quadratic in the length).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    model.train()
    stream: list[int] = []
    for text in texts:
        stream += tokenizer(text, add_special_tokens=False).input_ids
    pieces = torch.tensor(stream[: len(stream) // chunk * chunk]).view(-1, chunk)
    steps = epochs * math.ceil(len(pieces) / batch)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim,
        lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / steps)),
    )
    losses: list[float] = []
    started = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(pieces))
        for start in range(0, len(pieces), batch):
            ids = pieces[order[start : start + batch]]
            loss = model(input_ids=ids, labels=ids).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            losses.append(loss.item())
            if len(losses) % 100 == 1:
                print(f"  {label} epoch {epoch} step {len(losses)}/{steps} loss {losses[-1]:.3f}")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {
        "texts": len(texts),
        "tokens": len(stream),
        "chunks": len(pieces),
        "steps": steps,
        "loss_first10": sum(losses[:10]) / min(10, len(losses)),
        "loss_last10": sum(losses[-10:]) / min(10, len(losses)),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def run_eval(suite: Suite, base: Path, adapter: Path | None, out: Path, batch: int) -> dict:
    """Evaluate base (+ adapter) on the sub-suite's test split; the metrics."""
    options: dict[str, Any] = {"max_new_tokens": 96, "batch_size": batch, "device": "cpu"}
    if adapter is not None:
        options["adapter"] = str(adapter)
    backend = make_backend(f"hf:{base}", **options)
    started = time.perf_counter()
    result = evaluate(suite, backend, out_dir=out, backend_spec=f"hf:{base}", split="test")
    metrics = result.metrics
    metrics["eval_wall_s"] = round(time.perf_counter() - started, 1)
    return metrics


_TOOL_FIELD = re.compile(r'"tool_name"\s*:\s*"([^"]+)"')


def named_tools(run_dir: Path, suite: Suite) -> dict[str, float]:
    """Diagnostics from the raw answers, parse errors included (a tiny model often names the
    right tool, then garbles a value): the share whose first ``"tool_name"`` is the gold tool
    (``tool_named``), and one of the gold's functionally equal tools (``group_named``: the
    request was understood, whether or not the preferred tool was picked)."""
    tasks = {t.id: t for t in suite.split("test") if t.gold}
    tool_hits = group_hits = total = 0
    for line in (run_dir / "predictions.jsonl").read_text().splitlines():
        pred = json.loads(line)
        match = _TOOL_FIELD.search(pred.get("output") or "")
        task = tasks.get(pred["id"])
        total += 1
        if match and task is not None:
            named = match.group(1)
            tool_hits += named == task.gold[0].tool
            group_hits += named in (task.meta.functional_group or [task.gold[0].tool])
    return {
        "tool_named": tool_hits / total if total else 0.0,
        "group_named": group_hits / total if total else 0.0,
    }


def row(name: str, metrics: dict, named: dict[str, float]) -> dict[str, Any]:
    """One line of the result table."""
    overall = metrics["overall"]
    line: dict[str, Any] = {"model": name}
    for mode in HISTORY_MODES:
        line[mode] = metrics["by_mode"].get(mode, {}).get("tool_accuracy")
    line["tool_accuracy"] = overall["tool_accuracy"]
    line["call_accuracy"] = overall["call_accuracy"]
    line["parse_errors"] = overall["parse_errors"]
    line |= named
    line["n"] = overall["n"]
    return line


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown."""
    cols = [
        "model",
        *HISTORY_MODES,
        "tool_accuracy",
        "call_accuracy",
        "parse_errors",
        "tool_named",
        "group_named",
        "n",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def dpo_variant(text: str) -> tuple[str, float]:
    """``LOSS:LR`` (e.g. ``sigmoid:1e-3`` or ``sigmoid,sft:1e-3``) -> (loss, learning rate)."""
    loss, _, lr = text.rpartition(":")
    if not loss or not lr:
        raise argparse.ArgumentTypeError(f"expected LOSS:LR, e.g. sigmoid:1e-3, got {text!r}")
    return loss, float(lr)


def main() -> None:
    """Run the check and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/learning-check"))
    parser.add_argument("--per-mode", type=int, default=40, help="test tasks per history mode")
    parser.add_argument("--sft-tasks", type=int, default=1200)
    parser.add_argument("--dpo-tasks", type=int, default=300)
    parser.add_argument("--pretrain", type=int, default=600, help="prompts to pretrain on")
    parser.add_argument("--pretrain-lr", type=float, default=3e-3)
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--requests-lr", type=float, default=2e-3)
    parser.add_argument("--requests-epochs", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=4000, help="BPE vocabulary (+ tool names)")
    parser.add_argument("--sft-lr", type=float, default=3e-3)
    parser.add_argument(
        "--dpo",
        type=dpo_variant,
        action="append",
        help="a DPO run from the SFT adapter as LOSS:LR (repeatable; default sigmoid:1e-3, "
        "sigmoid:1e-4 and sigmoid,sft:1e-3; LOSS may be several TRL losses, comma-separated)",
    )
    parser.add_argument("--batch", type=int, default=2, help="effective batch of SFT and DPO")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep --out and skip every stage whose output is already there (e.g. to add a DPO "
        "variant to a finished check)",
    )
    args = parser.parse_args()
    variants: list[tuple[str, float]] = args.dpo or [
        ("sigmoid", 1e-3),
        ("sigmoid", 1e-4),
        ("sigmoid,sft", 1e-3),
    ]

    import torch

    torch.set_num_threads(args.threads)
    out: Path = args.out
    previous: dict[str, Any] = {}
    if args.reuse and (out / "results.json").exists():
        previous = json.loads((out / "results.json").read_text()).get("timings", {})
    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    def done(path: Path) -> bool:
        return args.reuse and path.exists()

    demo = load_suite("demo")
    train = demo.split("train")
    test = per_mode(demo.split("test"), args.per_mode)
    suite = sub_suite(demo, train[: max(args.sft_tasks, args.dpo_tasks, args.pretrain)], test)
    suite_dir = out / "suite"
    from petool.suites.directory import export_suite_dir

    if not done(suite_dir / "suite.json"):
        export_suite_dir(suite, suite_dir)
    tools = demo.tool_index()
    corpus = [m["content"] for t in train[:300] for m in render_messages(t, tools)]
    corpus += [render_answer(t.gold) for t in train]
    timings: dict[str, Any] = dict(previous)
    started = time.perf_counter()
    random_dir = out / "random"
    if not done(random_dir / "config.json"):
        tiny_llama().build_tiny_llama(random_dir, corpus, seed=args.seed, hidden_size=args.hidden)
        names = [t.name for t in demo.tools]
        timings["vocabulary"] = widen_vocabulary(random_dir, corpus, args.vocab, names)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(random_dir)
    prompts_dir = out / "base-prompts"
    if not done(prompts_dir / "config.json"):
        print("pretraining on the training prompts (no answers)", flush=True)
        timings["pretrain_prompts"] = pretrain(
            random_dir,
            prompts_dir,
            prompt_texts(tokenizer, demo, train[: args.pretrain]),
            lr=args.pretrain_lr,
            epochs=args.pretrain_epochs,
            seed=args.seed,
            label="prompts",
        )
    base = out / "base"
    if not done(base / "config.json"):
        print("pretraining on the train users' past requests and calls", flush=True)
        timings["pretrain_requests"] = pretrain(
            prompts_dir,
            base,
            request_documents(tokenizer, train),
            lr=args.requests_lr,
            epochs=args.requests_epochs,
            chunk=256,
            seed=args.seed,
            label="requests",
        )
    common = {
        "model": str(base),
        "suite": str(suite_dir),
        "max_length": 8192,
        "effective_batch_size": args.batch,
        "per_device_train_batch_size": 1,
        "gradient_checkpointing": False,
        "logging_steps": 10,
        "save_steps": 10_000,
        "seed": args.seed,
    }
    sft_dir = out / "sft"
    if not done(sft_dir / "adapter_config.json"):
        print("SFT", flush=True)
        sft_cfg = build_config(
            SFTRunConfig,
            overrides={
                **common,
                "output_dir": str(sft_dir),
                "limit": args.sft_tasks,
                "learning_rate": args.sft_lr,
            },
        )
        timings["sft"] = train_sft(sft_cfg).metrics
    models: list[tuple[str, Path | None]] = [("untrained", None), ("SFT", sft_dir)]
    for loss, lr in variants:
        name = f"SFT + DPO ({loss} {lr:g})"
        dpo_dir = out / f"dpo-{loss.replace(',', '+')}-{lr:g}"
        models.append((name, dpo_dir))
        if done(dpo_dir / "adapter_config.json"):
            continue
        print(name, flush=True)
        dpo_cfg = build_config(
            DPORunConfig,
            overrides={
                **common,
                "output_dir": str(dpo_dir),
                "limit": args.dpo_tasks,
                "learning_rate": lr,
                "loss_type": loss,
                "sft_adapter": str(sft_dir),
            },
        )
        timings[f"dpo {loss} {lr:g}"] = train_dpo(dpo_cfg).metrics
    results = []
    for name, adapter in models:
        run_dir = out / ("eval-" + re.sub(r"[^A-Za-z0-9.+-]+", "", name))
        if done(run_dir / "metrics.json"):
            metrics = json.loads((run_dir / "metrics.json").read_text())
        else:
            print(f"evaluating {name}", flush=True)
            shutil.rmtree(run_dir, ignore_errors=True)
            metrics = run_eval(suite, base, adapter, run_dir, 4)
            timings[f"eval {name}"] = metrics["eval_wall_s"]
        results.append(row(name, metrics, named_tools(run_dir, suite)))
    timings["total_s"] = round(time.perf_counter() - started, 1)
    table = markdown(results)
    record = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "rows": results,
        "timings": timings,
        "table": table,
    }
    (out / "results.json").write_text(json.dumps(record, indent=2, default=str))
    print(table)
    print(f"total {timings['total_s']} s; records in {out}")


if __name__ == "__main__":
    main()
