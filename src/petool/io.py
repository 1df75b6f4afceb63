"""JSON and JSONL on disk: validation that names file, line and field; atomic writes.

Every reader raises :class:`~petool.errors.InputError` with one line of the form
``FILE:LINE: field 'a.b.0': expected ...`` so that the CLI can print it and exit 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

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


#: JSON nested deeper than this is refused (a task is about 6 levels deep).
MAX_JSON_DEPTH = 64
_SURROGATE = re.compile(r"\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}")
_LOW_SURROGATE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _may_hold_lone_surrogate(text: str) -> bool:
    """Whether a ``\\uD800``-``\\uDFFF`` escape in ``text`` is not part of a pair (fast:
    literal scanning; an escaped backslash before it may give a false alarm, which the exact
    check after it clears)."""
    for match in _SURROGATE.finditer(text):
        start, end = match.span()
        if match.group(1) in "89abAB":  # high: a low must follow
            if not _LOW_SURROGATE.match(text, end):
                return True
        elif not (start >= 6 and _SURROGATE.fullmatch(text, start - 6, start)):
            return True
    return False


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False


def decode_json(text: str, where: str, *, whole_file: bool = False) -> Any:
    """Decode one JSON document strictly; ``where`` (``FILE`` or ``FILE:LINE``) leads the error.

    Refused with one :class:`InputError` line: invalid JSON, a key given twice in one object,
    nesting deeper than :data:`MAX_JSON_DEPTH`, and lone UTF-16 surrogates (``"\\ud800"``),
    which no UTF-8 file can hold.
    """
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        at = f"{where}:{exc.lineno}" if whole_file else where
        raise InputError(f"{at}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    except _DuplicateKey as exc:
        raise InputError(f"{where}: key '{exc.key}' is given twice in one object") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if (text.count("[") + text.count("{") > MAX_JSON_DEPTH) and _depth_exceeds(
        value, MAX_JSON_DEPTH
    ):
        raise InputError(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if _may_hold_lone_surrogate(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                f"{where}: a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff)"
            ) from None
    return value


def _open_regular(p: Path) -> BinaryIO:
    """Open a regular file for reading; anything else (a FIFO, a device) is refused."""
    try:
        info = p.stat()
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{p}: is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{p}: not a regular file (a pipe or a device); expected a file")
    try:
        return p.open("rb")
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None


def _utf8(raw: bytes, where: str, offset: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not valid UTF-8 (byte {offset + exc.start} of the file: "
            f"0x{raw[exc.start]:02x})"
        ) from None


def iter_jsonl_raw(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, decoded_value)`` for each non-blank line of a JSONL file.

    Lines end in LF or CRLF; each is strict UTF-8 JSON (see :func:`decode_json`).
    """
    p = Path(path)
    offset = 0
    with _open_regular(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            where = f"{p}:{lineno}"
            line = _utf8(raw, where, offset)
            offset += len(raw)
            if not line.strip():
                continue
            yield lineno, decode_json(line, where)


def read_jsonl(path: str | Path, model: type[M]) -> list[M]:
    """Read a JSONL file of ``model`` records; any bad line raises InputError naming it."""
    return [parse_record(data, model, f"{path}:{lineno}") for lineno, data in iter_jsonl_raw(path)]


def read_json(path: str | Path) -> Any:
    """Read a JSON file; errors name the file, line and column."""
    p = Path(path)
    with _open_regular(p) as fh:
        raw = fh.read()
    return decode_json(_utf8(raw, str(p), 0), str(p), whole_file=True)


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


def claim_output_dir(
    path: str | Path,
    *,
    what: str,
    overwrite: bool = False,
    own: Callable[[Path], bool] | None = None,
    create: bool = True,
) -> Path:
    """Make ``path`` ready to be written as a ``what`` (e.g. "run directory"); return it.

    A missing directory is created; an empty one is used; a non-empty one only when ``own``
    says it is this command's own resumable output, or with ``overwrite``, which replaces it
    whole (never mixes two outputs). Everything else is one :class:`InputError` line: a path
    that is a file, a parent that is not a directory, a place that cannot be written.
    ``create=False`` only checks that it could be created (nothing is left behind when the
    command then stops before writing).
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"{p}: exists and is not a directory; choose a new {what}")
    if p.is_dir() and any(p.iterdir()):
        if own is not None and own(p):
            return p
        if not overwrite:
            raise InputError(
                f"{p}: not empty and not a {what} this command can continue; choose a new"
                " directory, or pass --overwrite to replace it whole"
            )
        try:
            shutil.rmtree(p)
        except OSError as exc:
            raise InputError(f"{p}: cannot replace it ({exc.strerror})") from None
    if not create:
        _check_creatable(p)
        return p
    try:
        p.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{p}: a parent of it is a file, not a directory") from None
    except NotADirectoryError:
        raise InputError(f"{p}: a parent of it is a file, not a directory") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(p, os.W_OK):
        raise InputError(f"{p}: not writable")
    return p


def _check_creatable(p: Path) -> None:
    """Refuse a directory path whose nearest existing ancestor is not a writable directory."""
    ancestor = p
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{p}: a parent of it ({ancestor}) is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{p}: cannot create it ({ancestor} is not writable)")
