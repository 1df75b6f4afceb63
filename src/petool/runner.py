"""``evaluate()``: run a backend over a suite's tasks into a run directory.

The run directory is the one record everything downstream reads:

* ``config.json`` — everything needed to reproduce the run (suite and its data hash, split,
  filters, backend spec and its config, sampling seed, petool version);
* ``predictions.jsonl`` — append-only, one line per finished task, flushed per line by a
  single writer (and fsynced at least once a second); the ids already there are the resume set;
* ``metrics.json`` — the suite's scorer applied to the predictions.

A run can be killed at any moment: ``resume=True`` cuts a torn last line, keeps every
finished prediction, drops recorded backend errors (so they are tried again) and runs only
what is missing. A backend failure is retried with exponential backoff and jitter, then
recorded as a ``backend_error`` prediction; it never stops the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import petool
from petool.backends.base import Backend, BackendResponse
from petool.errors import BackendError, InputError
from petool.io import (
    JsonlAppender,
    iter_jsonl_raw,
    parse_record,
    read_json,
    repair_torn_tail,
    write_json,
    write_jsonl,
)
from petool.parsing import parse_output
from petool.schema import ALL_SPLITS, Prediction, Suite, Task
from petool.scoring.registry import get_scorer

PREDICTIONS = "predictions.jsonl"
CONFIG = "config.json"
METRICS = "metrics.json"


@dataclass
class RetryPolicy:
    """How backend failures are retried.

    A server that says when to come back (``Retry-After`` / ``retry-after-ms``) is taken at its
    word, as the OpenAI SDK does (the header parser caps it at two minutes); otherwise the wait
    is exponential backoff with jitter, between half and all of ``base_delay * 2 ** (attempt - 1)``
    capped at ``max_delay``. Waiting longer than the server asked would only idle the slot.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return retry_after
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(backoff / 2, backoff)


@dataclass
class Progress:
    """Counters a progress display reads while a run goes on."""

    total: int = 0
    done: int = 0
    resumed: int = 0
    retries: int = 0
    backend_errors: int = 0
    parse_errors: int = 0
    throttled: int = 0


ProgressCallback = Callable[[Progress], None]


@dataclass
class RunResult:
    """What ``evaluate`` returns."""

    out_dir: Path
    metrics: dict[str, Any]
    predictions: list[Prediction] = field(default_factory=list)


def select_tasks(
    suite: Suite,
    *,
    split: str | None = None,
    modes: Sequence[str] | None = None,
    limit: int | None = None,
    no_context: bool = False,
) -> list[Task]:
    """The tasks of a run: a split, optionally some history modes, the first ``limit``."""
    if split is not None and split != ALL_SPLITS and split not in suite.split_sizes():
        known = ", ".join(sorted(suite.split_sizes())) or "none"
        raise InputError(f"suite '{suite.name}' has no split '{split}' (splits: {known})")
    tasks = suite.split(split)
    if modes:
        tasks = [t for t in tasks if (t.mode or "none") in modes]
    if limit is not None:
        tasks = tasks[:limit]
    if no_context:
        tasks = [t.without_context() for t in tasks]
    return tasks


def suite_hash(suite: Suite) -> str:
    """A content hash of the suite (tools and tasks), recorded in config.json."""
    h = hashlib.sha256()
    h.update(suite.info.model_dump_json().encode())
    for tool in suite.tools:
        h.update(tool.model_dump_json().encode())
    for task in suite.tasks:
        h.update(task.model_dump_json().encode())
    return h.hexdigest()[:16]


def load_predictions(path: str | Path) -> list[Prediction]:
    """Read a predictions.jsonl (errors name file and line)."""
    return [
        parse_record(data, Prediction, f"{path}:{lineno}") for lineno, data in iter_jsonl_raw(path)
    ]


