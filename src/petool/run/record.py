"""The run record: the typed contents of a run directory.

A run directory holds

* ``config.json`` — :class:`RunConfig`: everything needed to reproduce the run;
* ``predictions.jsonl`` — one :class:`~petool.schema.Prediction` per finished task
  (append-only, the resume point);
* ``metrics.json`` — :class:`Metrics`: the suite's scorer output plus usage, timing, health
  and the run's own facts;
* ``results.jsonl`` — one :class:`~petool.run.results.ResultRow` per task: gold, prediction,
  every verdict (see :mod:`petool.run.results`).

Everything downstream (``petool score``, the terminal table, reports, comparisons, the
service) reads a run through :class:`RunRecord`, never through loose dicts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from petool.run.health import RunHealth, RunStatus
from petool.schema import HistoryMode, Prediction
from petool.suites.transforms import SuiteTransforms

CONFIG = "config.json"
PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"
RESULTS = "results.jsonl"


class RunConfig(BaseModel):
    """``config.json``: what was run, on what, with which settings.

    Keys a caller adds through ``evaluate(extra_config=...)`` (a training stage records its
    adapter, for example) are kept as further fields.
    """

    model_config = ConfigDict(extra="allow")

    petool_version: str
    suite: str
    suite_hash: str
    scorer: str
    split: str | None = None
    modes: list[HistoryMode] | None = None
    limit: int | None = Field(default=None, ge=1)
    no_context: bool = False
    backend: str
    concurrency: int = Field(default=8, ge=1)
    seed: int = 0
    n_tasks: int = Field(default=0, ge=0)
    backend_config: dict[str, Any] = Field(default_factory=dict)
    suite_warnings: int = Field(default=0, ge=0, description="problems a --lenient load let by")
    suite_warning_examples: list[str] = Field(default_factory=list)
    trials: int = Field(default=1, ge=1, description="each task is run this many times")
    transforms: SuiteTransforms = Field(default_factory=SuiteTransforms)
    cost_limit: float | None = Field(default=None, ge=0, description="US dollars; None: none")

    #: the fields that must agree for ``--resume`` to continue a run directory
    RESUME_KEYS: ClassVar[tuple[str, ...]] = (
        "suite",
        "transforms",
        "suite_hash",
        "backend",
        "split",
        "modes",
        "limit",
        "no_context",
        "trials",
    )


class UsageTotals(BaseModel):
    """Tokens and cost summed over a run's predictions."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


class Timing(BaseModel):
    """Backend latency per task over a run's predictions."""

    mean_latency_s: float = 0.0
    median_latency_s: float = 0.0


class RunInfo(BaseModel):
    """Facts of one execution (absent when predictions were only rescored)."""

    wall_s: float
    resumed: int = 0
    split: str | None = None
    stopped: str | None = Field(default=None, description="why the run stopped (--cost-limit)")


class TrialSummary(BaseModel):
    """metrics.json ``trials`` of a run with ``--trials K`` (K > 1).

    The scorer's blocks above it hold the mean over trials of every number; ``std`` holds the
    sample standard deviation in the same shape, ``per_trial`` each trial's own blocks.
    """

    k: int = Field(ge=1)
    seeds: list[int]
    std: dict[str, Any] = Field(default_factory=dict)
    per_trial: list[dict[str, Any]] = Field(default_factory=list)


class Metrics(BaseModel):
    """``metrics.json``: the suite's scorer output, plus usage, timing and the run's facts.

    The scorer's own blocks (``overall``, ``by_mode``, a benchmark's ``official`` tables, ...)
    are kept as further fields in the scorer's order; :meth:`to_dict` writes them between the
    header (``suite``, ``backend``) and the totals, as metrics.json has always held them.
    Read it like the JSON object it is: ``metrics["overall"]["tool_accuracy"]``.
    """

    model_config = ConfigDict(extra="allow")

    suite: str
    backend: str
    status: RunStatus | None = None
    usage: UsageTotals = Field(default_factory=UsageTotals)
    timing: Timing = Field(default_factory=Timing)
    health: RunHealth | None = None
    run: RunInfo | None = None
    paper_comparison: list[dict[str, Any]] | None = None
    trials: TrialSummary | None = None

    @property
    def scored(self) -> dict[str, Any]:
        """The scorer's own output, in its order."""
        return dict(self.model_extra or {})

    def to_dict(self) -> dict[str, Any]:
        """The metrics.json object: header, the scorer's blocks, totals, run facts."""
        out: dict[str, Any] = {"suite": self.suite, "backend": self.backend}
        if self.status is not None:
            out["status"] = self.status
        out |= self.scored
        out["usage"] = self.usage.model_dump()
        out["timing"] = self.timing.model_dump()
        if self.health is not None:
            out["health"] = self.health.model_dump()
        if self.run is not None:
            out["run"] = self.run.model_dump(exclude={"stopped"} if not self.run.stopped else None)
        if self.paper_comparison is not None:
            out["paper_comparison"] = self.paper_comparison
        if self.trials is not None:
            out["trials"] = self.trials.model_dump()
        return out

    def __getitem__(self, key: str) -> Any:
        data = self.to_dict()
        if key not in data:
            raise KeyError(key)
        return data[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.to_dict()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict it reads as

    def get(self, key: str, default: Any = None) -> Any:
        """``metrics.get("by_mode", {})`` as on the JSON object."""
        return self.to_dict().get(key, default)

    def keys(self) -> Iterator[str]:
        """The keys of the metrics.json object."""
        return iter(self.to_dict())


class RunRecord(BaseModel):
    """A run directory read back, or a run just finished: config, predictions, metrics."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    out_dir: Path
    config: RunConfig | None = None
    metrics: Metrics
    predictions: list[Prediction] = Field(default_factory=list)

    @classmethod
    def load(cls, out_dir: str | Path) -> RunRecord:
        """Read a finished run directory (errors name the file and the field)."""
        from petool.run.rundir import RunDir

        rd = RunDir(out_dir)
        return cls(
            out_dir=rd.path,
            config=rd.read_config(),
            metrics=rd.read_metrics(),
            predictions=rd.load_predictions(),
        )
