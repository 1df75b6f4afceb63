"""Latency and throughput of the ``ranker`` backend on the demo suite (CPU by default).

Measures, in one process:

* setup: the first ``setup`` (loads all-MiniLM-L6-v2 and embeds the tool texts) and a warm
  one (model in memory, empty text memo: embeds the tool texts again);
* for each batch size (default 1 and 64): every task of the split answered through
  ``backend.generate`` in batches of that size, with an empty text memo, so each instruction
  is embedded once as in a real run. Latency is the wall time of one ``generate`` call (what
  a task waits for its answer; median and p99 over batches); per-task time is that divided
  by the batch size; throughput is tasks per second over the whole split.

* with ``--catalog N`` (default 7000; 0 skips it): a large catalog, the demo toolset plus the
  RapidAPI APIs of ../shared/data/toolbench plus synthetic clone providers (as
  ``benchmarks/synth_scale.py`` makes them: other names, other taglines) up to N tools, and the
  demo tasks with no candidate list (``meta.open_candidates``): each is shortlisted from the
  catalog index (:mod:`petool.ranker.catalog`) and reranked. Timed per ``generate`` call at
  each batch size twice: with the instructions' encoding (a fresh memo for them) and without
  (instructions already embedded: the index search and the rerank only).

``--model`` picks the ranker: ``shipped`` (the learned model, the default ``ranker``),
``zero-shot``, or a directory from ``petool ranker train``.

Usage::

    python benchmarks/ranker_latency.py [--split test] [--limit N] [--batch-sizes 1,64]
        [--device cpu] [--catalog 7000] [--model shipped] [--out results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from petool.backends.ranker_backend import RankerBackend
from petool.embedding import MODEL_NAME, Embedder
from petool.ranker.catalog import open_candidates
from petool.ranker.learned import SHIPPED_MODEL, RankerModel
from petool.schema import Suite, Task, Tool
from petool.suites.registry import load_suite

TOOLBENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "toolbench" / "tools"
_PREFIXES = ["Nimbus", "Quick", "Open", "Bright", "Atlas", "Vertex", "Pulse", "Echo", "Zen", "Nova"]
_SUFFIXES = ["API", "Data", "Hub", "Cloud", "Labs", "Connect", "Works", "Stack", "Base", "Point"]
_TAGLINES = ["Free and fast.", "Enterprise-grade and secure.", "Real-time data, worldwide.",
             "Affordable and reliable.", "Beta: experimental service.", "Ad-free and private.",
             "Unlimited requests.", "Regional data only.", "Premium accuracy.", ""]  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


MODEL: RankerModel | None = None  # --model: the learned model timed (None: zero-shot)


def _fresh_backend(device: str) -> RankerBackend:
    """A backend with the model in memory but an empty text memo."""
    return RankerBackend(device=device, encoder=Embedder(device), model=MODEL)


def time_setup(suite: Suite, device: str) -> dict[str, float]:
    """Seconds of a cold setup (model load + tool embeddings) and of a warm one."""
    start = time.perf_counter()
    _fresh_backend(device).setup(suite)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    _fresh_backend(device).setup(suite)
    warm = time.perf_counter() - start
    return {"setup_cold_s": cold, "setup_warm_s": warm}


async def _run(backend: RankerBackend, tasks: list[Task], batch_size: int) -> list[float]:
    latencies = []
    for i in range(0, len(tasks), batch_size):
        batch = tasks[i : i + batch_size]
        start = time.perf_counter()
        responses = await backend.generate(batch)
        latencies.append(time.perf_counter() - start)
        assert len(responses) == len(batch)
    return latencies


def time_batches(suite: Suite, tasks: list[Task], batch_size: int, device: str) -> dict[str, Any]:
    """Latency and throughput of answering ``tasks`` in batches of ``batch_size``."""
    backend = _fresh_backend(device)
    backend.setup(suite)
    backend.ranker.encoder.encode(["warm-up sentence not in the suite"])
    start = time.perf_counter()
    latencies = asyncio.run(_run(backend, tasks, batch_size))
    total = time.perf_counter() - start
    return {
        "batch_size": batch_size,
        "tasks": len(tasks),
        "batches": len(latencies),
        "latency_median_ms": statistics.median(latencies) * 1e3,
        "latency_p99_ms": _percentile(latencies, 99) * 1e3,
        "per_task_median_ms": statistics.median(latencies) * 1e3 / batch_size,
        "throughput_tasks_per_s": len(tasks) / total if total > 0 else 0.0,
        "total_s": total,
    }


def _real_apis() -> list[tuple[str, str, str]]:
    """(provider, api name, description) of the ToolBench corpus, when it is there."""
    out = []
    for path in sorted(TOOLBENCH.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for api in data.get("api_list") or []:
            text = (api.get("description") or api.get("name") or "").strip()
            out.append((str(data.get("tool_name", path.stem)), str(api.get("name", "")), text))
    return out


def large_catalog(suite: Suite, n_tools: int, seed: int = 0) -> Suite:
    """The suite with its toolset grown to ``n_tools`` and every task's candidates opened."""
    rng = random.Random(seed)
    apis = _real_apis() or [(t.app or "demo", t.name, t.functionality) for t in suite.tools]
    tools = list(suite.tools)
    names = {t.name for t in tools}
    real = [(p, a, d) for p, a, d in apis]
    clone = 0
    while len(tools) < n_tools:
        if real:
            provider, api, text = real.pop(0)
        else:
            clone += 1
            _, api, text = rng.choice(apis)
            provider = f"{rng.choice(_PREFIXES)}{rng.choice(_SUFFIXES)} {clone}"
            text = f"{text} {rng.choice(_TAGLINES)}".strip()
        name = f"{provider}.{api}"
        if name in names:
            continue
        names.add(name)
        tools.append(Tool(name=name, app=provider, description=text or api or name))
    return open_candidates(suite.model_copy(update={"tools": tools}))


