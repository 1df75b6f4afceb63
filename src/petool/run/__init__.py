"""Runs: the typed run record, execution with resume, and one way to score a run.

* :mod:`petool.run.record` — ``RunConfig``, ``Metrics``, ``RunRecord`` (config.json,
  metrics.json, a run read back);
* :mod:`petool.run.rundir` — the run directory on disk and resume;
* :mod:`petool.run.execute` — :func:`evaluate`: concurrency, retries, one writer;
* :mod:`petool.run.rescore` — task selection and :func:`score_run`, used by ``evaluate``,
  ``petool score`` and Python users alike.
"""

from petool.run.execute import Progress, RetryPolicy, evaluate, run_tasks, to_prediction
from petool.run.record import Metrics, RunConfig, RunInfo, RunRecord
from petool.run.rescore import rescore_file, score, score_run, select_tasks, suite_hash
from petool.run.rundir import RunDir, load_predictions

__all__ = [
    "Metrics",
    "Progress",
    "RetryPolicy",
    "RunConfig",
    "RunDir",
    "RunInfo",
    "RunRecord",
    "evaluate",
    "load_predictions",
    "rescore_file",
    "run_tasks",
    "score",
    "score_run",
    "select_tasks",
    "suite_hash",
    "to_prediction",
]
