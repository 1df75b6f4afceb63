"""The run directory on disk: where each file lives, checks before a run, resume, one writer.

A run can be killed at any moment: :meth:`RunDir.prepare_resume` cuts a torn last line, keeps
every finished prediction (a line is finished when it is complete: it has its ``status``),
drops recorded backend errors (so they are tried again) and returns what is done; the runner
then answers only what is missing.

A run directory has one writer: :meth:`RunDir.lock` takes an exclusive ``flock`` on
``.petool-run.lock`` for the run's life (the kernel drops it when the process dies, so a
killed run never leaves a stale lock); a second run on the directory stops at once with one
line naming the holder's pid. Temporary files a killed atomic write left are removed then.
"""

from __future__ import annotations

from pathlib import Path

from petool.errors import InputError
from petool.io import (
    claim_output_dir,
    iter_jsonl_raw,
    parse_record,
    read_json_model,
    repair_torn_tail,
    write_json,
    write_jsonl,
)
from petool.run.record import CONFIG, METRICS, PREDICTIONS, RESULTS, Metrics, RunConfig
from petool.schema import Prediction


def load_predictions(path: str | Path) -> list[Prediction]:
    """Read a predictions.jsonl (errors name file and line)."""
    return [
        parse_record(data, Prediction, f"{path}:{lineno}") for lineno, data in iter_jsonl_raw(path)
    ]


class RunDir:
    """One run directory: ``config.json``, ``predictions.jsonl``, ``metrics.json``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config_path = self.path / CONFIG
        self.predictions_path = self.path / PREDICTIONS
        self.metrics_path = self.path / METRICS
        self.results_path = self.path / RESULTS

    def read_config(self) -> RunConfig | None:
        """The run's config, or None when the directory has none."""
        if not self.config_path.exists():
            return None
        return read_json_model(self.config_path, RunConfig)

    def read_metrics(self) -> Metrics:
        """The run's metrics.json."""
        return read_json_model(self.metrics_path, Metrics)

    def load_predictions(self) -> list[Prediction]:
        """Every prediction line of the run (empty when there is no file yet)."""
        if not self.predictions_path.exists():
            return []
        return load_predictions(self.predictions_path)

    def is_run_dir(self) -> bool:
        """Whether the directory holds a run (its config.json, or the lock of one starting)."""
        return self.config_path.is_file() or (self.path / LOCK).is_file()

    def check(self, config: RunConfig, resume: bool, overwrite: bool = False) -> None:
        """Refuse to start over a run's predictions, to write into a directory that is not a
        run's, or to resume with other options (nothing is created here)."""
        pred = self.predictions_path
        if not resume and not overwrite and pred.exists() and pred.stat().st_size > 0:
            raise InputError(
                f"{self.path}: run directory already has predictions; use --resume to"
                " continue it, --out for a new one, or --overwrite to replace it"
            )
        claim_output_dir(
            self.path,
            what="run directory",
            overwrite=overwrite and not resume,
            own=None if overwrite and not resume else (lambda _: self.is_run_dir()),
            create=False,
        )
        if not resume:
            return
        old = self.read_config()
        if old is None:
            return
        for key in RunConfig.RESUME_KEYS:
            was, now = getattr(old, key), getattr(config, key)
            if was != now:
                raise InputError(
                    f"{self.config_path}: field '{key}': run was made with {was!r}, "
                    f"not {now!r}; resume with the same options or use a new --out"
                )

    def write_config(self, config: RunConfig) -> None:
        """Write config.json (creating the directory)."""
        claim_output_dir(self.path, what="run directory", own=lambda _: True)
        write_json(self.config_path, config.model_dump(mode="json"))

    def write_metrics(self, metrics: Metrics) -> None:
        """Write metrics.json."""
        write_json(self.metrics_path, metrics.to_dict())

    def lock(self) -> RunLock:
        """Take the directory's writer lock (creating the directory); see the module docstring.

        Raises:
            InputError: another process holds it.
        """
        claim_output_dir(self.path, what="run directory", own=lambda _: True)
        held = RunLock(self.path / LOCK)
        for stale in self.path.glob(".*.*"):  # atomic_write_text's temp files: .NAME.XXXXXXXX
            if stale.name != LOCK and stale.name.split(".")[1] in _OWN_FILES and stale.is_file():
                stale.unlink(missing_ok=True)
        return held

    def prepare_resume(self) -> dict[tuple[str, int], Prediction]:
        """Repair the file, keep finished predictions, drop backend errors so they rerun.

        Returns the kept predictions by (task id, trial): a ``--trials K`` run resumes the
        missing pairs only.
        """
        if not self.predictions_path.exists():
            return {}
        repair_torn_tail(self.predictions_path)
        kept: dict[tuple[str, int], Prediction] = {}
        dropped = False
        for lineno, data in iter_jsonl_raw(self.predictions_path):
            where = f"{self.predictions_path}:{lineno}"
            if isinstance(data, dict) and "status" not in data:
                dropped = True  # not a finished line (a prediction always records its status)
                continue
            pred = parse_record(data, Prediction, where)
            if pred.status == "backend_error":
                dropped = True
                continue
            if (pred.id, pred.trial) in kept:
                dropped = True  # a duplicate can only come from a foreign writer: keep the first
                continue
            kept[pred.id, pred.trial] = pred
        if dropped:
            write_jsonl(self.predictions_path, kept.values())
        return kept


LOCK = ".petool-run.lock"
_OWN_FILES = {"config", "metrics", "predictions", "results"}


class RunLock:
    """An exclusive, process-lifetime lock on a run directory (``fcntl.flock``)."""

    def __init__(self, path: Path) -> None:
        import fcntl
        import os

        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(self._fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(self._fd)
            raise InputError(
                f"{path.parent}: another run is writing this run directory (pid {holder});"
                " wait for it, or use another --out"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Let go of the lock (closing the descriptor drops it)."""
        import os

        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