def time_catalog(
    suite: Suite, tasks: list[Task], batch_sizes: list[int], device: str
) -> dict[str, Any]:
    """Shortlist + rerank latency of open-candidate tasks over a large catalog."""
    backend = _fresh_backend(device)
    start = time.perf_counter()
    backend.setup(suite)
    setup = time.perf_counter() - start
    by_id = {t.id: t for t in suite.tasks}
    open_tasks = [by_id[t.id] for t in tasks]
    # one untimed pass: the ranker memoises each history tool's advantage among its peers in
    # the toolset (one product with the 7k-row matrix each), once per toolset, as a server would
    asyncio.run(_run(backend, open_tasks, max(batch_sizes)))
    runs = []
    for batch_size in batch_sizes:
        for encoded in (False, True):
            if encoded:  # instructions already embedded: search + rerank only
                backend.ranker.encoder.encode([t.instruction for t in open_tasks])
            else:  # a fresh memo for the instructions (the tool texts stay)
                memo = backend.ranker.encoder._memo  # type: ignore[attr-defined]
                for t in open_tasks:
                    memo.pop(t.instruction, None)
            latencies = asyncio.run(_run(backend, open_tasks, batch_size))
            per_task = [lat / batch_size for lat in latencies]
            runs.append(
                {
                    "batch_size": batch_size,
                    "instruction_encoding": not encoded,
                    "latency_median_ms": statistics.median(latencies) * 1e3,
                    "latency_p99_ms": _percentile(latencies, 99) * 1e3,
                    "per_task_p50_ms": statistics.median(per_task) * 1e3,
                    "per_task_p99_ms": _percentile(per_task, 99) * 1e3,
                }
            )
    return {
        "tools": len(suite.tools),
        "tasks": len(open_tasks),
        "shortlist": backend.shortlist,
        "setup_s": setup,
        "runs": runs,
    }


def _catalog_table(cat: dict[str, Any]) -> str:
    lines = [
        f"open candidates over {cat['tools']} tools ({cat['tasks']} tasks, shortlist "
        f"{cat['shortlist']}, setup {cat['setup_s']:.1f} s)",
        f"{'batch':>5}  {'encode':>6}  {'call p50 ms':>11}  {'call p99 ms':>11}  "
        f"{'task p50 ms':>11}  {'task p99 ms':>11}",
    ]
    for r in cat["runs"]:
        lines.append(
            f"{r['batch_size']:>5}  {'yes' if r['instruction_encoding'] else 'no':>6}  "
            f"{r['latency_median_ms']:>11.2f}  {r['latency_p99_ms']:>11.2f}  "
            f"{r['per_task_p50_ms']:>11.2f}  {r['per_task_p99_ms']:>11.2f}"
        )
    return "\n".join(lines)


def _table(results: dict[str, Any]) -> str:
    lines = [
        f"ranker on {results['suite']}/{results['split']} ({results['tasks']} tasks, "
        f"{results['device']}, {results['cpu_threads']} torch threads)",
        f"setup: cold {results['setup_cold_s']:.2f} s (model load + tool embeddings), "
        f"warm {results['setup_warm_s']:.2f} s",
        "",
        f"{'batch':>5}  {'latency p50 ms':>14}  {'latency p99 ms':>14}  "
        f"{'per task p50 ms':>15}  {'tasks/s':>8}",
    ]
    for row in results["runs"]:
        lines.append(
            f"{row['batch_size']:>5}  {row['latency_median_ms']:>14.1f}  "
            f"{row['latency_p99_ms']:>14.1f}  {row['per_task_median_ms']:>15.2f}  "
            f"{row['throughput_tasks_per_s']:>8.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table; write JSON to ``--out`` if given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="demo")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--batch-sizes", default="1,64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--catalog", type=int, default=7000, help="large-catalog size (0: skip)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    parser.add_argument(
        "--model", default="shipped", help="shipped (the default ranker) | zero-shot | DIR"
    )
    args = parser.parse_args(argv)
    global MODEL
    if args.model != "zero-shot":
        MODEL = RankerModel.load(SHIPPED_MODEL if args.model == "shipped" else args.model)

    import torch

    suite = load_suite(args.suite)
    tasks = suite.split(args.split)[: args.limit]
    results: dict[str, Any] = {
        "suite": suite.name,
        "split": args.split,
        "tasks": len(tasks),
        "tools": len(suite.tools),
        "device": args.device,
        "model": args.model,
        "embedding_model": MODEL_NAME,
        "cpu_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        **time_setup(suite, args.device),
        "runs": [
            time_batches(suite, tasks, int(b), args.device) for b in args.batch_sizes.split(",")
        ],
    }
    if args.catalog > 0:
        sizes = [int(b) for b in args.batch_sizes.split(",")]
        big = large_catalog(suite, args.catalog)
        results["catalog"] = time_catalog(big, tasks, sizes, args.device)
    print(_table(results))
    if "catalog" in results:
        print()
        print(_catalog_table(results["catalog"]))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
