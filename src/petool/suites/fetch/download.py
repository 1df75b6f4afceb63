"""One bounded HTTP download: a size cap, a total deadline, a digest of what arrived.

Limits (module values, read at call time):

* ``MAX_DOWNLOAD_BYTES`` (default 1 GiB): a larger ``Content-Length`` is refused before the
  body is read, and the transfer stops as soon as more bytes than that have arrived (a server
  that sends no length, or chunks without end). Never more than ``Content-Length`` is read.
* ``DEADLINE_S`` (default 1800 s): the whole transfer, checked after every read; a server
  dripping bytes slowly enough to dodge the socket timeout still stops there.
* ``TIMEOUT_S`` (default 60 s): one socket operation (connect, or a read that gets nothing).
"""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from petool.errors import RunError

MAX_DOWNLOAD_BYTES = 1 << 30
DEADLINE_S = 1800.0
TIMEOUT_S = 60.0
CHUNK = 1 << 16

Progress = Callable[[int, int | None], None]


def download(url: str, path: Path, progress: Progress | None = None) -> str:
    """Stream ``url`` to ``path`` within the limits; return the SHA-256 of the bytes.

    Raises:
        RunError: HTTP error, network failure, truncated transfer, or a limit exceeded
            (the one-line message names the limit).
    """
    deadline = time.monotonic() + DEADLINE_S
    digest = hashlib.sha256()
    cap = MAX_DOWNLOAD_BYTES
    try:
        with (
            urllib.request.urlopen(url, timeout=min(TIMEOUT_S, DEADLINE_S)) as response,
            path.open("wb") as out,
        ):
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > cap:
                raise RunError(
                    f"{url}: refused: Content-Length {total} is more than"
                    f" MAX_DOWNLOAD_BYTES = {cap} bytes"
                )
            done = 0
            while chunk := response.read1(CHUNK):  # whatever has arrived, up to CHUNK
                done += len(chunk)
                if done > cap:
                    raise RunError(
                        f"{url}: stopped: more than MAX_DOWNLOAD_BYTES = {cap} bytes arrived"
                    )
                if time.monotonic() > deadline:
                    raise RunError(
                        f"{url}: stopped: not done within DEADLINE_S = {DEADLINE_S:g} s"
                        f" ({done} bytes so far); try again"
                    )
                out.write(chunk)
                digest.update(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as exc:
        raise RunError(f"{url}: download failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RunError(f"{url}: download failed: {reason}") from None
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: the connection broke
        raise RunError(f"{url}: download failed: {type(exc).__name__}; try again") from None
    if total is not None and done != total:
        raise RunError(f"{url}: download truncated: got {done} of {total} bytes; try again")
    return digest.hexdigest()
