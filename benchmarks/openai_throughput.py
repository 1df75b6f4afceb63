"""Throughput of ``openai:`` against a loopback server: petool vs. the ideal and one-at-a-time.

The server (tests/backends/openai_stub_server.py, in its own process so it does not share
the client's interpreter) answers every request after L seconds. With N tasks and C requests
in flight the ideal wall time is N·L/C. Runs:

1. petool with concurrency C (no faults): wall / ideal (target <= 1.15), CPU time per task;
2. one request at a time, as the benchmarks' official scripts do (on a subset of tasks when
   that would take long; the full-size time is extrapolated, and the output says so);
3. concurrency C with the first attempt of 10 % of requests failing with 500 and 5 %
   throttled with 429 + Retry-After: wall / ideal (target <= 1.3), every task answered.
   The 429s carry ``Retry-After: 1`` and ``retry-after-ms: 200`` like OpenAI's, and the
   runner waits exactly what the server asked. Every fault costs a full request (the server
   fails after L), so the 15 % extra requests alone set a floor of 1.15. A 500 waits the
   runner's first backoff (0.25-0.5 s, ``--base-delay``); retries queue behind the first
   attempts still waiting, so the backoffs of the last failures overlap the retry wave
   instead of idling the slots. With whole seconds only (``--retry-after-ms 0``) a task
   throttled at the very end must wait 1 s, and no scheduler can beat
   (N·L/C + 1 s + L) / (N·L/C) = 1.35 at the default sizes.

``--no-fsync`` shows what the run costs when the predictions writer never fsyncs (the
runner's writer flushes every line and fsyncs at most once a second; a SIGKILL loses nothing
either way, fsync only guards against power loss).

Usage::

    python benchmarks/openai_throughput.py [--n 2000] [--latency 0.1] [--concurrency 64]
        [--sequential-n 100] [--retry-after 1] [--retry-after-ms 200] [--base-delay 0.5]
        [--no-fsync] [--transport auto|http|sdk] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "backends" / "openai_stub_server.py"
sys.path[:0] = [str(ROOT / "tests" / "plugins")]


from petool_test_support import make_tiny_suite  # noqa: E402

from petool.backends.openai_backend import OpenAIBackend  # noqa: E402
from petool.backends.oracle import gold_answer_text  # noqa: E402
from petool.run import RetryPolicy, evaluate  # noqa: E402
from petool.schema import Suite  # noqa: E402


def _scripts(suite: Suite, fail_rate: float, throttle_rate: float, seed: int) -> list[dict]:
    rng = random.Random(seed)
    scripts = []
    for task in suite.tasks:
        draw = rng.random()
        faults = (
            ["500"] if draw < fail_rate else ["429"] if draw < fail_rate + throttle_rate else []
        )
        scripts.append(
            {
                "instruction": task.instruction,
                "task_id": task.id,
                "text": gold_answer_text(task),
                "faults": faults,
            }
        )
    return scripts


@contextmanager
def stub_server(scripts: list[dict], **options: Any) -> Iterator[str]:
    """A loopback server in a child process; yields its base URL."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "script.json"
        script.write_text(json.dumps(scripts))
        cmd = [sys.executable, str(SERVER), "--script", str(script)]
        for name, value in options.items():
            cmd += [f"--{name.replace('_', '-')}", str(value)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            if not url.startswith("http://"):
                raise RuntimeError(f"stub server did not start (exit code {proc.poll()})")
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


FSYNC_INTERVAL: float | None = 1.0


def run_once(
    suite: Suite,
    base_url: str,
    concurrency: int,
    limit: int | None,
    base_delay: float = 0.5,
    transport: str = "auto",
) -> dict[str, Any]:
    """One petool run; wall and CPU seconds of the client process, and the run's counts."""
    with tempfile.TemporaryDirectory() as tmp:
        # the response cache is on, as by default, in a fresh file: every request is a miss
        backend = OpenAIBackend(
            "bench-model",
            base_url=base_url,
            cache_path=Path(tmp) / "cache.sqlite",
            concurrency=concurrency,
            transport=transport,
        )
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = evaluate(
            suite,
            backend,
            out_dir=Path(tmp) / "run",
            concurrency=concurrency,
            limit=limit,
            retry=RetryPolicy(base_delay=base_delay),
            fsync_interval=FSYNC_INTERVAL,
        )
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    preds = result.predictions
    return {
        "transport": backend.transport,
        "tasks": len(preds),
        "wall_s": round(wall, 3),
        "generate_wall_s": result.metrics["run"]["wall_s"],
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_task": round(1000 * cpu / max(len(preds), 1), 3),
        "backend_errors": sum(p.status == "backend_error" for p in preds),
        "retried_tasks": sum(p.attempts > 1 for p in preds),
        "ok": sum(p.status == "ok" for p in preds),
    }


def main() -> None:
    """Run the three measurements and print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sequential-n", type=int, default=100)
    parser.add_argument("--retry-after", default="1", help="Retry-After of a 429, seconds")
    parser.add_argument(
        "--retry-after-ms",
        type=int,
        default=200,
        help="also send retry-after-ms, as OpenAI does (0: send only Retry-After)",
    )
    parser.add_argument(
        "--base-delay",
        type=float,
        default=RetryPolicy().base_delay,
        help="the runner's first backoff before a retry (its default)",
    )
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="write predictions without any fsync (flush per line only)",
    )
    parser.add_argument(
        "--transport",
        default="auto",
        help="the openai backend's client: auto (= http on loopback), http, sdk",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.no_fsync:
        global FSYNC_INTERVAL
        FSYNC_INTERVAL = None
    n, lat, c = args.n, args.latency, args.concurrency
    ideal = n * lat / c
    suite = make_tiny_suite(n)
    report: dict[str, Any] = {
        "n": n,
        "latency_s": lat,
        "concurrency": c,
        "ideal_s": ideal,
        "fsync_interval_s": FSYNC_INTERVAL,
    }

    with stub_server(_scripts(suite, 0, 0, 0), latency=lat) as url:
        t = args.transport
        run_once(suite, url, c, limit=min(n, 4 * c), transport=t)  # warm-up: imports, connections
        clean = run_once(suite, url, c, limit=None, transport=t)
        clean["ratio"] = round(clean["wall_s"] / ideal, 3)
        clean["generate_ratio"] = round(clean["generate_wall_s"] / ideal, 3)
        report["concurrent"] = clean
        seq_n = min(n, args.sequential_n)
        seq = run_once(suite, url, 1, limit=seq_n, transport=t)
        seq["extrapolated_to_n_s"] = round(seq["wall_s"] * n / seq_n, 1)
        seq["extrapolated"] = seq_n < n
        report["sequential"] = seq

    faulty = _scripts(suite, 0.10, 0.05, seed=1)
    options: dict[str, Any] = {"latency": lat, "retry_after": args.retry_after}
    if args.retry_after_ms:
        options["retry_after_ms"] = args.retry_after_ms
    with stub_server(faulty, **options) as url:
        faults = run_once(suite, url, c, limit=None, base_delay=args.base_delay, transport=t)
    faults["ratio"] = round(faults["wall_s"] / ideal, 3)
    faults["generate_ratio"] = round(faults["generate_wall_s"] / ideal, 3)
    faults["retry_after"] = args.retry_after
    faults["retry_after_ms"] = args.retry_after_ms or None
    faults["base_delay_s"] = args.base_delay
    faults["injected"] = sum(bool(s["faults"]) for s in faulty)
    report["faults_10pct_500_5pct_429"] = faults

    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
