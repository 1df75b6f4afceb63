"""Running a backend over a suite's tasks into a run directory: :func:`evaluate`.

Tasks go to the backend in batches with bounded concurrency; a failure is retried with the
:class:`RetryPolicy` (the server's ``Retry-After`` taken at its word, else exponential backoff
with seeded jitter), then recorded as a ``backend_error`` prediction — it never stops the run.
Each prediction is appended to ``predictions.jsonl`` by a single writer as soon as it is
finished (flushed per line, fsynced at least once a second), so a run killed at any moment
resumes without losing or repeating one (:meth:`petool.run.rundir.RunDir.prepare_resume`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import petool
from petool.backends.base import Backend, BackendResponse
from petool.backends.sampling import reseed
from petool.errors import BackendError, InputError
from petool.io import JsonlAppender
from petool.parsing import parse_output
from petool.retry import RetryPolicy
from petool.run.budget import CostGuard
from petool.run.health import DEFAULT_MAX_ERROR_RATE, FailureWatch
from petool.run.record import RunConfig, RunInfo, RunRecord
from petool.run.rescore import no_task_message, select_tasks, suite_hash
from petool.run.results import write_results
from petool.run.rundir import RunDir
from petool.run.trials import score_trials, trial_seeds
from petool.schema import Prediction, Suite, Task
from petool.suites.transforms import SuiteTransforms, apply_transforms


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
    stopped_early: str | None = None  # the cause, when the first calls all failed for good
    cost_stopped: str | None = None  # why, when --cost-limit stopped the run
    trial: int = 0  # the trial being run (of --trials K)


ProgressCallback = Callable[[Progress], None]


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
        explanation=response.explanation,
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
        guard: CostGuard | None = None,
    ):
        self.backend = backend
        self.writer = writer
        self.progress = progress
        self.on_progress = on_progress
        self.retry = retry
        self.rng = random.Random(seed)
        self.trial = trial
        self.guard = guard
        self.results: list[Prediction] = []
        self.watch = FailureWatch()

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
        last: list[BackendResponse] = []
        latency = 0.0
        while pending:
            attempt += 1
            retry_after: float | None = None
            async with sem:
                if self.watch.tripped:  # the first calls all failed for good: ask no more
                    for task, resp in zip(pending, last, strict=False):  # record what was tried
                        self._emit(to_prediction(task, resp, latency, attempt - 1, self.trial))
                    return
                estimate = 0.0
                if self.guard is not None:
                    reserved = await self.guard.reserve(len(pending))
                    if reserved is None:  # over the cost limit: these tasks stay missing
                        self.progress.cost_stopped = self.guard.stopped
                        return
                    estimate = reserved
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
                if self.guard is not None:
                    self.guard.settle(estimate, responses)
            if self.watch.armed:
                for resp in responses:
                    self.watch.observe(resp.error)
                if self.watch.tripped:
                    self.progress.stopped_early = self.watch.tripped
            give_up = attempt > self.retry.max_retries or self.watch.tripped is not None
            failed: list[Task] = []
            last = []
            for task, resp in zip(pending, responses, strict=True):
                if resp.error is not None and resp.retryable and not give_up:
                    failed.append(task)
                    last.append(resp)
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
    guard: CostGuard | None = None,
) -> list[Prediction]:
    """Answer ``tasks`` with ``backend`` and append each prediction to ``writer``.

    ``guard``: the run's cost limit (a batch it refuses is not sent; its tasks stay missing).
    """
    limit = max(1, concurrency)
    if backend.max_concurrency is not None:
        limit = min(limit, backend.max_concurrency)
    sem = asyncio.Semaphore(limit)
    prog = progress or Progress(total=len(tasks))
    ex = _Executor(backend, writer, prog, on_progress, retry or RetryPolicy(), seed, trial, guard)
    size = max(1, backend.batch_size)
    first = 1 if guard is not None and guard.per_task is None else 0  # one task prices a call
    batches = [tasks[:first]] if first else []
    batches += [tasks[i : i + size] for i in range(first, len(tasks), size)]
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
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    overwrite: bool = False,
    trials: int = 1,
    transforms: SuiteTransforms | None = None,
    cost_limit: float | None = None,
) -> RunRecord:
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
        max_error_rate: a share of backend errors above this makes the run ``failed``
            (``metrics.status``); so does a run in which no task got an answer.
        overwrite: replace a non-empty ``out_dir`` whole (without it, a directory that is not
            a run directory, or a run that has predictions, is refused).
        trials: run every task this many times, trial ``t`` with seed ``seed + t``
            (:mod:`petool.run.trials`); metrics.json then holds the means and ``trials``.
        transforms: the suite transforms of the run (:mod:`petool.suites.transforms`),
            applied to the selected tasks and the toolset, recorded in config.json.
        cost_limit: US dollars the run may spend (:mod:`petool.run.budget`); a run stopped by it
            is ``partial`` with ``run.stopped`` said, and resumable.

    Returns:
        The run record: directory, config, metrics and the predictions of the selected tasks.
    """
    rundir = RunDir(out_dir)
    split = split if split is not None else suite.info.default_split
    tasks = select_tasks(suite, split=split, modes=modes, limit=limit, no_context=no_context)
    if not tasks:
        raise InputError(no_task_message(suite, split, modes))
    if trials < 1:
        raise InputError(f"--trials: expected at least 1, got {trials}")
    transforms = transforms or SuiteTransforms()
    data_hash = suite_hash(suite)  # of the data as loaded; the transforms are recorded apart
    suite, tasks = apply_transforms(suite, tasks, transforms, seed)
    spec = backend_spec or backend.name
    config = RunConfig.model_validate(
        {
            "petool_version": petool.__version__,
            "suite": suite.name,
            "suite_hash": data_hash,
            "scorer": suite.info.scorer,
            "split": split,
            "modes": list(modes) if modes else None,
            "limit": limit,
            "no_context": no_context,
            "backend": spec,
            "concurrency": concurrency,
            "seed": seed,
            "n_tasks": len(tasks),
            "suite_warnings": len(suite.load_warnings),
            "suite_warning_examples": suite.load_warnings[:20],
            "trials": trials,
            "transforms": transforms,
            "cost_limit": cost_limit,
            **(extra_config or {}),
        }
    )
    rundir.check(config, resume, overwrite)
    fresh = not rundir.path.exists()
    with rundir.lock() as lock:
        try:
            return _run(
                suite,
                backend,
                tasks,
                rundir,
                config,
                resume=resume,
                retry=retry,
                on_progress=on_progress,
                fsync_interval=fsync_interval,
                max_error_rate=max_error_rate,
            )
        except BaseException:
            if fresh and not rundir.config_path.exists():  # nothing written: leave nothing
                lock.release()
                shutil.rmtree(rundir.path, ignore_errors=True)
            raise


