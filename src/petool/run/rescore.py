"""Scoring a run: which tasks it covers, and one :func:`score_run` for every caller.

``evaluate()`` scores the predictions it holds, ``petool score`` and Python users score a
predictions file (petool's own or a benchmark's native output) — all through
:func:`score_run`, so a rescored run gives the metrics.json its run wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.run.health import DEFAULT_MAX_ERROR_RATE, run_health
from petool.run.record import Metrics, RunConfig, RunInfo, Timing, UsageTotals
from petool.run.results import write_results
from petool.run.rundir import RunDir
from petool.schema import ALL_SPLITS, NO_MODE, Prediction, Suite, Task
from petool.scoring.registry import get_scorer


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
        tasks = [t for t in tasks if (t.mode or NO_MODE) in modes]
    if limit is not None:
        tasks = tasks[:limit]
    if no_context:
        tasks = [t.without_context() for t in tasks]
    return tasks


def no_task_message(suite: Suite, split: str | None, modes: Sequence[str] | None) -> str:
    """The one line for a selection that matches no task (which modes the split has)."""
    have = sorted({t.mode or NO_MODE for t in suite.split(split)})
    chosen = f" and --mode {','.join(modes)}" if modes else ""
    return (
        f"suite '{suite.name}': no task matches split '{split}'{chosen}"
        f" (the split's tasks have history modes: {', '.join(have) or 'none'})"
    )


def suite_hash(suite: Suite) -> str:
    """A content hash of the suite (tools and tasks), recorded in config.json."""
    h = hashlib.sha256()
    h.update(suite.info.model_dump_json().encode())
    for tool in suite.tools:
        h.update(tool.model_dump_json().encode())
    for task in suite.tasks:
        h.update(task.model_dump_json().encode())
    return h.hexdigest()[:16]


def score_predictions(
    suite: Suite, tasks: Sequence[Task], predictions: Sequence[Prediction]
) -> dict[str, Any]:
    """The suite's scorer on predictions (the first prediction of an id counts)."""
    by_id: dict[str, Prediction] = {}
    for p in predictions:
        by_id.setdefault(p.id, p)
    return get_scorer(suite.info.scorer)(suite, tasks, by_id)