def _prepare_resume(pred_path: Path) -> dict[str, Prediction]:
    """Repair the file, keep finished predictions, drop backend errors so they rerun."""
    repair_torn_tail(pred_path)
    kept: dict[str, Prediction] = {}
    dropped = False
    for pred in load_predictions(pred_path):
        if pred.status == "backend_error":
            dropped = True
            continue
        if pred.id in kept:
            dropped = True  # a duplicate can only come from a foreign writer: keep the first
            continue
        kept[pred.id] = pred
    if dropped:
        write_jsonl(pred_path, kept.values())
    return kept


def _check_run_dir(out_dir: Path, config: dict[str, Any], resume: bool) -> None:
    pred_path = out_dir / PREDICTIONS
    if not resume:
        if pred_path.exists() and pred_path.stat().st_size > 0:
            raise InputError(
                f"{out_dir}: run directory already has predictions; use --resume to continue it"
                " or --out for a new one"
            )
        return
    cfg_path = out_dir / CONFIG
    if not cfg_path.exists():
        return
    old = read_json(cfg_path)
    for key in ("suite", "suite_hash", "backend", "split", "modes", "limit", "no_context"):
        if isinstance(old, dict) and old.get(key) != config.get(key):
            raise InputError(
                f"{cfg_path}: field '{key}': run was made with {old.get(key)!r}, "
                f"not {config.get(key)!r}; resume with the same options or use a new --out"
            )


def to_prediction(
    task: Task, response: BackendResponse, latency: float, attempts: int, trial: int = 0
) -> Prediction:
    """Parse a backend response into a Prediction (a parse failure is recorded, not raised)."""
    if response.error is not None:
        return Prediction(
            id=task.id,
            output=response.output,
            status="backend_error",
            error=response.error,
            latency_s=latency,
            usage=response.usage,
            attempts=attempts,
            trial=trial,
        )
    parsed = parse_output(response.output, response.tool_calls, tool_names=task.candidates)
    return Prediction(
        id=task.id,
        output=response.output,
        status=parsed.status,
        calls=parsed.calls,
        error=parsed.error,
        latency_s=latency,
        usage=response.usage,
        attempts=attempts,
        cached=response.cached,
        trial=trial,
    )


class _Executor:
    """Runs batches with bounded concurrency and retries; writes each prediction once."""

    def __init__(
        self,
        backend: Backend,
        writer: JsonlAppender,
        progress: Progress,
        on_progress: ProgressCallback | None,
        retry: RetryPolicy,
        seed: int,
        trial: int,
    ):
        self.backend = backend
        self.writer = writer
        self.progress = progress
        self.on_progress = on_progress
        self.retry = retry
        self.rng = random.Random(seed)
        self.trial = trial
        self.results: list[Prediction] = []

    def _emit(self, pred: Prediction) -> None:
        self.writer.write(pred)
        self.results.append(pred)
        self.progress.done += 1
        if pred.status == "backend_error":
            self.progress.backend_errors += 1
        elif pred.status == "parse_error":
            self.progress.parse_errors += 1
        if self.on_progress:
            self.on_progress(self.progress)

    async def run_batch(self, batch: Sequence[Task], sem: asyncio.Semaphore) -> None:
        pending = list(batch)
        attempt = 0
        while pending:
            attempt += 1
            retry_after: float | None = None
            async with sem:
                start = time.perf_counter()  # time in the backend, not in the queue
                try:
                    responses = await self.backend.generate(pending)
                    if len(responses) != len(pending):
                        raise BackendError(
                            f"backend returned {len(responses)} answers for {len(pending)} tasks",
                            retryable=False,
                        )
                except BackendError as exc:
                    responses = [
                        BackendResponse(
                            error=str(exc), retryable=exc.retryable, retry_after=exc.retry_after
                        )
                        for _ in pending
                    ]
                except Exception as exc:  # a backend bug must not kill the run
                    msg = f"{type(exc).__name__}: {exc}"
                    responses = [BackendResponse(error=msg, retryable=True) for _ in pending]
                latency = (time.perf_counter() - start) / max(len(pending), 1)
            failed: list[Task] = []
            for task, resp in zip(pending, responses, strict=True):
                if resp.error is not None and resp.retryable and attempt <= self.retry.max_retries:
                    failed.append(task)
                    if resp.retry_after is not None:
                        retry_after = max(retry_after or 0.0, resp.retry_after)
                        self.progress.throttled += 1
                    continue
                self._emit(to_prediction(task, resp, latency, attempt, self.trial))
            pending = failed
            if pending:
                self.progress.retries += len(pending)
                if self.on_progress:
                    self.on_progress(self.progress)
                await asyncio.sleep(self.retry.delay(attempt, retry_after, self.rng))


