"""Public benchmark data: download, verify and cache it (``petool data fetch NAME``).

Sources (:mod:`.sources`):

* ``petoolbench`` — the Hugging Face dataset ``travisxu/PEToolBench``, downloaded whole with
  ``huggingface_hub.snapshot_download`` (imported lazily; ``pip install huggingface_hub``).
* ``ptbench`` — the GitHub archive of hyfshadow/PTBench at commit 9678ecc8.
* ``toolspectrum`` — the GitHub archive of BUAA-IRIP-LLM/ToolSpectrum at commit 83585dda.

GitHub archives come from ``https://codeload.github.com/<owner>/<repo>/zip/<ref>``; the
environment variable ``PETOOL_FETCH_BASE_URL`` replaces ``https://codeload.github.com`` (for
mirrors and tests). Only the files a suite needs are extracted.

Where (:mod:`.place`): ``fetch(name)`` writes to :func:`cache_dir` — ``$PETOOL_DATA_DIR/<name>``
when that variable is set, else ``$XDG_CACHE_HOME/petool/data/<name>``
(``~/.cache/petool/data/<name>``). ``fetch(name, dest)`` writes to ``dest`` instead (then pass
``--data dest`` to the suite). Either must be new, empty, or a folder petool fetched into
before (it holds ``.petool-fetch.json`` and only the files that lists); anything else is
refused, so a fetch never deletes a file petool did not write.

Hostile downloads: the transfer is bounded in bytes and time (:mod:`.download`), and every
zip — the GitHub archive and a ``.json.zip`` data file — is refused whole when any member is
absolute, has a ``..`` component, is a symbolic link, or exceeds the member, total or count
limits (:mod:`.archive`). Exceeded limits are :class:`RunError` lines naming the limit.

Verification before anything is put in place: the archive is a readable zip whose members
pass their CRC check (a truncated download is caught by its ``Content-Length`` too), every
expected file is there, pinned files have their known SHA-256 (ToolSpectrum's nine at the
pinned commit; PTBench's are not recorded yet), JSON files parse, data files are lists with
a sane number of records, and the suite's own loader reads the result (when the suite is
registered). All of it happens in a temporary folder beside the destination, which is
swapped in with a rename only when all checks pass, so a failed or interrupted fetch leaves
the old data (or nothing) behind, never half of it. ``.petool-fetch.json`` records the
source, the commit, whether every file was pinned, and each file's SHA-256.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from petool.errors import ConfigError, InputError, RunError
from petool.suites.fetch import archive
from petool.suites.fetch.place import (
    ENV_DATA_DIR,
    MARKER,
    cache_dir,
    check_destination,
    require_data,
    swap_in,
)
from petool.suites.fetch.sources import (
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
    SOURCES,
    GitHubSource,
    HubSource,
    Source,
    source,
)

if TYPE_CHECKING:
    from petool.suites.fetch.download import Progress

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_DATA_DIR",
    "MARKER",
    "SOURCES",
    "GitHubSource",
    "HubSource",
    "Source",
    "cache_dir",
    "fetch",
    "require_data",
]


_BAD_JSON: tuple[type[Exception], ...] = (
    UnicodeDecodeError,
    json.JSONDecodeError,
    *archive.CORRUPT,
)


def fetch(name: str, dest: Path | str | None = None, *, progress: Progress | None = None) -> Path:
    """Download a benchmark's data, verify it and put it in place atomically.

    Args:
        name: ``petoolbench``, ``ptbench`` or ``toolspectrum``.
        dest: the destination folder; None means :func:`cache_dir`. It must be new, empty
            or petool's own earlier fetch, whose contents are replaced only when the new
            download passed every check. A symbolic link is followed.
        progress: called with (bytes so far, total bytes or None) during an archive download.

    Returns:
        The destination folder.

    Raises:
        ConfigError: unknown name, or ``huggingface_hub`` missing for PEToolBench.
        InputError: the destination holds files petool did not fetch (nothing was touched).
        RunError: the download failed, exceeded a limit or did not pass verification
            (nothing was written).
    """
    src = source(name)
    target = Path(dest).expanduser() if dest is not None else cache_dir(name)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    check_destination(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging_dir = tempfile.TemporaryDirectory(
            prefix=f".{target.name}.fetch-", dir=target.parent, ignore_cleanup_errors=True
        )
    except OSError as exc:
        raise RunError(f"{target.parent}: cannot write there ({exc.strerror})") from None
    with staging_dir as staging_name:
        staging = Path(staging_name)
        tree = staging / "tree"
        tree.mkdir()
        if isinstance(src, GitHubSource):
            record = _fetch_github(name, src, staging / "archive.zip", tree, progress)
        else:
            record = _fetch_hub(name, src, tree)
        _check_loads(name, tree)
        record["fetched_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        (tree / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        swap_in(tree, target, staging)
    return target


def _check_loads(name: str, tree: Path) -> None:
    """Load the staged data with the suite's own loader (when it is registered)."""
    from petool.suites.registry import load_suite, registered_suites

    if name not in registered_suites():
        return
    try:
        load_suite(name, tree)
    except InputError as exc:
        raise RunError(f"{name}: the downloaded data does not load: {exc}") from None


