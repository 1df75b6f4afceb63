"""Synthesis at PEToolBench size: offline wall time and memory, LLM-mode throughput, statistics.

1. **Offline, PEToolBench-sized.** A corpus of the 814 real RapidAPI tools in
   ../shared/data/toolbench (2,490 APIs) plus synthetic providers cloned from them (other
   names, other taglines such as "Free and fast" or "Beta") up to ``--tools`` APIs, in
   ToolBench's layout; ``petool synth`` builds ``--tasks`` tasks (equal per mode, 20 % test)
   from it offline in a child process limited to two cores. Reports wall time and peak
   memory (targets: < 300 s, < 4 GiB), the time per stage, and ``petool synth validate``.
2. **Statistics** of the suite beside PEToolBench's own test set (measured from
   ../shared/data/petoolbench: tasks per mode, group sizes, history lengths, parameters per
   call, candidates), and the built-in ranker's accuracy on the suite's test split.
3. **LLM mode against the loopback server.** The OpenAI-protocol stub server (its own
   process) answers every synthesis request after ``--latency`` seconds; with C requests in
   flight its ideal rate is C / latency requests per second. Reports each LLM stage's rate and
   the whole run's as a ratio to that ideal.

Usage::

    python benchmarks/synth_scale.py [--tasks 12000] [--tools 5000] [--history 10 60]
        [--ranker-limit 300] [--llm-users 60] [--llm-tools 300] [--latency 0.05]
        [--concurrency 32]
        [--json results.json] [--skip-offline] [--skip-llm]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TOOLBENCH = SHARED / "toolbench"
PETOOLBENCH = SHARED / "petoolbench"
_PREFIXES = [
    "Nimbus", "Quick", "Open", "Bright", "Atlas", "Vertex", "Pulse", "Echo", "Zen", "Nova",
    "Apex", "Lumen", "Swift", "Terra", "Orbit", "Prism", "Cobalt", "Maple", "Harbor", "Summit",
]  # fmt: skip
_SUFFIXES = ["API", "Data", "Hub", "Cloud", "Labs", "Connect", "Works", "Stack", "Base", "Point"]
LLM_CATEGORIES = ("Weather", "Finance", "Translation", "Email")
_TAGLINES = [
    "Free and fast.", "Enterprise-grade and secure.", "Real-time data, worldwide.",
    "Affordable and reliable.", "Beta: experimental service.", "Ad-free and private.",
    "Unlimited requests.", "Regional data only.", "Premium accuracy, verified sources.", "",
]  # fmt: skip


# --------------------------------------------------------------------------- corpus


def build_corpus(
    root: Path, n_tools: int, seed: int = 0, categories: tuple[str, ...] = ()
) -> dict[str, int]:
    """The real ToolBench corpus (or some categories) plus synthetic clone providers until
    ``n_tools`` APIs."""
    files = sorted((TOOLBENCH / "tools").rglob("*.json"))
    if categories:
        files = [p for p in files if p.parent.name in categories]
    real = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    for path in files:
        target = root / "tools" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    n = sum(len(t["api_list"]) for t in real)
    rng = random.Random(seed)
    providers = 0
    while n < n_tools:
        source = rng.choice(real)
        apis = source["api_list"]
        if not apis:
            continue
        k = rng.randint(1, min(4, len(apis)))
        name = f"{rng.choice(_PREFIXES)}{rng.choice(_SUFFIXES)} {providers + 1}"
        data = {
            "tool_name": name,
            "tool_description": rng.choice(_TAGLINES),
            "category_name": source["category_name"],
            "api_list": rng.sample(apis, k),
        }
        folder = root / "tools" / source["category_name"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"synthetic_{providers + 1:05d}.json").write_text(json.dumps(data))
        providers += 1
        n += k
    return {"real_providers": len(real), "synthetic_providers": providers, "apis": n}


# --------------------------------------------------------------------------- offline child


def child_offline(args: argparse.Namespace) -> None:
    """Runs in the child process: the offline build, printing stage timings as JSON."""
    from petool.synth.pipeline import SynthConfig, run_pipeline
    from petool.synth.progress import StageTimer

    per_mode = args.tasks // 3
    test = round(per_mode * 0.2)
    timer = StageTimer()
    started = time.perf_counter()
    result = run_pipeline(
        SynthConfig(
            corpus=Path(args.corpus),
            out=Path(args.out),
            test_per_mode=test,
            train_per_mode=per_mode - test,
            tasks_per_user=4,
            min_history=args.history[0],
            max_history=args.history[1],
            seed=0,
            name="scale",
        ),
        progress=timer,
    )
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "stages": timer.seconds, "report": result.report}))


def run_offline(corpus: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The offline build in a two-core child; wall time, peak memory, stage times."""
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, __file__, "--child-offline", "--corpus", str(corpus), "--out", str(out),
           "--tasks", str(args.tasks), "--history", *map(str, args.history)]  # fmt: skip
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0,1", *cmd]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"offline build failed:\n{done.stderr[-3000:]}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "process_wall_s": round(wall, 1),
        "pipeline_wall_s": round(child["wall_s"], 1),
        "peak_rss_gib": round(peak_kib / 2**20, 2),
        "stages_s": {k: round(v, 1) for k, v in child["stages"].items()},
        "report": child["report"],
    }


