"""The response cache: an identical request to the same server is never paid for twice.

A SQLite file maps a hash of the request to the answer. Its place is the ``cache_path``
backend option, else ``$PETOOL_CACHE_DIR/responses.sqlite``, else
``~/.cache/petool/responses.sqlite``.

What a key is made of (:func:`content_key`, see ``OpenAIBackend``): the cache schema
version (:data:`CACHE_SCHEMA`), the server's identity, the base URL and the exact request
bytes (model name, messages, tools, sampling parameters). The identity is what the server
says about the model at ``GET {base_url}/models``, looked up once per backend before its
first request: the model entry's ``id``, ``owned_by``, ``root``, ``parent``,
``max_model_len`` and ``meta``, and its ``created`` unless that is the time of the answer
itself (vLLM, SGLang and llama.cpp stamp the listing with the current time; a ``created``
within two minutes of the server's ``Date`` is left out, else every run would miss). So a
server restarted with other weights under the same name at the same URL is asked again. A
server that has no model list is identified by the status it answers there (``HTTP 404``),
that is by base URL and model name alone; a lookup that fails for a reason that may pass
(connection error, timeout, 429, 5xx) identifies nothing, and until a later lookup succeeds
requests go to the server uncached. ``system_fingerprint`` is not used: it comes only with
an answer, too late to key the lookup that would have avoided asking, and OpenAI changes it
as it redeploys, which would empty the cache without any change of model.

A row that cannot be used (not JSON, not an object, or a value of the wrong shape by the
caller's check) is a miss, counted in :meth:`ResponseCache.stats`, and the fresh answer
replaces it. Bumping :data:`CACHE_SCHEMA` makes every older row a miss.

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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from petool.errors import ConfigError

CACHE_DIR_ENV = "PETOOL_CACHE_DIR"
CACHE_FILE = "responses.sqlite"
CACHE_SCHEMA = 2  # the layout of keys and values: 2 = keys name the server's identity

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


MODEL_FIELDS = ("id", "created", "owned_by", "root", "parent", "max_model_len", "meta")
STAMP_WINDOW_S = 120.0  # a "created" this close to the server's clock is the answer's own time


def model_identity(listing: Any, model: str, server_time: float | None = None) -> dict[str, Any]:
    """What a server's ``GET /models`` answer says about ``model`` (part of every cache key).

    Args:
        listing: The decoded answer (``{"data": [{"id": ..., "created": ..., ...}]}``).
        model: The model name requests carry.
        server_time: The server's clock (its ``Date`` header) when the listing was made, to
            recognize a ``created`` that is only the time of the answer (default: this
            machine's clock).

    Returns:
        ``{"models": "listed", "entry": {...}}`` with the entry's stable fields, or
        ``{"models": "unlisted"}`` (the list does not name the model) or
        ``{"models": "unreadable"}`` (the answer is not a model list).
    """
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list):
        return {"models": "unreadable"}
    entry = next((e for e in data if isinstance(e, dict) and e.get("id") == model), None)
    if entry is None:
        return {"models": "unlisted"}
    now = time.time() if server_time is None else server_time
    kept: dict[str, Any] = {}
    for name in MODEL_FIELDS:
        value = entry.get(name)
        if name == "created":
            stamp = isinstance(value, int | float) and abs(float(value) - now) < STAMP_WINDOW_S
            if stamp or isinstance(value, bool):
                continue
        if name == "meta" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if _scalar(v)}
        elif not _scalar(value):
            continue
        if value is not None:
            kept[name] = value
    return {"models": "listed", "entry": kept}


def identity_text(identity: Mapping[str, Any]) -> str:
    """The canonical JSON of a server identity (the form that goes into keys)."""
    return json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


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
        self.hits = 0
        self.misses = 0
        self.bad_rows = 0
        self.replaced = 0
        self._bad: set[str] = set()

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

    def get(
        self, key: str, valid: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any] | None:
        """The answer stored under ``key``, or None.

        A row that is not a JSON object, or that ``valid`` rejects, is a miss and counted as a
        bad row; the next :meth:`put` under its key replaces it.
        """
        with self._lock:
            conn = self._connect()
            row = conn.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            try:
                value = json.loads(row[0])
            except (json.JSONDecodeError, TypeError):
                value = None
            if not isinstance(value, dict) or (valid is not None and not _accepts(valid, value)):
                self.misses += 1
                self.bad_rows += 1
                self._bad.add(key)
                return None
            self.hits += 1
            return value

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
            if key in self._bad:
                self._bad.discard(key)
                self.replaced += 1

    def stats(self) -> dict[str, int]:
        """Lookups of this cache object: hits, misses, bad rows seen and bad rows replaced."""
        with self._lock:
            return {
                "hits": self.hits,
                "misses": self.misses,
                "bad_rows": self.bad_rows,
                "replaced": self.replaced,
            }

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


def _accepts(valid: Callable[[dict[str, Any]], bool], value: dict[str, Any]) -> bool:
    try:
        return bool(valid(value))
    except Exception:  # a check that trips over a strange row: the row is bad
        return False