def _extract(reader: archive.Reader, wanted: tuple[str, ...], tree: Path) -> dict[str, str]:
    """Write the ``wanted`` files (paths below GitHub's top folder) to ``tree``; read every
    other member too, so that each one's CRC is checked. Returns the files' SHA-256."""
    paths = {
        "/".join(PurePosixPath(m.filename).parts[1:]): m for m in reader.members if not m.is_dir()
    }
    missing = [f for f in wanted if f not in paths]
    if missing:
        raise RunError(f"the archive lacks {missing[0]} (is the commit right?)")
    hashes: dict[str, str] = {}
    for info in reader.members:
        rel = "/".join(PurePosixPath(info.filename).parts[1:])
        if info.is_dir() or rel not in wanted:
            for _ in reader.chunks(info):
                pass
            continue
        digest = hashlib.sha256()
        out = tree / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as dst:
            for chunk in reader.chunks(info):
                dst.write(chunk)
                digest.update(chunk)
        hashes[rel] = digest.hexdigest()
    return hashes


def _fetch_github(
    name: str, src: GitHubSource, archive_path: Path, tree: Path, progress: Progress | None
) -> dict[str, Any]:
    from petool.suites.fetch.download import download  # urllib only when downloading

    url = src.url()
    archive_sha = download(url, archive_path, progress)
    try:
        with zipfile.ZipFile(archive_path) as opened:
            hashes = _extract(archive.Reader(opened), src.files, tree)
    except archive.ArchiveError as exc:
        raise RunError(f"{url}: refused: {exc}") from None
    except RunError as exc:
        raise RunError(f"{url}: {exc}") from None
    except archive.CORRUPT as exc:
        raise RunError(
            f"{url}: the archive is not a valid zip (truncated or corrupt download); try again"
            f" ({exc})"
        ) from None
    _verify_files(
        name, tree, hashes, sha256=src.sha256, exact=src.exact_records, minimum=src.min_records
    )
    return {
        "name": name,
        "source": url,
        "repository": f"{src.owner}/{src.repo}",
        "commit": src.ref,
        "archive_sha256": archive_sha,
        "pinned": src.pinned,
        "files": hashes,
    }


def _hub_snapshot(src: HubSource, local_dir: Path) -> None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise ConfigError(
            "fetching petoolbench needs huggingface_hub: pip install huggingface_hub"
        ) from None
    try:
        snapshot_download(
            repo_id=src.repo_id,
            repo_type=src.repo_type,
            revision=src.revision,
            local_dir=str(local_dir),
        )
    except Exception as exc:  # the hub client raises many types; all mean "download failed"
        raise RunError(
            f"hf://{src.repo_type}s/{src.repo_id}: download failed: {type(exc).__name__}: {exc}"
        ) from None


def _fetch_hub(name: str, src: HubSource, tree: Path) -> dict[str, Any]:
    _hub_snapshot(src, tree)
    files = sorted(
        p.relative_to(tree).as_posix()
        for p in tree.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(tree).parts
    )
    matches = [f for f in files if any(fnmatch.fnmatch(f, pat) for pat in src.patterns)]
    if not matches:
        raise RunError(
            f"hf://{src.repo_type}s/{src.repo_id}: the download has no file matching "
            f"{' or '.join(src.patterns)} (has the dataset changed?)"
        )
    hashes: dict[str, str] = {}
    for rel in files:
        with (tree / rel).open("rb") as fh:
            hashes[rel] = hashlib.file_digest(fh, "sha256").hexdigest()
    matched = {rel: hashes[rel] for rel in matches}
    _verify_files(name, tree, matched, minimum=dict.fromkeys(matches, src.min_records))
    return {
        "name": name,
        "source": f"hf://{src.repo_type}s/{src.repo_id}",
        "revision": src.revision,
        "pinned": False,
        "files": hashes,
    }


def _read_json(path: Path) -> Any:
    """A JSON file, or the one JSON document inside a ``.json.zip``."""
    if path.name.endswith(".zip"):
        return json.loads(archive.read_one(path)[1].decode("utf-8-sig"))
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _verify_files(
    name: str,
    tree: Path,
    hashes: Mapping[str, str],
    *,
    sha256: Mapping[str, str] | None = None,
    exact: Mapping[str, int] | None = None,
    minimum: Mapping[str, int] | None = None,
) -> None:
    """Check every staged file (pinned hash, JSON, record count). Raises RunError."""
    sha256, exact, minimum = sha256 or {}, exact or {}, minimum or {}
    for rel, digest in hashes.items():
        expected = sha256.get(rel)
        if expected is not None and digest != expected:
            raise RunError(
                f"{name}: {rel} has SHA-256 {digest[:12]}…, expected {expected[:12]}…; the"
                " download is not the pinned data"
            )
        if not rel.endswith((".json", ".json.zip")):
            continue
        try:
            data = _read_json(tree / rel)
        except archive.ArchiveError as exc:
            raise RunError(f"{name}: {rel}: refused: {exc}") from None
        except _BAD_JSON as exc:
            raise RunError(
                f"{name}: {rel} is not valid JSON ({exc}); try the fetch again"
            ) from None
        count = len(data) if isinstance(data, list | dict) else 0
        wanted = exact.get(rel)
        if wanted is not None and count != wanted:
            raise RunError(f"{name}: {rel} holds {count} records, expected {wanted}")
        least = minimum.get(rel)
        if least is not None and count < least:
            raise RunError(f"{name}: {rel} holds {count} records, expected at least {least}")
