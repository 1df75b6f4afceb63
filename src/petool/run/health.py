"""Run health: whether a run's numbers can be trusted, and why a backend failed.

A run is

* ``complete`` — every selected task has an answer that is not a backend error;
* ``partial`` — some tasks have none (a backend error below the limit, a stopped run);
* ``failed`` — no task got an answer from the backend, or the share of backend errors passes
  ``max_error_rate`` (default 0.5). ``petool eval`` exits 1 on a failed run, after writing its
  files, with one line naming the most frequent cause.

:class:`FailureWatch` stops a run early when its first calls all fail with one cause that
retrying cannot fix (authentication, a name that does not resolve, a refused connection, an
unknown model) instead of retrying every task against a dead server.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from petool.schema import Prediction, Task

RunStatus = Literal["complete", "partial", "failed"]
DEFAULT_MAX_ERROR_RATE = 0.5
EARLY_STOP_CALLS = 16

#: (cause, pattern over the backend's error message, retrying can fix it)
_CAUSES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("authentication failed (HTTP 401/403)", re.compile(r"\bHTTP 40[13]\b"), False),
    ("model or endpoint not found (HTTP 404)", re.compile(r"\bHTTP 404\b"), False),
    (
        "host name does not resolve (DNS)",
        re.compile(
            r"Name or service not known|nodename nor servname|getaddrinfo failed"
            r"|Temporary failure in name resolution|No address associated|gaierror",
            re.I,
        ),
        False,
    ),
    (
        "connection refused",
        re.compile(r"Connection refused|Cannot connect to host|ECONNREFUSED|ConnectError", re.I),
        False,
    ),
    ("timeout", re.compile(r"\btime(?:d )?out\b", re.I), True),
    ("rate limited (HTTP 429)", re.compile(r"\bHTTP 429\b"), True),
    ("server error (HTTP 5xx)", re.compile(r"\bHTTP 5\d\d\b"), True),
    ("malformed response", re.compile(r"^malformed response"), True),
)


def error_cause(message: str | None) -> str:
    """A short name for what a backend error message says went wrong."""
    text = message or "unknown error"
    for cause, pattern, _ in _CAUSES:
        if pattern.search(text):
            return cause
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return first[:80]


def unfixable(cause: str) -> bool:
    """Whether retrying cannot help with ``cause`` (it will fail the same way every time)."""
    return any(name == cause and not fixable for name, _, fixable in _CAUSES)


class FailureWatch:
    """Watches a run's first calls: trips when the first ``calls`` all failed with one cause
    that retrying cannot fix; disarms at the first answer."""

    def __init__(self, calls: int = EARLY_STOP_CALLS) -> None:
        self.calls = calls
        self.seen = 0
        self.causes: Counter[str] = Counter()
        self.armed = True
        self.tripped: str | None = None

    def observe(self, error: str | None) -> None:
        """Count one call's outcome (``None``: the backend answered)."""
        if not self.armed:
            return
        if error is None:
            self.armed = False
            return
        self.seen += 1
        self.causes[error_cause(error)] += 1
        if self.seen >= self.calls:
            self.armed = False
            cause, count = self.causes.most_common(1)[0]
            if count == self.seen and unfixable(cause):
                self.tripped = cause


class RunHealth(BaseModel):
    """metrics.json ``health``: the run's status and its error counts."""

    status: RunStatus
    n: int
    answered: int = Field(description="tasks with an answer that is not a backend error")
    backend_errors: int = 0
    parse_errors: int = 0
    missing: int = 0
    errors_by_cause: dict[str, int] = Field(default_factory=dict)
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    stopped_early: str | None = Field(default=None, description="the cause, if stopped early")

    def failure_line(self) -> str:
        """One line saying why the run failed (or is partial)."""
        if self.errors_by_cause:
            cause, count = next(iter(self.errors_by_cause.items()))
            most = f"most often '{cause}' ({count} {'task' if count == 1 else 'tasks'})"
        else:
            most = "no backend answered"
        stopped = ", stopped after the first calls all failed so" if self.stopped_early else ""
        return (
            f"{self.backend_errors} of {self.n} tasks ended in a backend error, {most}"
            f"{stopped}; {self.missing} not run"
        )


def run_health(
    tasks: Sequence[Task],
    predictions: Sequence[Prediction],
    *,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    stopped_early: str | None = None,
) -> RunHealth:
    """The health of predictions on ``tasks`` (the first prediction of an id counts)."""
    by_id: dict[str, Prediction] = {}
    for p in predictions:
        by_id.setdefault(p.id, p)
    chosen = [by_id[t.id] for t in tasks if t.id in by_id]
    errors = [p for p in chosen if p.status == "backend_error"]
    causes = Counter(error_cause(p.error) for p in errors)
    n = len(tasks)
    answered = len(chosen) - len(errors)
    status: RunStatus = "complete"
    if n and (answered == 0 or len(errors) / n > max_error_rate):
        status = "failed"
    elif answered < n:
        status = "partial"
    return RunHealth(
        status=status,
        n=n,
        answered=answered,
        backend_errors=len(errors),
        parse_errors=sum(p.status == "parse_error" for p in chosen),
        missing=n - len(chosen),
        errors_by_cause=dict(causes.most_common()),
        max_error_rate=max_error_rate,
        stopped_early=stopped_early,
    )
