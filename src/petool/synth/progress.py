"""Progress bars per synthesis stage (Rich, on stderr), and stage timings.

:class:`RichProgress` shows one bar per stage with its counters (cached answers, retries,
fallbacks for LLM stages); :class:`StageTimer` records how long each stage took (the
benchmark uses it). Both are progress factories for :func:`petool.synth.pipeline.run_pipeline`.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from petool.synth.llm import StageProgress


class _RichStage:
    def __init__(self, bar: Progress, handle: TaskID):
        self._bar = bar
        self._handle = handle

    def advance(self, n: int = 1, **status: Any) -> None:
        text = " · ".join(f"{k} {v}" for k, v in status.items() if v)
        self._bar.update(self._handle, advance=n, status=text)

    def close(self) -> None:
        task = self._bar.tasks[self._handle]
        total = task.total if task.total is not None else task.completed
        self._bar.update(self._handle, total=total, completed=total)


class RichProgress:
    """One Rich progress bar per stage; use as a context manager around the run."""

    def __init__(self, console: Console | None = None):
        self.bar = Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )

    def __call__(self, stage: str, total: int | None) -> StageProgress:
        """A new bar for ``stage``."""
        return _RichStage(self.bar, self.bar.add_task(stage, total=total, status=""))

    def __enter__(self) -> RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


class _TimedStage:
    def __init__(self, timer: StageTimer, stage: str):
        self._timer = timer
        self._stage = stage
        self._start = time.perf_counter()
        self.done = 0

    def advance(self, n: int = 1, **status: Any) -> None:
        self.done += n

    def close(self) -> None:
        seconds = time.perf_counter() - self._start
        self._timer.seconds[self._stage] = self._timer.seconds.get(self._stage, 0.0) + seconds


class StageTimer:
    """A progress factory that records the seconds each stage took."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str, total: int | None) -> StageProgress:
        """Start timing ``stage``."""
        return _TimedStage(self, stage)
