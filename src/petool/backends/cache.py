"""The response cache: an identical request is never paid for twice.

A SQLite file maps a hash of the request (model, endpoint, messages, tools, sampling
parameters) to the answer. Its place is the ``cache_path`` backend option, else
``$PETOOL_CACHE_DIR/responses.sqlite``, else ``~/.cache/petool/responses.sqlite``.

One connection per cache object, guarded by a lock, so concurrent coroutines (and threads)
share it safely; the file runs in WAL mode so several processes can share it too. Lookups
and writes take tens of microseconds, so they run inline in the event loop.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from petool.errors import ConfigError

CACHE_DIR_ENV = "PETOOL_CACHE_DIR"
CACHE_FILE = "responses.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def default_cache_path() -> Path:
    """``$PETOOL_CACHE_DIR/responses.sqlite`` or ``~/.cache/petool/responses.sqlite``."""
    root = os.environ.get(CACHE_DIR_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "petool"
    return base / CACHE_FILE


def request_key(request: Mapping[str, Any]) -> str:
    """A stable hash of a request (any JSON value; dict key order does not matter)."""
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_key(*parts: str | bytes) -> str:
    """A hash of exact request bytes (and e.g. the endpoint), for a request already encoded."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class ResponseCache:
    """A persistent map from request keys to JSON answers."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"{self.path}: cannot open the response cache ({exc}); "
                "use --no-cache or another cache location"
            ) from None
        self._conn = conn
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The answer stored under ``key``, or None."""
        with self._lock:
            conn = self._connect()
            row = conn.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except json.JSONDecodeError:
            return None  # a damaged entry is a miss; the next put replaces it
        return value if isinstance(value, dict) else None

    def put(self, key: str, model: str, value: Mapping[str, Any]) -> None:
        """Store ``value`` (a JSON object) under ``key``."""
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            conn = self._connect()
            conn.execute(
                "INSERT OR REPLACE INTO responses (key, model, value, created) VALUES (?, ?, ?, ?)",
                (key, model, text, time.time()),
            )
            conn.commit()

    def __len__(self) -> int:
        with self._lock:
            row = self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the connection (a later call reopens it)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
