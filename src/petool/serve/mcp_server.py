"""The MCP server (official ``mcp`` SDK, 2.x ``MCPServer``): petool's selection for MCP agents.

Tools, all calling :class:`~petool.serve.service.SelectionService` for one tenant:

* ``select_tool(user_id, instruction, toolset_id | tools, candidates, top_k)`` — the call this
  user would want, ranked alternatives and the ``selection_id`` to rate;
* ``record_interaction(user_id, instruction, tool, arguments, rating, id)`` — one past tool use
  (idempotent on ``id``);
* ``record_feedback(selection_id, rating)`` — +1 / -1 on a served selection.

``petool serve --mcp --tenant NAME`` serves it over stdio (the tenant is created when new).
Tool arguments are data: validated, stored, never executed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

try:
    from mcp.server.mcpserver import Context
except ImportError:  # pragma: no cover - the app runs without the MCP extra
    Context = Any  # type: ignore[misc,assignment]

from petool.errors import ConfigError
from petool.schema import ToolCall
from petool.serve.models import InteractionIn
from petool.serve.service import SelectionService

MCP_PATH = "/mcp"
TENANT_KEY = "petool_tenant"


def _http_tenant(ctx: Any) -> int:
    """The tenant the HTTP request's bearer key named (set by :class:`_BearerAuth`)."""
    request = ctx.request_context.request
    return int(request.scope["state"][TENANT_KEY])


def build_server(service: SelectionService, tenant_id: int | Callable[[Any], int]) -> Any:
    """An ``MCPServer`` whose three tools act for ``tenant_id`` (or a resolver of the call)."""

    def tenant(ctx: Any) -> int:
        return tenant_id(ctx) if callable(tenant_id) else tenant_id

    from mcp.server.mcpserver import MCPServer

    server = MCPServer(
        name="petool",
        instructions="Personalized tool selection: pick the tool "
        "this user would want, record their tool use and their ratings.",
    )

    @server.tool()
    async def select_tool(
        user_id: str,
        instruction: str,
        toolset_id: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        candidates: list[str] | None = None,
        top_k: int = 5,
        ctx: Context = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Choose and fill the tool call this user would want for the instruction."""
        sel = await service.select(
            tenant(ctx),
            user_id,
            instruction,
            toolset_id=toolset_id,
            tools=tools,
            candidates=candidates,
            top_k=max(1, top_k),
        )
        return sel.model_dump(mode="json", exclude={"explanation"})

    @server.tool()
    async def record_interaction(
        user_id: str,
        instruction: str,
        tool: str,
        arguments: dict[str, Any] | None = None,
        rating: int | None = None,
        id: str | None = None,
        ctx: Context = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Store one past tool use of the user (rating +1 / -1 / none; ``id`` deduplicates)."""
        item = InteractionIn(
            id=id,
            instruction=instruction,
            rating=rating,
            call=ToolCall(tool=tool, arguments=arguments or {}),
        )
        counts = await service.record_interactions(tenant(ctx), user_id, [item])
        return counts.model_dump()

    @server.tool()
    async def record_feedback(
        selection_id: str,
        rating: int,
        ctx: Context = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Rate a served selection (+1 liked, -1 disliked); it joins the user's history."""
        out = await service.record_feedback(tenant(ctx), selection_id, rating)
        return out.model_dump()

    return server


class _BearerAuth:
    """ASGI wrapper: a valid bearer API key (the HTTP API's) or 401; the tenant goes in state."""

    def __init__(self, app: Any, state: Any):
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.responses import JSONResponse

        from petool.serve.keys import lookup_key

        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        found = None
        if auth.lower().startswith("bearer "):
            found = await lookup_key(self.state.sessions, auth[7:].strip())
        if found is None:
            await JSONResponse(
                {"detail": "missing or invalid bearer API key"},
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )(scope, receive, send)
            return
        scope.setdefault("state", {})[TENANT_KEY] = found[0]
        await self.app(scope, receive, send)


def mount(app: Any) -> None:
    """Serve MCP over streamable HTTP at ``/mcp`` of the FastAPI app (bearer keys required)."""
    try:
        server = build_server(app.state.service, _http_tenant)
    except ImportError:  # pragma: no cover - without the mcp package the app has no /mcp
        return
    sub = server.streamable_http_app(
        streamable_http_path="/", stateless_http=True, json_response=True
    )
    app.mount(MCP_PATH, _BearerAuth(sub, app.state))
    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with server.session_manager.run(), outer(a) as value:
            yield value

    app.router.lifespan_context = lifespan


async def tenant_id_of(service: SelectionService, tenant: str) -> int:
    """The id of the tenant named ``tenant``, created when new."""
    from sqlalchemy import select

    from petool.serve.db import Tenant

    if not tenant.strip() or len(tenant) > 200:
        raise ConfigError("--tenant: give a name of 1 to 200 characters")
    async with service.sessions.begin() as s:
        row = await s.scalar(select(Tenant).where(Tenant.name == tenant))
        if row is None:
            row = Tenant(name=tenant)
            s.add(row)
            await s.flush()
        return int(row.id)


def run_stdio(settings: Any, tenant: str) -> None:
    """Serve MCP over stdio for ``tenant`` until the client closes the pipe."""
    import anyio
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from petool.serve.db import is_sqlite, make_engine

    async def main() -> None:
        engine = make_engine(settings.url)
        service = SelectionService(
            async_sessionmaker(engine, expire_on_commit=False),
            default_backend=settings.backend,
            serialize_writes=is_sqlite(settings.url),
        )
        try:
            server = build_server(service, await tenant_id_of(service, tenant))
            await server.run_stdio_async()
        finally:
            await service.aclose()
            await engine.dispose()

    anyio.run(main)
