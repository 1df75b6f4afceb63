"""A throwaway PostgreSQL server in a temporary folder, for tests and benchmarks.

Debian's ``initdb``/``pg_ctl`` are started as user ``postgres`` when the caller is root
(PostgreSQL refuses to run as root); the folder is removed on exit.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (no binaries, or no ``postgres`` user as root)."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise PostgresUnavailable("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    return Path(pg_ctl).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_postgres(max_connections: int = 300) -> Iterator[str]:
    """Start a server on a free loopback port; yield its asyncpg URL; stop and remove it."""
    bindir = _bindir()
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="petool-pg-")
    try:
        if os.geteuid() == 0:
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' user to run PostgreSQL"
                ) from None
            os.chown(root, pw.pw_uid, pw.pw_gid)
            prefix = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(root, "data")
        port = _free_port()
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
        )
        opts = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
            f" -c max_connections={max_connections} -c fsync=on"
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                data,
                "-o",
                opts,
                "-w",
                "-l",
                os.path.join(root, "log"),
                "start",
            ],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", data, "-m", "fast", "stop"],
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
