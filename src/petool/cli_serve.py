"""``petool serve``: run the personalized tool-selection service; ``petool serve keys create``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from petool.errors import ConfigError

if TYPE_CHECKING:
    from petool.serve.settings import ServeSettings

serve_app = typer.Typer(
    help="Serve personalized tool selection over HTTP (extra [serve]): docs/serve.md.",
    invoke_without_command=True,
)
keys_app = typer.Typer(help="Manage tenants' API keys.")
serve_app.add_typer(keys_app, name="keys")

DataDir = Annotated[Path, typer.Option("--data-dir", help="SQLite database folder")]
Db = Annotated[str | None, typer.Option("--db", help="database URL, e.g. postgresql+asyncpg://…")]


def _settings(data_dir: Path, db: str | None, **extra: Any) -> ServeSettings:
    try:
        from petool.serve.settings import ServeSettings
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            f"petool serve needs the [serve] extra ({exc.name} missing): "
            "pip install 'petool[serve]'"
        ) from None
    if db is not None and not db.startswith(
        ("sqlite+aiosqlite", "postgresql+asyncpg", "postgresql+psycopg")
    ):
        raise ConfigError(
            "--db: expected sqlite+aiosqlite://…, postgresql+asyncpg://… or postgresql+psycopg://…"
        )
    return ServeSettings(data_dir=data_dir, db=db, **extra)


@serve_app.callback()
def serve(
    ctx: typer.Context,
    data_dir: DataDir = Path("petool-data"),
    db: Db = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes")] = 1,
    backend: Annotated[str, typer.Option(help="default backend spec")] = "ranker",
    migrate: Annotated[bool, typer.Option("--migrate", help="only migrate the database")] = False,
    rate_limit: Annotated[float, typer.Option(min=0, help="requests/s per key (0: off)")] = 50.0,
    burst: Annotated[float, typer.Option(min=1)] = 100.0,
    max_body: Annotated[int, typer.Option(min=1024, help="largest body, bytes")] = 1_000_000,
    upstream: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL (proxy)")] = None,
    upstream_model: Annotated[str | None, typer.Option(help="model name for the upstream")] = None,
    upstream_timeout: Annotated[float, typer.Option(min=0.1, help="upstream call seconds")] = 60.0,
    proxy_top_k: Annotated[int, typer.Option(min=1, max=500, help="tools the proxy keeps")] = 8,
    keep_alive: Annotated[float, typer.Option(min=1, help="idle keep-alive seconds")] = 75.0,
    mcp: Annotated[bool, typer.Option("--mcp", help="serve MCP over stdio instead")] = False,
    tenant: Annotated[str | None, typer.Option(help="the tenant MCP over stdio acts for")] = None,
) -> None:
    """Run the service (migrating the database to the newest schema first)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"data_dir": data_dir, "db": db}
        return
    import os

    settings = _settings(
        data_dir,
        db,
        backend=backend,
        rate_limit=rate_limit,
        burst=burst,
        max_body=max_body,
        upstream=upstream,
        upstream_model=upstream_model,
        upstream_timeout=upstream_timeout,
        proxy_top_k=proxy_top_k,
        upstream_key=os.environ.get("PETOOL_UPSTREAM_API_KEY"),
    )
    from petool.serve.db import is_sqlite
    from petool.serve.migrate import upgrade

    if is_sqlite(settings.url):
        if workers > 1:
            raise ConfigError(
                "--workers > 1 needs PostgreSQL (--db postgresql+asyncpg://…): "
                "SQLite has one writer"
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.url)
    except Exception as exc:
        raise ConfigError(
            f"database {settings.url.split('@')[-1]}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}"
        ) from None
    if migrate:
        typer.echo("database at the newest schema")
        return
    if mcp:
        if not tenant:
            raise ConfigError("--mcp: give --tenant NAME (the tenant the stdio server acts for)")
        from petool.serve.mcp_server import run_stdio

        run_stdio(settings, tenant)
        return
    import uvicorn

    settings = settings.model_copy(update={"migrate": False})
    settings.to_env()
    uvicorn.run(
        "petool.serve.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        timeout_graceful_shutdown=10,
        # longer than clients' pool expiry (httpx: 5 s), so a client never sends on a
        # connection the server is closing at that moment
        timeout_keep_alive=int(keep_alive),
    )


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(help="tenant name (created when new)")],
) -> None:
    """Create an API key for a tenant; the key is printed once and stored only hashed."""
    obj = ctx.obj or {}
    settings = _settings(obj.get("data_dir", Path("petool-data")), obj.get("db"))
    if not tenant.strip() or len(tenant) > 200:
        raise ConfigError("--tenant: give a name of 1 to 200 characters")
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from petool.serve.db import is_sqlite, make_engine
    from petool.serve.keys import create_key
    from petool.serve.migrate import upgrade

    if is_sqlite(settings.url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.url)

    async def _create() -> str:
        engine = make_engine(settings.url)
        try:
            return await create_key(async_sessionmaker(engine), tenant)
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(_create()))