async def run_tasks(
    backend: Backend,
    tasks: Sequence[Task],
    writer: JsonlAppender,
    *,
    concurrency: int = 8,
    retry: RetryPolicy | None = None,
    progress: Progress | None = None,
    on_progress: ProgressCallback | None = None,
    seed: int = 0,
    trial: int = 0,
) -> list[Prediction]:
    """Answer ``tasks`` with ``backend`` and append each prediction to ``writer``."""
    limit = max(1, concurrency)
    if backend.max_concurrency is not None:
        limit = min(limit, backend.max_concurrency)
    sem = asyncio.Semaphore(limit)
    prog = progress or Progress(total=len(tasks))
    ex = _Executor(backend, writer, prog, on_progress, retry or RetryPolicy(), seed, trial)
    size = max(1, backend.batch_size)
    batches = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    with _frozen_heap():
        await asyncio.gather(*(ex.run_batch(b, sem) for b in batches))
    return ex.results


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the cycle collector off the objects that exist before a run starts.

    The suite, the imported libraries and a loaded model are alive for the whole run, yet every
    full collection walks them all: with a few thousand tasks in memory each pass stalls the event
    loop for ~0.1 s, and every request in flight waits (measured with
    ``benchmarks/openai_throughput.py``: the stalls cost about 6 % of the wall time at C = 64).
    ``gc.freeze`` moves them to a generation the collector skips; objects made during the run are
    still collected as usual, and ``gc.unfreeze`` hands the old ones back at the end.
    """
    if gc.get_freeze_count():  # nested, or frozen by the embedding program: leave it as it is
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def score_predictions(
    suite: Suite, tasks: Sequence[Task], predictions: Sequence[Prediction]
) -> dict[str, Any]:
    """Score predictions with the suite's scorer (first prediction per id counts)."""
    by_id: dict[str, Prediction] = {}
    for p in predictions:
        by_id.setdefault(p.id, p)
    scorer = get_scorer(suite.info.scorer)
    return scorer(suite, tasks, by_id)


