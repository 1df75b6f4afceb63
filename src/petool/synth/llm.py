"""LLM calls of the synthesis stages: JSON-answer prompts, concurrency, retries, disk cache.

A stage hands :meth:`SynthLLM.run` a list of :class:`LLMRequest` (a system prompt and a JSON
payload, sent after a ``## Request`` heading) and a parser for the JSON object the model
answers. Requests go through any petool backend (``openai:MODEL`` with ``--base-url`` for
any OpenAI-compatible server, ``hf:``, ``vllm:``): each request becomes a task rendered by
the prompt style :func:`synth_messages`. Up to ``concurrency`` requests are in flight;
failures the backend marks retryable (429, 5xx, timeouts, broken bodies) are retried by
:class:`petool.retry.RetryPolicy` (``Retry-After`` taken at its word, else exponential backoff
with jitter drawn from a ``random.Random`` seeded by the run's seed and the request); an
answer that is not the JSON the stage wants is asked again up to ``max_attempts`` times and
then given up (the stage falls back to its offline result and counts it).

Every finished request is appended to ``<cache_dir>/llm-<stage>.jsonl`` the moment it is
done, keyed by a hash of the prompt and the model: the parsed answer
(``{"key", "id", "answer", "invalid"}``), or, when every answer was unusable, the fallback
and why (``{"key", "id", "fallback": true, "reason", "invalid"}``; ``invalid`` counts the
unusable answers). A killed run resumes without repeating a finished request, fallbacks
included, and what ``report.json`` says of a stage (:class:`StageSummary`: requests, answered,
fallbacks, unusable answers) is counted from these records, so a resumed run writes the same
bytes as an uninterrupted one. What only this process did (answers read from the cache,
requests sent, retries, seconds: :class:`StageStats`) is the run's session, kept out of the
suite's files. Model output is data: it is only ever parsed as JSON.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from petool.backends.base import Backend, BackendResponse
from petool.errors import BackendError, RunError
from petool.io import JsonlAppender, iter_jsonl_raw, repair_torn_tail
from petool.retry import RetryPolicy
from petool.schema import Suite, SuiteInfo, Task, Tool

T = TypeVar("T")
REQUEST_HEADING = "## Request\n"
PROMPT_STYLE = "petool.synth.llm:synth_messages"
LLM_STAGES = ("understand", "group", "preferences", "instructions", "judge")


class StageProgress(Protocol):
    """Progress of one stage: a total and steps done."""

    def advance(self, n: int = 1, **status: Any) -> None:
        """Count ``n`` finished items (``status``: counters to show)."""
        ...

    def close(self) -> None:
        """The stage is done."""
        ...


class ProgressFactory(Protocol):
    """Opens a progress bar per stage."""

    def __call__(self, stage: str, total: int | None) -> StageProgress:
        """A progress bar for ``stage`` with ``total`` items (None: unknown)."""
        ...


class _NoProgress:
    def advance(self, n: int = 1, **status: Any) -> None:
        return None

    def close(self) -> None:
        return None


def no_progress(stage: str, total: int | None) -> StageProgress:
    """A progress factory that shows nothing."""
    return _NoProgress()


@dataclass(frozen=True)
class LLMRequest:
    """One question to the model: a system prompt, a short intro and a JSON payload."""

    key: str
    system: str
    intro: str
    payload: Mapping[str, Any]

    @property
    def user(self) -> str:
        """The user message: the intro, then the payload as JSON after ``## Request``."""
        body = json.dumps(self.payload, ensure_ascii=False, sort_keys=True)
        return f"{self.intro}\n\n{REQUEST_HEADING}{body}"


def synth_messages(task: Task, tools: Mapping[str, Tool]) -> list[dict[str, str]]:
    """Prompt style of synthesis requests: the task's system prompt and its instruction."""
    return [
        {"role": "system", "content": task.system_prompt or ""},
        {"role": "user", "content": task.instruction},
    ]


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in a model's answer (code fences and prose around it allowed)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        return value if isinstance(value, dict) else None
    return None


