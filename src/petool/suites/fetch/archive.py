"""Zip archives read defensively: every member checked before any is read, bytes counted.

An archive is refused (:class:`ArchiveError`, one line) when any member — needed or not —
has an absolute name, a ``..`` component, or is a symbolic link or other special file (Unix
mode in the external attributes), when two members share a name, or when it exceeds a limit:

* ``MAX_MEMBERS`` members (default 50 000);
* ``MAX_MEMBER_BYTES`` uncompressed bytes in one member (default 1 GiB);
* ``MAX_TOTAL_BYTES`` uncompressed bytes in all members together (default 4 GiB).

The sizes are checked twice: as the archive declares them (``ZipInfo.file_size``) before
anything is read, and as bytes actually come out of the decompressor, since headers can lie.
Every use reads the module's values at call time, so they can be changed at run time.
Corruption is left to :mod:`zipfile` (:data:`CORRUPT` lists what it raises).
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

MAX_MEMBERS = 50_000
MAX_MEMBER_BYTES = 1 << 30
MAX_TOTAL_BYTES = 4 << 30
CHUNK = 1 << 16

CORRUPT: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    zlib.error,
    NotImplementedError,  # an unsupported compression method
)
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"[A-Za-z]:")


class ArchiveError(Exception):
    """The archive is unsafe or too large; the message is one line saying why."""


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why a member could escape the folder it is unpacked into, or None."""
    name = info.filename
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if ".." in _SEPARATORS.split(name):
        return "a '..' component"
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return "a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a special file"
    return None


def _too_big(what: str, size: int, limit_name: str, limit: int) -> ArchiveError:
    return ArchiveError(f"{what} unpacks to more than {limit_name} = {limit} bytes ({size})")


def check_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Every member of ``archive``, after checking them all. Raises ArchiveError."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{len(infos)} members, more than MAX_MEMBERS = {MAX_MEMBERS}")
    names: set[str] = set()
    total = 0
    for info in infos:
        reason = unsafe_reason(info)
        if reason is not None:
            raise ArchiveError(f"member {info.filename!r} is {reason}; refused")
        if info.filename in names:
            raise ArchiveError(f"member {info.filename!r} is in the archive twice; refused")
        names.add(info.filename)
        if info.file_size > MAX_MEMBER_BYTES:
            member = f"member {info.filename!r}"
            raise _too_big(member, info.file_size, "MAX_MEMBER_BYTES", MAX_MEMBER_BYTES)
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise _too_big("the archive", total, "MAX_TOTAL_BYTES", MAX_TOTAL_BYTES)
    return infos


class Reader:
    """The members of one archive, checked on opening, read with their bytes counted."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members = check_members(archive)
        self.total = 0

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The uncompressed bytes of ``info``; zipfile checks the CRC at the end."""
        size = 0
        with self.archive.open(info) as src:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                self.total += len(chunk)
                if size > MAX_MEMBER_BYTES:
                    member = f"member {info.filename!r}"
                    raise _too_big(member, size, "MAX_MEMBER_BYTES", MAX_MEMBER_BYTES)
                if self.total > MAX_TOTAL_BYTES:
                    raise _too_big("the archive", self.total, "MAX_TOTAL_BYTES", MAX_TOTAL_BYTES)
                yield chunk

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The whole member, within the limits."""
        return b"".join(self.chunks(info))


def read_one(path: Path, pick: str | None = None) -> tuple[str, bytes]:
    """(name, bytes) of the one ``.json`` member of a ``.json.zip`` file at ``path``.

    macOS resource forks (``__MACOSX/``, ``._*``) are ignored; when several ``.json``
    members remain, the one whose file name is ``pick`` is taken.

    Raises:
        ArchiveError: unsafe, too large, or not exactly one ``.json`` member.
        OSError, and the :data:`CORRUPT` errors.
    """
    with zipfile.ZipFile(path) as archive:
        reader = Reader(archive)
        members = [
            m
            for m in reader.members
            if m.filename.endswith(".json")
            and not m.filename.startswith("__MACOSX/")
            and not Path(m.filename).name.startswith("._")
        ]
        if len(members) > 1 and pick is not None:
            members = [m for m in members if Path(m.filename).name == pick] or members
        if len(members) != 1:
            found = ", ".join(m.filename for m in members) or "none"
            raise ArchiveError(f"expected one .json file inside the zip archive, found {found}")
        return members[0].filename, reader.read(members[0])