def evaluate(
    suite: Suite,
    backend: Backend,
    *,
    out_dir: str | Path,
    backend_spec: str | None = None,
    split: str | None = None,
    modes: Sequence[str] | None = None,
    limit: int | None = None,
    no_context: bool = False,
    concurrency: int = 8,
    resume: bool = False,
    seed: int = 0,
    retry: RetryPolicy | None = None,
    on_progress: ProgressCallback | None = None,
    extra_config: dict[str, Any] | None = None,
    fsync_interval: float | None = 1.0,
) -> RunResult:
    """Run ``backend`` on a suite's tasks into ``out_dir`` and score the predictions.

    Args:
        suite: the suite to run.
        backend: a backend (see :func:`petool.backends.registry.make_backend`).
        out_dir: the run directory (created if needed).
        backend_spec: the spec string recorded in config.json (defaults to backend.name).
        split: which split to run (default: the suite's default split).
        modes: only tasks whose history mode is among these.
        limit: only the first ``limit`` selected tasks.
        no_context: drop history, profile and environment from every task (ablation).
        concurrency: how many backend calls may be in flight at once.
        resume: continue a run directory that already has predictions.
        seed: the seed for the backend's sampler and for retry jitter.
        retry: the retry policy for backend failures.
        on_progress: called after each finished task with the progress counters.
        extra_config: further keys to record in config.json.
        fsync_interval: seconds between forced disk syncs of predictions.jsonl (every line is
            flushed at once either way, so a killed run loses nothing).

    Returns:
        The run directory, the metrics and the predictions of the selected tasks.
    """
    out = Path(out_dir)
    split = split if split is not None else suite.info.default_split
    tasks = select_tasks(suite, split=split, modes=modes, limit=limit, no_context=no_context)
    config: dict[str, Any] = {
        "petool_version": petool.__version__,
        "suite": suite.name,
        "suite_hash": suite_hash(suite),
        "scorer": suite.info.scorer,
        "split": split,
        "modes": list(modes) if modes else None,
        "limit": limit,
        "no_context": no_context,
        "backend": backend_spec or backend.name,
        "concurrency": concurrency,
        "seed": seed,
        "n_tasks": len(tasks),
        **(extra_config or {}),
    }
    _check_run_dir(out, config, resume)
    backend.setup(suite)  # before config(): a backend may take settings from the suite
    config["backend_config"] = backend.config()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / CONFIG, config)
    pred_path = out / PREDICTIONS
    done = _prepare_resume(pred_path) if resume else {}
    pending = [t for t in tasks if t.id not in done]
    progress = Progress(total=len(tasks), done=len(tasks) - len(pending))
    progress.resumed = progress.done
    if on_progress:
        on_progress(progress)
    started = time.perf_counter()

    finished: list[Prediction] = []

    async def _go() -> None:
        try:
            with JsonlAppender(pred_path, fsync_interval=fsync_interval) as writer:
                finished[:] = await run_tasks(
                    backend,
                    pending,
                    writer,
                    concurrency=concurrency,
                    retry=retry,
                    progress=progress,
                    on_progress=on_progress,
                    seed=seed,
                )
        finally:
            await backend.aclose()

    asyncio.run(_go())
    wall = time.perf_counter() - started
    # the file's content, without reading it back: what resume kept, then what was appended
    wanted = {t.id for t in tasks}
    predictions = [*(p for p in done.values() if p.id in wanted), *finished]
    metrics = build_metrics(suite, tasks, predictions, backend_spec or backend.name)
    metrics["run"] = {"wall_s": round(wall, 3), "resumed": progress.resumed, "split": split}
    write_json(out / METRICS, metrics)
    return RunResult(out_dir=out, metrics=metrics, predictions=predictions)


def build_metrics(
    suite: Suite, tasks: Sequence[Task], predictions: Sequence[Prediction], backend: str
) -> dict[str, Any]:
    """The metrics.json object: suite, backend, n, the scorer's output, usage totals."""
    scored = score_predictions(suite, tasks, predictions)
    usage = {
        "prompt_tokens": sum(p.usage.prompt_tokens for p in predictions),
        "completion_tokens": sum(p.usage.completion_tokens for p in predictions),
        "cost": round(sum(p.usage.cost for p in predictions), 6),
    }
    latencies = sorted(p.latency_s for p in predictions)
    timing = {
        "mean_latency_s": round(sum(latencies) / len(latencies), 6) if latencies else 0.0,
        "median_latency_s": round(latencies[len(latencies) // 2], 6) if latencies else 0.0,
    }
    return {"suite": suite.name, "backend": backend, **scored, "usage": usage, "timing": timing}


def score(
    suite: Suite,
    predictions: Sequence[Prediction] | str | Path,
    *,
    split: str | None = None,
    modes: Sequence[str] | None = None,
    backend: str = "unknown",
) -> dict[str, Any]:
    """Score predictions (objects or a predictions.jsonl path) against a suite's split."""
    preds = load_predictions(predictions) if isinstance(predictions, str | Path) else predictions
    tasks = select_tasks(suite, split=split or suite.info.default_split, modes=modes)
    wanted = {t.id for t in tasks}
    return build_metrics(suite, tasks, [p for p in preds if p.id in wanted], backend)