@dataclass
class StageSummary:
    """What a stage's cache records say (the same whichever process made them)."""

    requests: int = 0
    answered: int = 0
    fallbacks: int = 0
    invalid: int = 0

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one request's record."""
        self.requests += 1
        if record.get("fallback") is True:
            self.fallbacks += 1
        else:
            self.answered += 1
        self.invalid += _invalid_count(record)

    def as_dict(self) -> dict[str, int]:
        """The counters, as report.json writes them."""
        return {
            "requests": self.requests,
            "answered": self.answered,
            "fallbacks": self.fallbacks,
            "invalid_answers": self.invalid,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageSummary:
        """The summary :meth:`as_dict` wrote."""
        return cls(
            requests=int(data["requests"]),
            answered=int(data["answered"]),
            fallbacks=int(data["fallbacks"]),
            invalid=int(data["invalid_answers"]),
        )


def _invalid_count(record: Mapping[str, Any]) -> int:
    value = record.get("invalid", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass
class StageStats:
    """Counters of one LLM stage in this process (the session: not in report.json)."""

    requests: int = 0
    cached: int = 0
    sent: int = 0
    retries: int = 0
    invalid: int = 0
    fallbacks: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The counters (seconds rounded)."""
        return {
            "requests": self.requests,
            "cached": self.cached,
            "sent": self.sent,
            "retries": self.retries,
            "invalid_answers": self.invalid,
            "fallbacks": self.fallbacks,
            "seconds": round(self.seconds, 3),
        }


def _cache_key(model: str, request: LLMRequest) -> str:
    raw = json.dumps([model, request.system, request.user], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AnswerCache:
    """The record of every finished request per prompt hash, one JSONL file per stage,
    appended as requests finish (a later record of a key replaces an earlier one)."""

    def __init__(self, directory: Path | None, stage: str):
        self.path = directory / f"llm-{stage}.jsonl" if directory is not None else None
        self.records: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.exists():
            repair_torn_tail(self.path)
            for _, record in iter_jsonl_raw(self.path):
                if isinstance(record, dict) and _usable_record(record):
                    self.records[str(record.get("key"))] = record
        self._out: JsonlAppender | None = None

    def get(self, key: str) -> dict[str, Any] | None:
        """The record of ``key`` (an answer or a fallback), or None."""
        return self.records.get(key)

    def put(self, key: str, answer: dict[str, Any], request_id: str = "", invalid: int = 0) -> None:
        """Remember an answer (on disk at once; ``request_id`` is recorded for people;
        ``invalid``: the unusable answers before it)."""
        self._write({"key": key, "id": request_id, "answer": answer, "invalid": invalid})

    def put_fallback(self, key: str, request_id: str, invalid: int, reason: str) -> None:
        """Remember that the stage fell back to its offline result for ``key``, and why."""
        record = {"key": key, "id": request_id, "fallback": True, "reason": reason}
        self._write({**record, "invalid": invalid})

    def _write(self, record: dict[str, Any]) -> None:
        self.records[record["key"]] = record
        if self.path is None:
            return
        if self._out is None:
            self._out = JsonlAppender(self.path, fsync=False)
        self._out.write(record)

    def close(self) -> None:
        """Close the file."""
        if self._out is not None:
            self._out.close()
            self._out = None


def _usable_record(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("answer"), dict) or record.get("fallback") is True


@dataclass
class SynthLLM:
    """The model behind the LLM stages.

    Args:
        backend: a petool backend (``make_backend(spec, prompt_style=PROMPT_STYLE, ...)``).
        model: a name for the model (part of every cache key).
        cache_dir: where answers are cached (None: no cache).
        concurrency: requests in flight at once.
        retry: how often and how long to wait before retrying a request the backend reports
            as failed and retryable.
        seed: seeds the retry jitter (with each request's key, so waits repeat run to run).
        max_attempts: times a request is asked when the answer is not what the stage wants.
        progress: opens a progress bar per stage.
    """

    backend: Backend
    model: str
    cache_dir: Path | None = None
    concurrency: int = 16
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int = 0
    max_attempts: int = 3
    progress: ProgressFactory = no_progress
    stats: dict[str, StageStats] = field(default_factory=dict)
    summaries: dict[str, StageSummary] = field(default_factory=dict)
    _ready: bool = False

    def _setup(self) -> None:
        if not self._ready:
            info = SuiteInfo(name="synth", prompt_style=PROMPT_STYLE)
            self.backend.setup(Suite(info=info, tools=[], tasks=[]))
            self._ready = True

    async def _ask(self, request: LLMRequest, stats: StageStats) -> str:
        """The raw answer text; retries retryable failures; RunError when they persist."""
        task = Task(
            id=request.key[:200] or "synth",
            instruction=request.user,
            system_prompt=request.system,
        )
        rng = random.Random(f"{self.seed}:{request.key}")
        max_retries = self.retry.max_retries
        for attempt in range(max_retries + 1):
            try:
                response = (await self.backend.generate([task]))[0]
            except BackendError as exc:
                response = BackendResponse(error=str(exc), retryable=exc.retryable)
            except Exception as exc:  # a backend's own failure: retried like a 5xx
                response = BackendResponse(error=f"{type(exc).__name__}: {exc}")
            stats.sent += 1
            if response.error is None:
                return response.output
            if not response.retryable or attempt == max_retries:
                raise RunError(
                    f"LLM request '{request.key}' failed after {attempt + 1} attempt(s): "
                    f"{response.error} (finished answers are cached; run again to resume)"
                )
            stats.retries += 1
            await asyncio.sleep(self.retry.delay(attempt + 1, response.retry_after, rng))
        raise AssertionError("unreachable")

    async def _one(
        self,
        request: LLMRequest,
        parse: Callable[[dict[str, Any]], T],
        cache: AnswerCache,
        stats: StageStats,
    ) -> tuple[T | None, dict[str, Any]]:
        """The parsed answer (None: fall back) and the request's cache record."""
        key = _cache_key(self.model, request)
        record = cache.get(key)
        if record is not None:
            if record.get("fallback") is True:
                stats.cached += 1
                return None, record
            try:
                result = parse(record["answer"])
            except (ValueError, TypeError, KeyError):
                pass  # an answer this parser no longer takes: asked again, record replaced
            else:
                stats.cached += 1
                return result, record
        reason = ""
        for attempt in range(self.max_attempts):
            answer = extract_json(await self._ask(request, stats))
            if answer is None:
                reason = "no JSON object in the answer"
            else:
                try:
                    result = parse(answer)
                except (ValueError, TypeError, KeyError) as exc:
                    reason = f"not what the stage wants: {type(exc).__name__}: {exc}"[:300]
                else:
                    cache.put(key, answer, request.key, invalid=attempt)
                    return result, cache.records[key]
            stats.invalid += 1
        stats.fallbacks += 1
        cache.put_fallback(key, request.key, self.max_attempts, reason)
        return None, cache.records[key]

    async def run(
        self,
        stage: str,
        requests: Sequence[LLMRequest],
        parse: Callable[[LLMRequest], Callable[[dict[str, Any]], T]],
    ) -> dict[str, T | None]:
        """Ask every request; return the parsed answers by request key (None: gave up).

        Args:
            stage: the stage's name (cache file, progress bar, statistics).
            requests: the requests (keys unique).
            parse: gives the parser of each request's answer; a parser raises ValueError
                when the answer is not usable.

        Raises:
            RunError: a request kept failing at the backend (finished answers stay cached,
                so the run can be resumed).

        The stage's :class:`StageSummary` (``summaries[stage]``) is counted from the cache
        records of ``requests``; this process's counters go to ``stats[stage]``.
        """
        self._setup()
        stats = self.stats.setdefault(stage, StageStats())
        stats.requests += len(requests)
        summary = StageSummary()
        cache = AnswerCache(self.cache_dir, stage)
        bar = self.progress(f"{stage} (LLM)", len(requests))
        started = time.perf_counter()
        results: dict[str, T | None] = {}
        pending = iter(requests)

        async def worker() -> None:
            for request in pending:
                result, record = await self._one(request, parse(request), cache, stats)
                results[request.key] = result
                summary.add(record)
                bar.advance(
                    1, cached=stats.cached, retries=stats.retries, fallbacks=summary.fallbacks
                )

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(self.concurrency, len(requests)))):
                    group.create_task(worker())
        except* RunError as failed:
            raise failed.exceptions[0] from None
        finally:
            stats.seconds += time.perf_counter() - started
            cache.close()
            bar.close()
        self.summaries[stage] = summary
        return results

    def summary(self, stage: str) -> dict[str, int] | None:
        """What the cache records say of ``stage`` (None: it has not run)."""
        found = self.summaries.get(stage)
        return found.as_dict() if found is not None else None

    def restore(self, stage: str, summary: Mapping[str, Any] | None) -> None:
        """Take the summary of a stage whose output came from the stage cache."""
        if summary is not None:
            self.summaries[stage] = StageSummary.from_dict(summary)

    def report(self) -> dict[str, dict[str, int]]:
        """Every stage's summary, in pipeline order (what report.json records)."""
        order = [s for s in LLM_STAGES if s in self.summaries]
        order += [s for s in self.summaries if s not in LLM_STAGES]
        return {s: self.summaries[s].as_dict() for s in order}

    def session(self) -> dict[str, dict[str, Any]]:
        """This process's counters per stage (cached, sent, retries, seconds, ...)."""
        return {stage: s.as_dict() for stage, s in self.stats.items()}

    async def aclose(self) -> None:
        """Release the backend's resources."""
        await self.backend.aclose()