def totals(predictions: Sequence[Prediction]) -> tuple[UsageTotals, Timing]:
    """Tokens, cost and latency summed over ``predictions``."""
    usage = UsageTotals(
        prompt_tokens=sum(p.usage.prompt_tokens for p in predictions),
        completion_tokens=sum(p.usage.completion_tokens for p in predictions),
        cost=round(sum(p.usage.cost for p in predictions), 6),
    )
    latencies = sorted(p.latency_s for p in predictions)
    timing = Timing(
        mean_latency_s=round(sum(latencies) / len(latencies), 6) if latencies else 0.0,
        median_latency_s=round(latencies[len(latencies) // 2], 6) if latencies else 0.0,
    )
    return usage, timing


def score_run(
    suite: Suite,
    tasks: Sequence[Task],
    predictions: Sequence[Prediction],
    *,
    backend: str,
    run: RunInfo | None = None,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    stopped_early: str | None = None,
) -> Metrics:
    """Metrics of ``predictions`` on ``tasks``: the scorer's output, usage and timing totals.

    Predictions of tasks outside ``tasks`` are left out; a task without a prediction is scored
    as missing (wrong), never skipped.
    """
    wanted = {t.id for t in tasks}
    chosen = [p for p in predictions if p.id in wanted]
    scored = score_predictions(suite, tasks, chosen)
    usage, timing = totals(chosen)
    health = run_health(tasks, chosen, max_error_rate=max_error_rate, stopped_early=stopped_early)
    head = {"suite": suite.name, "backend": backend, "status": health.status}
    tail = {"usage": usage, "timing": timing, "health": health}
    return Metrics.model_validate(head | scored | tail | ({"run": run} if run is not None else {}))


def score(
    suite: Suite,
    predictions: Sequence[Prediction] | str | Path,
    *,
    split: str | None = None,
    modes: Sequence[str] | None = None,
    backend: str = "unknown",
) -> dict[str, Any]:
    """Score predictions (objects or a predictions.jsonl path) against a suite's split.

    Returns:
        The metrics.json object.
    """
    if isinstance(predictions, str | Path):
        from petool.suites.native import read_petool_predictions

        preds: Sequence[Prediction] = read_petool_predictions(predictions)
    else:
        preds = predictions
    tasks = select_tasks(suite, split=split or suite.info.default_split, modes=modes)
    return score_run(suite, tasks, preds, backend=backend).to_dict()


def rescore_file(
    suite: Suite,
    path: str | Path,
    *,
    split: str | None = None,
    modes: Sequence[str] | None = None,
    results_to: str | Path | None = None,
) -> Metrics:
    """``petool score``: score a predictions.jsonl or a benchmark's native output file.

    ``results_to``: where to write the per-task results.jsonl (default: beside a
    predictions.jsonl that lies in a run directory; elsewhere only when asked).

    A config.json beside a predictions.jsonl selects the tasks as the run did (split, modes,
    limit, no-context); a native file may imply its own modes or split; options given here win.

    Raises:
        InputError: the file is unreadable, or names a task the suite does not have.
    """
    from petool.suites.native import read_any_predictions

    p = Path(path)
    native = read_any_predictions(
        suite, p, mode=modes[0] if modes and len(modes) == 1 else None, split=split
    )
    config: RunConfig | None = None
    if native.kind == "petool":
        config = RunDir(p.parent).read_config()
    chosen_split = (
        split or native.split or (config.split if config else None) or suite.info.default_split
    )
    chosen_modes = modes or native.modes or (config.modes if config else None)
    tasks = select_tasks(
        suite,
        split=chosen_split,
        modes=chosen_modes,
        limit=config.limit if config else None,
        no_context=config.no_context if config else False,
    )
    if not tasks:
        raise InputError(no_task_message(suite, chosen_split, chosen_modes))
    known = {t.id for t in suite.tasks}
    unknown = [pred.id for pred in native.predictions if pred.id not in known]
    if unknown:
        raise InputError(f"{p}: field 'id': '{unknown[0]}' is not a task of suite '{suite.name}'")
    backend = config.backend if config else p.stem
    trials = config.trials if config else 1
    if config is not None and config.transforms.active:  # the suite the run saw
        from petool.suites.transforms import apply_transforms

        suite, tasks = apply_transforms(suite, tasks, config.transforms, config.seed)
    if trials > 1:
        from petool.run.trials import score_trials, trial_seeds

        metrics = score_trials(
            suite,
            tasks,
            list(native.predictions),
            backend,
            None,
            trial_seeds(config.seed if config else 0, trials),
            DEFAULT_MAX_ERROR_RATE,
            None,
        )
    else:
        metrics = score_run(suite, tasks, native.predictions, backend=backend)
    if results_to is None and config is not None:
        results_to = RunDir(p.parent).results_path
    if results_to is not None:
        write_results(results_to, suite, tasks, native.predictions, trials=trials)
    return metrics


def score_named(
    suite: str,
    data: str | Path | None,
    path: str | Path,
    *,
    split: str | None = None,
    modes: Sequence[str] | None = None,
    results_to: str | Path | None = None,
) -> dict[str, Any]:
    """``petool score`` by suite name: :func:`rescore_file` on the loaded suite, or — when the
    suite's data is not there and the benchmark registered a standalone scorer — its native
    results file scored on its own (PEToolBench's calculate_scores: its own gold, its own
    length). Returns the metrics.json object."""
    from petool.errors import DataMissingError
    from petool.suites.native import standalone_scorers
    from petool.suites.registry import load_suite

    try:
        loaded = load_suite(suite, data)
    except DataMissingError:
        alone = standalone_scorers.find(suite)
        if alone is None:
            raise
        one_mode = modes[0] if modes and len(modes) == 1 else None
        return {"suite": suite, "backend": Path(path).name, **alone(Path(path), one_mode)}
    scored = rescore_file(loaded, path, split=split, modes=modes, results_to=results_to)
    return scored.to_dict()