# --------------------------------------------------------------------------- statistics


def _summary(values: list[int]) -> dict[str, Any]:
    data = sorted(values)
    return {
        "n": len(data),
        "min": data[0],
        "mean": round(statistics.fmean(data), 2),
        "median": statistics.median(data),
        "max": data[-1],
    }


def petoolbench_stats() -> dict[str, Any] | None:
    """PEToolBench's test set, measured (all 1,000 entries when the zip is there)."""
    zipped = PETOOLBENCH / "user_entries_test.json.zip"
    sample = PETOOLBENCH / "user_entries_test_sample.json"
    if zipped.is_file():
        with zipfile.ZipFile(zipped) as z:
            name = next(n for n in z.namelist() if n.endswith(".json") and "MACOSX" not in n)
            entries = json.loads(z.read(name))
        source = zipped.name
    elif sample.is_file():
        entries = json.loads(sample.read_text(encoding="utf-8"))
        source = sample.name
    else:
        return None

    def load(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    groups = [len(load(e["apis_same_func"])) for e in entries]
    params = [len(load(e["api_call_ground_truth"])["parameters"]) for e in entries]
    candidates = [len(load(e["apis_candidate"])) for e in entries]
    histories = [int(e["history_length"]) for e in entries]
    funcs = Counter(e["func"] for e in entries)
    return {
        "source": source,
        "entries": len(entries),
        "tasks_per_mode": {m: len(entries) for m in ("preferred", "rated", "chronological")},
        "task_group_sizes": _summary(groups),
        "group_size_histogram": dict(sorted(Counter(groups).items())),
        "distinct_groups": len(funcs),
        "history_length": _summary(histories),
        "params_per_call": _summary(params),
        "candidates_per_task": _summary(candidates),
    }


def suite_stats(out: Path) -> dict[str, Any]:
    """The generated suite's statistics in the same terms."""
    from petool.suites.directory import load_suite_dir

    suite = load_suite_dir(out)
    per_mode = Counter(t.mode for t in suite.tasks)
    groups = [len(t.meta.functional_group) for t in suite.tasks]
    stats = (suite.info.model_extra or {}).get("stats", {})
    return {
        "tasks": len(suite.tasks),
        "tasks_per_split_and_mode": stats.get("tasks"),
        "tasks_per_mode": dict(per_mode),
        "tools": stats.get("tools"),
        "choice_points": stats.get("choice_points"),
        "tools_in_choice_points": stats.get("tools_in_choice_points"),
        "task_group_sizes": _summary(groups),
        "group_size_histogram": dict(sorted(Counter(groups).items())),
        "distinct_groups": len({t.meta.model_extra["group_id"] for t in suite.tasks}),  # type: ignore[index]
        "history_length": _summary([len(t.user.history) for t in suite.tasks]),
        "params_per_call": _summary([len(t.gold[0].arguments) for t in suite.tasks]),
        "candidates_per_task": _summary([len(t.candidates) for t in suite.tasks]),
    }


def validate(out: Path) -> dict[str, Any]:
    """``petool synth validate`` on the suite, timed."""
    from petool.synth.validate import validate_suite

    started = time.perf_counter()
    report = validate_suite(out)
    return {"ok": report.ok, "tasks": report.tasks, "failed": report.failed_tasks,
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def ranker_accuracy(out: Path, run_dir: Path, limit: int | None) -> dict[str, Any]:
    """The built-in ranker on the suite's test split (first ``limit`` tasks)."""
    from petool.backends.registry import make_backend
    from petool.run import evaluate
    from petool.suites.registry import load_suite

    started = time.perf_counter()
    result = evaluate(load_suite(str(out)), make_backend("ranker"), out_dir=run_dir, limit=limit)
    metrics = result.metrics
    keys = ("n", "tool_accuracy", "call_accuracy", "parameter_accuracy")

    def pick(block: dict[str, Any]) -> dict[str, Any]:
        return {k: round(block[k], 3) if isinstance(block[k], float) else block[k] for k in keys}

    return {
        "tasks": len(result.predictions),
        "seconds": round(time.perf_counter() - started, 1),
        "overall": pick(metrics["overall"]),
        "by_mode": {m: pick(b) for m, b in metrics["by_mode"].items()},
        "preference_mismatch_rate": metrics["error_rates"].get("preference_mismatch"),
    }


# --------------------------------------------------------------------------- LLM mode

_SERVER = """
import sys, time
sys.path[:0] = [{tests!r}]
from synth_support import ScriptedLLM
server = ScriptedLLM(latency={latency})
server.keep_bodies = False
server.start()
print(server.base_url, flush=True)
sys.stdin.read()
server.stop()
"""


def run_llm(corpus: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The pipeline with the loopback server as its LLM; rates against the ideal C / latency."""
    from petool.synth.pipeline import SynthConfig, run_pipeline

    code = _SERVER.format(tests=str(ROOT / "tests" / "synth"), latency=args.latency)
    server = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        config = SynthConfig(
            corpus=corpus,
            out=out,
            backend="openai:bench-model",
            backend_options={"base_url": url, "timeout": 30.0},
            users=args.llm_users,
            tasks_per_user=4,
            concurrency=args.concurrency,
            cache_dir=out / ".synth-cache",
            name="llm",
        )
        started = time.perf_counter()
        result = run_pipeline(config)
        wall = time.perf_counter() - started
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
    ideal_rate = args.concurrency / args.latency
    stages = {}
    sent = seconds = 0.0
    for stage, s in result.session["llm"].items():  # this process: sent, seconds
        rate = s["sent"] / s["seconds"] if s["seconds"] else 0.0
        stages[stage] = {
            "requests": s["sent"],
            "seconds": s["seconds"],
            "rate_per_s": round(rate, 1),
            "ratio": round(rate / ideal_rate, 3),
        }
        sent += s["sent"]
        seconds += s["seconds"]
    return {
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "ideal_rate_per_s": ideal_rate,
        "requests": int(sent),
        "llm_seconds": round(seconds, 2),
        "rate_per_s": round(sent / seconds, 1),
        "ratio_to_ideal": round(sent / seconds / ideal_rate, 3),
        "stages": stages,
        "run_wall_s": round(wall, 1),
        "tasks": len(result.suite.tasks),
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=12000)
    parser.add_argument("--tools", type=int, default=5000)
    parser.add_argument("--history", type=int, nargs=2, default=[10, 60])
    parser.add_argument("--ranker-limit", type=int, default=300)
    parser.add_argument("--llm-users", type=int, default=60)
    parser.add_argument("--llm-tools", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--skip-offline", action="store_true")
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--child-offline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_offline:
        child_offline(args)
        return
    if not TOOLBENCH.is_dir():
        sys.exit(f"{TOOLBENCH} is not there: this benchmark needs the real ToolBench corpus")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_offline:
            corpus = work / "corpus"
            results["corpus"] = build_corpus(corpus, args.tools)
            results["offline"] = run_offline(corpus, work / "suite", args)
            print(json.dumps(results["offline"], indent=1), flush=True)
            results["validate"] = validate(work / "suite")
            results["suite_stats"] = suite_stats(work / "suite")
            results["petoolbench_stats"] = petoolbench_stats()
            if args.ranker_limit > 0:
                results["ranker"] = ranker_accuracy(work / "suite", work / "run", args.ranker_limit)
        if not args.skip_llm:
            llm_corpus = work / "llm-corpus"
            results["llm_corpus"] = build_corpus(llm_corpus, args.llm_tools, seed=1,
                                                 categories=LLM_CATEGORIES)  # fmt: skip
            results["llm"] = run_llm(llm_corpus, work / "llm", args)
    text = json.dumps(results, indent=1, ensure_ascii=False)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
