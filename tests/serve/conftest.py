"""Real servers for the serve tests: uvicorn on 127.0.0.1, SQLite files, a throwaway PostgreSQL."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy.ext.asyncio")

from petool_serve_live import Live, free_port, make_keys, start_live, stop_live  # noqa: F401

from petool.serve.settings import ServeSettings


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server (as user ``postgres`` when the tests run as root)."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (pg_ctl, initdb) are not installed")
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="petool-pg-")
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(root, "data")
    port = free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", data, "-U", "postgres",
                    "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on"
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", data, "-o", opts, "-w",
                    "-l", os.path.join(root, "log"), "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", data, "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


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
    settings = ServeSettings(data_dir=tmp_path / "data", db=db, backend="random",
                             rate_limit=0, max_body=200_000)
    server = start_live(settings)
    yield server
    stop_live(server)
