"""Latency and throughput of the ``ranker`` backend on the demo suite (CPU by default).

Measures, in one process:

* setup: the first ``setup`` (loads all-MiniLM-L6-v2 and embeds the tool texts) and a warm
  one (model in memory, empty text memo: embeds the tool texts again);
* for each batch size (default 1 and 64): every task of the split answered through
  ``backend.generate`` in batches of that size, with an empty text memo, so each instruction
  is embedded once as in a real run. Latency is the wall time of one ``generate`` call (what
  a task waits for its answer; median and p99 over batches); per-task time is that divided
  by the batch size; throughput is tasks per second over the whole split.

Usage::

    python benchmarks/ranker_latency.py [--split test] [--limit N] [--batch-sizes 1,64]
        [--device cpu] [--out results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from petool.backends.ranker_backend import RankerBackend
from petool.embedding import MODEL_NAME, Embedder
from petool.schema import Suite, Task
from petool.suites.registry import load_suite


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def _fresh_backend(device: str) -> RankerBackend:
    """A backend with the model in memory but an empty text memo."""
    return RankerBackend(device=device, encoder=Embedder(device))


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
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)

    import torch

    suite = load_suite(args.suite)
    tasks = suite.split(args.split)[: args.limit]
    results: dict[str, Any] = {
        "suite": suite.name,
        "split": args.split,
        "tasks": len(tasks),
        "tools": len(suite.tools),
        "device": args.device,
        "embedding_model": MODEL_NAME,
        "cpu_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        **time_setup(suite, args.device),
        "runs": [
            time_batches(suite, tasks, int(b), args.device) for b in args.batch_sizes.split(",")
        ],
    }
    print(_table(results))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
