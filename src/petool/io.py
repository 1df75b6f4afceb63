"""JSON and JSONL on disk: validation that names file, line and field; atomic writes.

Every reader raises :class:`~petool.errors.InputError` with one line of the form
``FILE:LINE: field 'a.b.0': expected ...`` so that the CLI can print it and exit 2.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from petool.errors import InputError

M = TypeVar("M", bound=BaseModel)

_UMASK = os.umask(0)
os.umask(_UMASK)


def describe_validation_error(exc: ValidationError) -> str:
    """The first error of a pydantic ValidationError as ``field 'x.y': what was expected``."""
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = err.get("msg", "invalid value")
    kind = err.get("type", "")
    if kind == "missing":
        msg = "missing required field"
    elif kind == "extra_forbidden":
        msg = "unknown field"
    where = f"field '{loc}'" if loc else "record"
    return f"{where}: {msg}"


def parse_record(data: Any, model: type[M], where: str) -> M:
    """Validate one decoded JSON value as ``model``; ``where`` prefixes the error line."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{where}: {describe_validation_error(exc)}") from None


def iter_jsonl_raw(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, decoded_value)`` for each non-blank line of a JSONL file."""
    p = Path(path)
    try:
        fh = p.open("r", encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    with fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{p}:{lineno}: invalid JSON at column {exc.colno}: {exc.msg}"
                ) from None
            except UnicodeDecodeError:
                raise InputError(f"{p}:{lineno}: not valid UTF-8") from None


def read_jsonl(path: str | Path, model: type[M]) -> list[M]:
    """Read a JSONL file of ``model`` records; any bad line raises InputError naming it."""
    return [parse_record(data, model, f"{path}:{lineno}") for lineno, data in iter_jsonl_raw(path)]


def read_json(path: str | Path) -> Any:
    """Read a JSON file; errors name the file, line and column."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: not valid UTF-8") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{p}:{exc.lineno}: invalid JSON at column {exc.colno}: {exc.msg}"
        ) from None


def read_json_model(path: str | Path, model: type[M]) -> M:
    """Read a JSON file holding one ``model`` object."""
    return parse_record(read_json(path), model, str(path))


def dumps(obj: Any) -> str:
    """Compact, deterministic JSON (sorted keys are *not* forced: field order is meaningful)."""
    if isinstance(obj, BaseModel):
        return obj.model_dump_json(exclude_defaults=False)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old or the new file, never half."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, obj: Any, *, indent: int = 2) -> None:
    """Atomically write ``obj`` as pretty JSON."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


def write_jsonl(path: str | Path, records: Iterable[Any]) -> None:
    """Atomically write records (models or plain values), one JSON object per line."""
    atomic_write_text(path, "".join(dumps(r) + "\n" for r in records))


def repair_torn_tail(path: str | Path) -> int:
    """Cut a JSONL file back to its last complete line; return the bytes removed.

    A process killed mid-write can leave a last line without its newline, or with a newline
    but broken JSON. Both are removed; complete lines are never touched.
    """
    p = Path(path)
    if not p.exists():
        return 0
    data = p.read_bytes()
    keep = len(data)
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
    else:
        # last complete line must decode; otherwise it was torn then followed by a newline
        start = data.rfind(b"\n", 0, max(len(data) - 1, 0)) + 1
        last = data[start:keep].strip()
        if last:
            try:
                json.loads(last)
            except (json.JSONDecodeError, UnicodeDecodeError):
                keep = start
    removed = len(data) - keep
    if removed:
        with p.open("r+b") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
    return removed


class JsonlAppender:
    """Append-only JSONL writer: one complete line per record, flushed per record.

    Every record is flushed to the operating system at once, so a killed process loses
    nothing that ``write`` returned from. ``fsync_interval`` bounds how often the file is
    also forced to disk (protection against power loss or an OS crash): 0 fsyncs every
    line, None never until ``close``; a torn tail after a crash is cut by
    :func:`repair_torn_tail` on resume.
    """

    def __init__(self, path: str | Path, *, fsync_interval: float | None = 0.0, fsync: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8", newline="\n")
        self._fsync_interval = fsync_interval if fsync else None
        self._last_sync = time.monotonic()

    def write(self, record: Any) -> None:
        """Append one record as a complete line."""
        self._fh.write(dumps(record) + "\n")
        self._fh.flush()
        if self._fsync_interval is not None:
            now = time.monotonic()
            if now - self._last_sync >= self._fsync_interval:
                os.fsync(self._fh.fileno())
                self._last_sync = now

    def close(self) -> None:
        """Force the file to disk and close it."""
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
