"""The run directory on disk: where each file lives, checks before a run, resume.

A run can be killed at any moment: :meth:`RunDir.prepare_resume` cuts a torn last line, keeps
every finished prediction, drops recorded backend errors (so they are tried again) and
returns what is done; the runner then answers only what is missing.
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
from petool.run.record import CONFIG, METRICS, PREDICTIONS, Metrics, RunConfig
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
        """Whether the directory holds a run (its config.json)."""
        return self.config_path.is_file()

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

    def prepare_resume(self) -> dict[str, Prediction]:
        """Repair the file, keep finished predictions, drop backend errors so they rerun."""
        if not self.predictions_path.exists():
            return {}
        repair_torn_tail(self.predictions_path)
        kept: dict[str, Prediction] = {}
        dropped = False
        for pred in load_predictions(self.predictions_path):
            if pred.status == "backend_error":
                dropped = True
                continue
            if pred.id in kept:
                dropped = True  # a duplicate can only come from a foreign writer: keep the first
                continue
            kept[pred.id] = pred
        if dropped:
            write_jsonl(self.predictions_path, kept.values())
        return kept
