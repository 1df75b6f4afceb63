"""Real servers for the serve tests: uvicorn on 127.0.0.1, SQLite files, a throwaway PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy.ext.asyncio")

from petool_serve_live import Live, free_port, make_keys, start_live, stop_live  # noqa: F401

from petool.serve.pg_temp import PostgresUnavailable, throwaway_postgres
from petool.serve.settings import ServeSettings


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server (as user ``postgres`` when the tests run as root)."""
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


_db_counter = {"n": 0}


def fresh_pg_db(postgres_url: str) -> str:
    """A new empty database on the throwaway server."""
    import psycopg

    _db_counter["n"] += 1
    name = f"t{os.getpid()}_{_db_counter['n']}"
    plain = postgres_url.replace("postgresql+asyncpg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """The service on SQLite and on PostgreSQL, with the fast ``random`` default backend."""
    db = None
    if request.param == "postgresql":
        db = fresh_pg_db(request.getfixturevalue("postgres_url"))
    settings = ServeSettings(
        data_dir=tmp_path / "data", db=db, backend="random", rate_limit=0, max_body=200_000
    )
    server = start_live(settings)
    yield server
    stop_live(server)
