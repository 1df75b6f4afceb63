"""SelectionService: the one contract of petool serve (HTTP API, OpenAI proxy, MCP server).

Contract (stable; every method is async and scoped by ``tenant_id``, never crossing tenants):

* ``SelectionService(sessionmaker, backend_factory=make_backend, default_backend="ranker")``
  with an ``async_sessionmaker`` over :func:`petool.serve.db.make_engine`.
* ``select(tenant_id, user_id, instruction, *, toolset_id=None, tools=None, candidates=None,
  backend=None, top_k=5) -> Selection`` — builds a petool ``Task`` whose ``UserContext`` is the
  user's stored memory (:meth:`user_context`), runs the backend spec (the ranker by default)
  through ``petool.backends.registry``, parses with ``petool.parsing.parse_output``, stores and
  returns the selection (``selection_id``, ``call`` or None, ``alternatives``, ``explanation``).
* ``shortlist(tenant_id, user_id, instruction, tools, top_k) -> list[tuple[Tool, float]]`` —
  the tools ordered for this user (ranker scores), best first.
* ``user_context(tenant_id, user_id) -> UserContext`` — history oldest first (``step`` = index),
  profile, environment, history mode (the user's own, else ``rated`` when any rating exists).
* ``record_selection(tenant_id, user_id, instruction, call, source, alternatives=()) -> str``.
* ``record_interactions(tenant_id, user_id, items) -> InteractionCounts`` (idempotent on ``id``).
* ``record_feedback(tenant_id, selection_id, rating) -> FeedbackOut`` — the rated call joins the
  user's history (``source="feedback"``); a second rating replaces the first.
* ``put_user``, ``history``, ``delete_user``, ``add_toolset``, ``toolset_tools``.
* ``warm()`` — start the default backend once (the app does it before serving).

Errors: :class:`NotFoundError` (HTTP 404) and ``petool.errors.InputError`` (HTTP 400).
FastAPI wiring (``get_service``, ``authenticate``) lives in :mod:`petool.serve.deps`.
Nothing a client or model sends is executed: calls are data, parsed, stored and returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from petool.backends.base import Backend
from petool.backends.registry import make_backend
from petool.errors import BackendError, InputError
from petool.parsing import parse_output
from petool.schema import Interaction, Suite, SuiteInfo, Task, Tool, ToolCall, UserContext
from petool.serve.db import FeedbackRow, InteractionRow, SelectionRow, Toolset, User, now
from petool.serve.models import (
    Alternative,
    Deleted,
    FeedbackOut,
    HistoryItem,
    HistoryPage,
    InteractionCounts,
    InteractionIn,
    Selection,
    ToolsetOut,
    UserIn,
)
from petool.serve.toolsets import parse_tools

BackendFactory = Callable[[str], Backend]
T = TypeVar("T")
#: How often a write transaction that lost a race on a unique key is run again.
WRITE_ATTEMPTS = 3
#: The one-tool toolset :meth:`SelectionService.warm` starts the default backend on.
WARM_TOOL = Tool(name="warm_up", description="Warm-up tool of petool serve")


class NotFoundError(InputError):
    """A named toolset, selection or user does not exist for this tenant (HTTP 404)."""


def _tools_key(tools: Sequence[Tool]) -> str:
    text = json.dumps([t.model_dump(mode="json") for t in tools], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _Backends:
    """Backends set up per (spec, toolset content), least recently used dropped past ``size``."""

    def __init__(self, factory: BackendFactory, size: int = 32):
        self.factory = factory
        self.size = size
        self._items: OrderedDict[tuple[str, str], tuple[Backend, asyncio.Lock]] = OrderedDict()
        self._lock = asyncio.Lock()

    async def get(self, spec: str, tools: Sequence[Tool]) -> tuple[Backend, asyncio.Lock]:
        key = (spec, _tools_key(tools))
        async with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            try:
                backend = await asyncio.to_thread(self.factory, spec)
                suite = Suite(info=SuiteInfo(name=f"serve-{key[1]}"), tools=list(tools), tasks=[])
                await asyncio.to_thread(backend.setup, suite)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(f"backend {spec!r} could not start: {exc}") from None
            self._items[key] = (backend, asyncio.Lock())
            while len(self._items) > self.size:
                _, (old, _lock) = self._items.popitem(last=False)
                await old.aclose()
            return self._items[key]

    async def aclose(self) -> None:
        for backend, _ in self._items.values():
            await backend.aclose()
        self._items.clear()


def _alternatives(
    explanation: dict[str, Any], call: ToolCall | None, top_k: int
) -> list[Alternative]:
    cands = explanation.get("candidates") or []
    ranked = sorted(cands, key=lambda c: -float(c.get("score", 0.0)))
    alts = [Alternative(tool=c["name"], score=round(float(c.get("score", 0.0)), 6)) for c in ranked]
    if not alts and call is not None:
        alts = [Alternative(tool=call.tool, score=1.0)]
    return alts[:top_k]


class SelectionService:
    """Memory, selection and feedback over one database (see the module docstring)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        backend_factory: BackendFactory = make_backend,
        default_backend: str = "ranker",
        *,
        serialize_writes: bool = False,
    ):
        self.sessions = sessionmaker
        self.default_backend = default_backend
        self._backends = _Backends(backend_factory)
        # SQLite has one writer: queueing writes in-process avoids "database is locked".
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if serialize_writes else None

    async def aclose(self) -> None:
        """Release the backends."""
        await self._backends.aclose()

    async def warm(self) -> None:
        """Start the default backend once (its models load now, not on the first request)."""
        await self._backends.get(self.default_backend, [WARM_TOOL])

    class _Write:
        def __init__(self, lock: asyncio.Lock | None):
            self.lock = lock

        async def __aenter__(self) -> None:
            if self.lock is not None:
                await self.lock.acquire()

        async def __aexit__(self, *exc: object) -> None:
            if self.lock is not None:
                self.lock.release()

    def _writing(self) -> SelectionService._Write:
        return SelectionService._Write(self._write_lock)

    async def _write(self, body: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``body`` in one write transaction; run it again when it lost a race.

        Two concurrent requests can both find a row missing (a new user, a toolset version, an
        interaction's client id, a selection's first rating) and both insert it: on PostgreSQL
        (or several SQLite workers) the second commit breaks a unique key. The loser's
        transaction is rolled back whole and ``body`` runs again on fresh reads, where it finds
        the winner's row and updates or skips it. Any other error propagates at once.
        """
        for attempt in range(WRITE_ATTEMPTS):
            try:
                async with self._writing(), self.sessions.begin() as s:
                    return await body(s)
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    # -- users and memory ------------------------------------------------------------------

    async def _ensure_user(self, s: AsyncSession, tenant_id: int, user_id: str) -> None:
        if await s.get(User, (tenant_id, user_id)) is None:
            s.add(User(tenant_id=tenant_id, user_id=user_id, profile={}, environment={}))
            await s.flush()

    async def put_user(self, tenant_id: int, user_id: str, body: UserIn) -> UserIn:
        """Create or replace a user's profile, environment and history mode."""

        async def write(s: AsyncSession) -> None:
            user = await s.get(User, (tenant_id, user_id))
            if user is None:
                user = User(tenant_id=tenant_id, user_id=user_id)
                s.add(user)
            user.profile = body.profile
            user.environment = body.environment
            user.history_mode = body.history_mode
            user.updated_at = now()

        await self._write(write)
        return body

    async def user_context(self, tenant_id: int, user_id: str) -> UserContext:
        """The user's memory as the ``UserContext`` a suite's task carries."""
        async with self.sessions() as s:
            user = await s.get(User, (tenant_id, user_id))
            rows = (
                await s.scalars(
                    select(InteractionRow)
                    .where(InteractionRow.tenant_id == tenant_id, InteractionRow.user_id == user_id)
                    .order_by(InteractionRow.id)
                )
            ).all()
        history = [
            Interaction(
                instruction=r.instruction,
                call=ToolCall.model_validate(r.call),
                rating=cast(Any, r.rating),
                step=i,
            )
            for i, r in enumerate(rows)
        ]
        mode = user.history_mode if user is not None else None
        if mode is None and any(h.rating is not None for h in history):
            mode = "rated"
        return UserContext(
            user_id=user_id,
            history=history,
            history_mode=cast(Any, mode),
            profile=dict(user.profile) if user is not None else {},
            environment=dict(user.environment) if user is not None else {},
        )

    async def record_interactions(
        self, tenant_id: int, user_id: str, items: Sequence[InteractionIn]
    ) -> InteractionCounts:
        """Append interactions; an item whose client ``id`` is already stored is skipped."""

        async def write(s: AsyncSession) -> int:
            await self._ensure_user(s, tenant_id, user_id)
            ids = [i.id for i in items if i.id is not None]
            existing: set[str] = set()
            if ids:
                existing = {
                    c
                    for c in (
                        await s.scalars(
                            select(InteractionRow.client_id).where(
                                InteractionRow.tenant_id == tenant_id,
                                InteractionRow.user_id == user_id,
                                InteractionRow.client_id.in_(ids),
                            )
                        )
                    ).all()
                    if c is not None
                }
            created = 0
            for item in items:
                if item.id is not None:
                    if item.id in existing:
                        continue
                    existing.add(item.id)
                s.add(
                    InteractionRow(
                        tenant_id=tenant_id,
                        user_id=user_id,
                        client_id=item.id,
                        instruction=item.instruction,
                        call=item.call.model_dump(mode="json"),
                        rating=item.rating,
                        source="client",
                    )
                )
                created += 1
            return created

        created = await self._write(write)
        return InteractionCounts(created=created, duplicates=len(items) - created)

    async def history(
        self, tenant_id: int, user_id: str, *, limit: int = 50, cursor: int | None = None
    ) -> HistoryPage:
        """A page of the user's interactions, oldest first, after ``cursor``."""
        q = select(InteractionRow).where(
            InteractionRow.tenant_id == tenant_id, InteractionRow.user_id == user_id
        )
        if cursor is not None:
            q = q.where(InteractionRow.id > cursor)
        async with self.sessions() as s:
            if await s.get(User, (tenant_id, user_id)) is None:
                raise NotFoundError(f"user {user_id!r} not found")
            rows = (await s.scalars(q.order_by(InteractionRow.id).limit(limit + 1))).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            HistoryItem(
                id=r.id,
                client_id=r.client_id,
                instruction=r.instruction,
                call=ToolCall.model_validate(r.call),
                rating=r.rating,
                source=r.source,
                created_at=r.created_at.isoformat(),
            )
            for r in rows
        ]
        return HistoryPage(items=items, next_cursor=rows[-1].id if more and rows else None)

    async def delete_user(self, tenant_id: int, user_id: str) -> Deleted:
        """Delete a user and everything about them (interactions, selections, feedback)."""
        counts: dict[str, int] = {}
        async with self._writing(), self.sessions.begin() as s:
            for name, table in (
                ("feedback", FeedbackRow),
                ("interactions", InteractionRow),
                ("selections", SelectionRow),
                ("users", User),
            ):
                result = await s.execute(
                    delete(table).where(table.tenant_id == tenant_id, table.user_id == user_id)
                )
                counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if not any(counts.values()):
            raise NotFoundError(f"user {user_id!r} not found")
        return Deleted(user_id=user_id, deleted=counts)

    # -- toolsets --------------------------------------------------------------------------

    async def add_toolset(
        self, tenant_id: int, name: str, items: list[dict[str, Any]], jsonl: str | None = None
    ) -> ToolsetOut:
        """Store a new version of a toolset (version 1, 2, ... per name)."""
        tools = parse_tools(items, jsonl)

        async def write(s: AsyncSession) -> int:
            latest = await s.scalar(
                select(func.max(Toolset.version)).where(
                    Toolset.tenant_id == tenant_id, Toolset.name == name
                )
            )
            version = int(latest or 0) + 1
            s.add(
                Toolset(
                    tenant_id=tenant_id,
                    name=name,
                    version=version,
                    tools=[t.model_dump(mode="json", exclude_defaults=True) for t in tools],
                )
            )
            return version

        version = await self._write(write)
        return ToolsetOut(
            toolset_id=f"{name}@{version}", name=name, version=version, tools=len(tools)
        )

    async def toolset_tools(self, tenant_id: int, toolset_id: str) -> list[Tool]:
        """The tools of ``name`` (latest version) or ``name@version``."""
        name, _, ver = toolset_id.partition("@")
        q = select(Toolset).where(Toolset.tenant_id == tenant_id, Toolset.name == name)
        if ver:
            if not ver.isdigit():
                raise InputError(f"toolset_id {toolset_id!r}: the version must be a number")
            q = q.where(Toolset.version == int(ver))
        async with self.sessions() as s:
            row = await s.scalar(q.order_by(Toolset.version.desc()).limit(1))
        if row is None:
            raise NotFoundError(f"toolset {toolset_id!r} not found")
        return [Tool.model_validate(t) for t in row.tools]

    # -- selection -------------------------------------------------------------------------

    async def _rank(
        self, spec: str, tools: Sequence[Tool], task: Task
    ) -> tuple[ToolCall | None, str, dict[str, Any]]:
        backend, lock = await self._backends.get(spec, tools)
        async with lock:
            try:
                (resp,) = await backend.generate([task])
            except BackendError as exc:
                raise InputError(f"backend {spec!r} failed: {exc}") from None
            explain = getattr(backend, "explain", None)
            explanation: dict[str, Any] = {}
            if callable(explain):
                explanation = await asyncio.to_thread(explain, task)
        if resp.error:
            raise InputError(f"backend {spec!r} failed: {resp.error}")
        parsed = parse_output(resp.output, resp.tool_calls, tool_names=list(task.candidates))
        return parsed.call, parsed.status, explanation

    async def _tools_for(
        self,
        tenant_id: int,
        toolset_id: str | None,
        tools: list[Tool] | list[dict[str, Any]] | None,
        candidates: list[str] | None,
    ) -> tuple[list[Tool], list[str]]:
        if toolset_id is not None:
            toolset = await self.toolset_tools(tenant_id, toolset_id)
        elif tools:
            toolset = [t if isinstance(t, Tool) else parse_tools([t])[0] for t in tools]
        else:
            raise InputError("give toolset_id or tools")
        names = [t.name for t in toolset]
        if candidates:
            unknown = [c for c in candidates if c not in names]
            if unknown:
                raise InputError(f"candidates not in the toolset: {', '.join(unknown[:5])}")
            names = list(dict.fromkeys(candidates))
        return toolset, names

    async def select(
        self,
        tenant_id: int,
        user_id: str,
        instruction: str,
        *,
        toolset_id: str | None = None,
        tools: list[Tool] | list[dict[str, Any]] | None = None,
        candidates: list[str] | None = None,
        backend: str | None = None,
        top_k: int = 5,
    ) -> Selection:
        """Choose and fill the call this user would want; the selection is stored."""
        spec = backend or self.default_backend
        toolset, names = await self._tools_for(tenant_id, toolset_id, tools, candidates)
        context = await self.user_context(tenant_id, user_id)
        selection_id = str(uuid.uuid4())
        task = Task(id=selection_id, instruction=instruction, user=context, candidates=names)
        call, status, explanation = await self._rank(spec, toolset, task)
        alternatives = _alternatives(explanation, call, top_k)
        await self._store_selection(
            selection_id, tenant_id, user_id, instruction, call, "select", alternatives, spec
        )
        return Selection(
            selection_id=selection_id,
            call=call,
            alternatives=alternatives,
            explanation=explanation,
            backend=spec,
            status=status,
        )

    async def shortlist(
        self,
        tenant_id: int,
        user_id: str,
        instruction: str,
        tools: Sequence[Tool],
        top_k: int,
        *,
        backend: str | None = None,
    ) -> list[tuple[Tool, float]]:
        """The ``top_k`` tools for this user and instruction, best first, with their scores."""
        if not tools:
            return []
        spec = backend or self.default_backend
        context = await self.user_context(tenant_id, user_id)
        names = [t.name for t in tools]
        task = Task(
            id=f"shortlist-{uuid.uuid4()}", instruction=instruction, user=context, candidates=names
        )
        call, _status, explanation = await self._rank(spec, tools, task)
        by_name = {t.name: t for t in tools}
        alts = _alternatives(explanation, call, len(tools))
        order = [(by_name[a.tool], a.score) for a in alts if a.tool in by_name]
        seen = {t.name for t, _ in order}
        order += [(t, 0.0) for t in tools if t.name not in seen]
        return order[:top_k]

    async def _store_selection(
        self,
        selection_id: str,
        tenant_id: int,
        user_id: str,
        instruction: str,
        call: ToolCall | None,
        source: str,
        alternatives: Sequence[Alternative | dict[str, Any]],
        backend: str,
    ) -> None:
        alts = [a.model_dump() if isinstance(a, Alternative) else dict(a) for a in alternatives]

        async def write(s: AsyncSession) -> None:
            await self._ensure_user(s, tenant_id, user_id)
            s.add(
                SelectionRow(
                    id=selection_id,
                    tenant_id=tenant_id,
                    user_id=user_id,
                    instruction=instruction,
                    call=call.model_dump(mode="json") if call is not None else None,
                    alternatives=alts,
                    backend=backend,
                    source=source,
                )
            )

        await self._write(write)

    async def record_selection(
        self,
        tenant_id: int,
        user_id: str,
        instruction: str,
        call: ToolCall | None,
        source: str,
        alternatives: Sequence[Alternative | dict[str, Any]] = (),
        backend: str = "upstream",
    ) -> str:
        """Store a call someone else made (e.g. the proxy's upstream) as a served selection."""
        selection_id = str(uuid.uuid4())
        await self._store_selection(
            selection_id, tenant_id, user_id, instruction, call, source, alternatives, backend
        )
        return selection_id

    async def record_feedback(self, tenant_id: int, selection_id: str, rating: int) -> FeedbackOut:
        """Rate a served selection; the rated call becomes (or updates) a history interaction.

        Concurrent ratings of one selection are serialized on the selection's row (``SELECT ...
        FOR UPDATE`` on PostgreSQL; SQLite has one writer): the second finds the first's
        feedback and interaction and updates them, so the selection keeps exactly one history
        interaction holding the last rating. A race that still breaks a unique key (the
        interaction's ``feedback:<selection>`` client id) runs the transaction again.
        """
        if rating not in (1, -1):
            raise InputError("rating must be 1 or -1")

        async def write(s: AsyncSession) -> int | None:
            sel = await s.scalar(
                select(SelectionRow)
                .where(SelectionRow.id == selection_id, SelectionRow.tenant_id == tenant_id)
                .with_for_update()
            )
            if sel is None:
                raise NotFoundError(f"selection {selection_id!r} not found")
            fb = await s.scalar(select(FeedbackRow).where(FeedbackRow.selection_id == sel.id))
            interaction_id: int | None = fb.interaction_id if fb is not None else None
            if sel.call is not None:
                client_id = f"feedback:{sel.id}"
                row = await s.get(InteractionRow, interaction_id) if interaction_id else None
                if row is None:
                    row = await s.scalar(
                        select(InteractionRow).where(
                            InteractionRow.tenant_id == tenant_id,
                            InteractionRow.user_id == sel.user_id,
                            InteractionRow.client_id == client_id,
                        )
                    )
                if row is None:
                    row = InteractionRow(
                        tenant_id=tenant_id,
                        user_id=sel.user_id,
                        client_id=client_id,
                        instruction=sel.instruction,
                        call=sel.call,
                        rating=rating,
                        source="feedback",
                    )
                    s.add(row)
                    await s.flush()
                row.rating = rating
                interaction_id = row.id
            if fb is None:
                s.add(
                    FeedbackRow(
                        tenant_id=tenant_id,
                        user_id=sel.user_id,
                        selection_id=sel.id,
                        rating=rating,
                        interaction_id=interaction_id,
                    )
                )
            else:
                fb.rating = rating
                fb.interaction_id = interaction_id
            return interaction_id

        interaction_id = await self._write(write)
        return FeedbackOut(selection_id=selection_id, rating=rating, interaction_id=interaction_id)