def _run(
    suite: Suite,
    backend: Backend,
    tasks: list[Task],
    rundir: RunDir,
    config: RunConfig,
    *,
    resume: bool,
    retry: RetryPolicy | None,
    on_progress: ProgressCallback | None,
    fsync_interval: float | None,
    max_error_rate: float,
) -> RunRecord:
    """The run itself, under the directory's writer lock (settings from ``config``)."""
    split, spec = config.split, config.backend
    concurrency, seeds = config.concurrency, trial_seeds(config.seed, config.trials)
    done = rundir.prepare_resume() if resume else {}
    wanted = {t.id for t in tasks}
    kept = {key: p for key, p in done.items() if key[0] in wanted and key[1] < len(seeds)}
    pending = [[t for t in tasks if (t.id, trial) not in kept] for trial in range(len(seeds))]
    old = rundir.read_config() if resume and not any(pending) else None
    if old is not None:  # a finished run resumed: nothing to ask, no model to load
        config.backend_config = old.backend_config
    else:
        backend.setup(suite)  # before config(): a backend may take settings from the suite
        config.backend_config = backend.config()
    rundir.write_config(config)
    progress = Progress(total=len(tasks) * len(seeds), done=len(kept))
    progress.resumed = progress.done
    if on_progress:
        on_progress(progress)
    started = time.perf_counter()
    finished: list[Prediction] = []
    guard = None
    if config.cost_limit is not None:
        guard = CostGuard(config.cost_limit, spent=sum(p.usage.cost for p in kept.values()))

    async def _go() -> None:
        if old is not None:
            return
        try:
            with JsonlAppender(rundir.predictions_path, fsync_interval=fsync_interval) as writer:
                for trial, trial_seed in enumerate(seeds):
                    if not pending[trial]:
                        continue
                    if len(seeds) > 1:
                        reseed(backend, trial_seed)
                    progress.trial = trial
                    finished.extend(
                        await run_tasks(
                            backend,
                            pending[trial],
                            writer,
                            concurrency=concurrency,
                            retry=retry,
                            progress=progress,
                            on_progress=on_progress,
                            seed=trial_seed,
                            trial=trial,
                            guard=guard,
                        )
                    )
                    if progress.stopped_early or progress.cost_stopped:
                        break
        finally:
            await backend.aclose()

    asyncio.run(_go())
    wall = time.perf_counter() - started
    # the file's content, without reading it back: what resume kept, then what was appended
    predictions = [*kept.values(), *finished]
    info = RunInfo(
        wall_s=round(wall, 3),
        resumed=progress.resumed,
        split=split,
        stopped=progress.cost_stopped,
    )
    metrics = score_trials(
        suite, tasks, predictions, spec, info, seeds, max_error_rate, progress.stopped_early
    )
    rundir.write_metrics(metrics)
    write_results(rundir.results_path, suite, tasks, predictions, trials=len(seeds))
    return RunRecord(out_dir=rundir.path, config=config, metrics=metrics, predictions=predictions)
