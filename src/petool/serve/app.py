"""``create_app(settings)``: the FastAPI app (API, proxy and MCP when present, ops endpoints)."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from petool.errors import InputError
from petool.serve.api import router
from petool.serve.db import is_sqlite, make_engine
from petool.serve.limits import BodyLimit, RateLimits
from petool.serve.migrate import upgrade
from petool.serve.observe import Metrics, Observe, log, route_library_logs, setup_logging
from petool.serve.service import NotFoundError, SelectionService
from petool.serve.settings import ServeSettings


def _optional(module: str) -> Any | None:
    """A sibling module (proxy, mcp_server) when it exists."""
    name = f"petool.serve.{module}"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def create_app(settings: ServeSettings | None = None, **service_options: Any) -> FastAPI:
    """The service app; ``service_options`` go to :class:`SelectionService` (tests)."""
    settings = settings or ServeSettings()
    setup_logging()
    engine = make_engine(settings.url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if is_sqlite(settings.url):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.migrate:
            await asyncio.to_thread(upgrade, settings.url)
        if settings.warm:
            try:
                await app.state.service.warm()
            except InputError as exc:  # a bad default spec still fails each request with 400
                log.warning("backend warm-up failed", extra={"fields": {"error": str(exc)}})
        log.info(
            "started",
            extra={"fields": {"db": engine.url.render_as_string(), "backend": settings.backend}},
        )
        try:
            yield
        finally:
            await app.state.service.aclose()
            await engine.dispose()
            log.info("stopped")

    app = FastAPI(
        title="petool serve",
        version="1",
        lifespan=lifespan,
        description="Personalized tool selection: memory, selection, feedback.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.metrics = metrics
    app.state.key_cache = {}
    app.state.rate_limits = RateLimits(settings.rate_limit, settings.burst)
    options = {
        "default_backend": settings.backend,
        "serialize_writes": is_sqlite(settings.url),
        **service_options,
    }
    app.state.service = SelectionService(sessions, **options)
    app.include_router(router)

    @app.exception_handler(NotFoundError)
    async def _not_found(_r: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(InputError)
    async def _bad_input(_r: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], responses={503: {"description": "database unreachable"}})
    async def readyz() -> JSONResponse:
        """The database answers."""
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        """Prometheus metrics of this worker."""
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    proxy = _optional("proxy")
    if proxy is not None and hasattr(proxy, "router"):
        app.include_router(proxy.router)
    mcp = _optional("mcp_server")
    if mcp is not None and hasattr(mcp, "mount"):
        mcp.mount(app)
    app.add_middleware(Observe, metrics=metrics)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for worker processes (settings from the environment)."""
    route_library_logs()
    return create_app(ServeSettings.from_env())
