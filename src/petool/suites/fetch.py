"""Public benchmark data: download, verify and cache it (``petool data fetch NAME``).

Sources:

* ``petoolbench`` — the Hugging Face dataset ``travisxu/PEToolBench``, downloaded whole with
  ``huggingface_hub.snapshot_download`` (imported lazily; ``pip install huggingface_hub``).
* ``ptbench`` — the GitHub archive of hyfshadow/PTBench at commit 9678ecc8.
* ``toolspectrum`` — the GitHub archive of BUAA-IRIP-LLM/ToolSpectrum at commit 83585dda.

GitHub archives come from ``https://codeload.github.com/<owner>/<repo>/zip/<ref>``; the
environment variable ``PETOOL_FETCH_BASE_URL`` replaces ``https://codeload.github.com`` (for
mirrors and tests). Only the files a suite needs are extracted.

Where: ``fetch(name)`` writes to :func:`cache_dir` — ``$PETOOL_DATA_DIR/<name>`` when that
variable is set, else ``$XDG_CACHE_HOME/petool/data/<name>`` (``~/.cache/petool/data/<name>``).
``fetch(name, dest)`` writes to ``dest`` instead (then pass ``--data dest`` to the suite).

Verification before anything is put in place: the archive is a readable zip whose members
pass their CRC check (a truncated download is caught by its ``Content-Length`` too), every
expected file is there, JSON files parse, data files are lists with a sane number of
records, for the pinned ToolSpectrum commit every file has its known SHA-256 (per file
rather than of the archive: GitHub does not promise byte-stable archives), and the suite's
own loader reads the result (when the suite is registered). The download and
extraction happen in a temporary folder beside the destination, which is swapped in with a
rename only when all checks pass, so a failed or interrupted fetch leaves the old data (or
nothing) behind, never half of it. ``.petool-fetch.json`` in the destination records the
source, the commit and each file's SHA-256.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import http.client
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from petool.errors import ConfigError, DataMissingError, InputError, RunError

ENV_DATA_DIR = "PETOOL_DATA_DIR"
ENV_BASE_URL = "PETOOL_FETCH_BASE_URL"
DEFAULT_BASE_URL = "https://codeload.github.com"
MARKER = ".petool-fetch.json"
CHUNK = 1 << 16
TIMEOUT_S = 60.0

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class GitHubSource:
    """A GitHub repository at a commit: the files to extract and what they must hold."""

    owner: str
    repo: str
    ref: str
    files: tuple[str, ...]
    min_records: Mapping[str, int] = field(default_factory=dict)
    exact_records: Mapping[str, int] = field(default_factory=dict)
    sha256: Mapping[str, str] = field(default_factory=dict)

    def url(self) -> str:
        """The archive URL (``PETOOL_FETCH_BASE_URL`` overrides the host)."""
        base = os.environ.get(ENV_BASE_URL, DEFAULT_BASE_URL).rstrip("/")
        return f"{base}/{self.owner}/{self.repo}/zip/{self.ref}"


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face Hub repository; ``patterns`` must each match at least one file."""

    repo_id: str
    repo_type: str = "dataset"
    revision: str | None = None
    patterns: tuple[str, ...] = ()  # paths (globs) of which at least one must be there
    min_records: int = 1


Source = GitHubSource | HubSource

# ``sha256sum`` of the files at the pinned commit
_TOOLSPECTRUM_SHA256: dict[str, str] = {
    path: digest
    for digest, path in (
        line.split()
        for line in """
665455d4ff3b6fd1dde831b935da2f82c66b4229839265b5ebeba07a14b2ba24  api/API_description.json
954d9a3bcbca1139994cfe23e155172bd02343f3fd34a29b657e2be1dc137422  api/API_description_environment.json
c2fc3d1c06a403c5c2e3e8fe6179994279b2427f150fcf441f36052e4da55b19  api/API_description_persona.json
a21e958712818e223e0d9190f5c19d335d6fa43f75fda5292ce1b01bb751996f  data/dataset_environment.json
adf0ea32101ccdb7bd2dc8c6751bac2f5c6023638844222b005213fe8a856e32  data/dataset_persona.json
50b0abb433b0424ee99fa78cb9fc5ff8742f5ac0f33205ec0da7749b99508b57  data/dataset_persona_environment.json
790df72f86f152ec409c7bec41b26a27e72eae59d4c7e266e2a4664f013dfa69  prompts/prompt_call_api.txt
8478e677301b8929376ee45aa82f56cf4b3a8f8945081412c248fc48b9fee490  prompts/prompt_call_api_environment.txt
dca202f7b9d852ff03784d3089f7f1b4ac370e217a27e3cab64adfb577f615c3  prompts/prompt_call_api_persona.txt
""".strip().splitlines()  # noqa: E501
    )
}
SOURCES: dict[str, Source] = {
    "petoolbench": HubSource(
        repo_id="travisxu/PEToolBench",
        patterns=tuple(
            f"{folder}user_entries_test{mode}.json{zipped}"
            for folder in ("", "dataset_test/")
            for mode in ("", "_p", "_r", "_c")
            for zipped in ("", ".zip")
        ),
        min_records=1,
    ),
    "ptbench": GitHubSource(
        owner="hyfshadow",
        repo="PTBench",
        ref="9678ecc80b3b39fa9694f25662c44bf4245f0486",
        files=("test_untrained_user/data.json", "test_trained_user/data.json"),
        min_records={"test_untrained_user/data.json": 1, "test_trained_user/data.json": 1},
    ),
    "toolspectrum": GitHubSource(
        owner="BUAA-IRIP-LLM",
        repo="ToolSpectrum",
        ref="83585ddaef64aa02e9cdf8cc3c58627ee94cf50a",
        files=tuple(_TOOLSPECTRUM_SHA256),
        exact_records={
            "data/dataset_persona.json": 449,
            "data/dataset_environment.json": 220,
            "data/dataset_persona_environment.json": 333,
        },
        sha256=_TOOLSPECTRUM_SHA256,
    ),
}


def _source(name: str) -> Source:
    if name not in SOURCES:
        known = ", ".join(sorted(SOURCES))
        raise ConfigError(f"no public data named '{name}' (known: {known})")
    return SOURCES[name]


def cache_dir(name: str) -> Path:
    """Where petool keeps a benchmark's data (see the module docstring).

    Args:
        name: the benchmark (``petoolbench``, ``ptbench``, ``toolspectrum``).

    Returns:
        ``$PETOOL_DATA_DIR/<name>``, else ``$XDG_CACHE_HOME/petool/data/<name>``, else
        ``~/.cache/petool/data/<name>``. The folder may not exist.
    """
    root = os.environ.get(ENV_DATA_DIR)
    if root:
        return Path(root).expanduser() / name
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "petool" / "data" / name


def require_data(
    name: str, data_dir: Path | str | None, required_files: Sequence[str | Sequence[str]]
) -> Path:
    """The data directory of a suite, after checking that its files are there.

    Args:
        name: the benchmark name (used in the message and for the cache folder).
        data_dir: the directory the user gave (``--data``), or None for the cache.
        required_files: paths relative to the directory; an inner sequence of paths means
            "any one of these".

    Returns:
        The directory.

    Raises:
        DataMissingError: one line naming the first missing file and the command to run.
    """
    root = Path(data_dir).expanduser() if data_dir is not None else cache_dir(name)
    if data_dir is None:
        hint = f"run `petool data fetch {name}` (or pass --data DIR)"
    else:
        hint = f"pass --data DIR holding the {name} files, or run `petool data fetch {name}`"
    if data_dir is not None and not root.is_dir():
        raise DataMissingError(f"{root}: no such directory; {hint}")
    for item in required_files:
        options = [item] if isinstance(item, str) else list(item)
        if not any((root / option).is_file() for option in options):
            which = " or ".join(str(root / option) for option in options)
            raise DataMissingError(f"{which}: not found; {hint}")
    return root


def fetch(name: str, dest: Path | str | None = None, *, progress: Progress | None = None) -> Path:
    """Download a benchmark's data, verify it and put it in place atomically.

    Args:
        name: ``petoolbench``, ``ptbench`` or ``toolspectrum``.
        dest: the destination folder; None means :func:`cache_dir`. Its previous contents
            are replaced only when the new download passed every check.
        progress: called with (bytes so far, total bytes or None) during an archive download.

    Returns:
        The destination folder.

    Raises:
        ConfigError: unknown name, or ``huggingface_hub`` missing for PEToolBench.
        RunError: the download failed or did not pass verification (nothing was written).
    """
    source = _source(name)
    target = Path(dest).expanduser() if dest is not None else cache_dir(name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.fetch-", dir=target.parent))
    except OSError as exc:
        raise RunError(f"{target.parent}: cannot write there ({exc.strerror})") from None
    try:
        tree = staging / "tree"
        tree.mkdir()
        if isinstance(source, GitHubSource):
            record = _fetch_github(name, source, staging, tree, progress)
        else:
            record = _fetch_hub(name, source, tree)
        _check_loads(name, tree)
        record["fetched_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        (tree / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        _swap_in(tree, target, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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


def _download(url: str, path: Path, progress: Progress | None) -> str:
    """Stream ``url`` to ``path``; return the SHA-256 of the bytes. Raises RunError."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, path.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
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


def _member_map(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Archive members by path inside the repository (GitHub's top folder removed)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        parts = PurePosixPath(info.filename).parts
        if len(parts) >= 2:
            members["/".join(parts[1:])] = info
    return members


def _fetch_github(
    name: str, source: GitHubSource, staging: Path, tree: Path, progress: Progress | None
) -> dict[str, Any]:
    url = source.url()
    archive_path = staging / "archive.zip"
    archive_sha = _download(url, archive_path, progress)
    problem = f"{url}: the archive is not a valid zip (truncated or corrupt download); try again"
    try:
        with zipfile.ZipFile(archive_path) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"bad CRC in {bad}")
            members = _member_map(archive)
            missing = [f for f in source.files if f not in members]
            if missing:
                raise RunError(f"{url}: the archive lacks {missing[0]} (is the commit right?)")
            for rel in source.files:
                out = tree / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(members[rel]) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        raise RunError(f"{problem} ({exc})") from None
    hashes = _verify_files(
        name,
        tree,
        source.files,
        sha256=source.sha256,
        exact=source.exact_records,
        minimum=source.min_records,
        ref=source.ref,
    )
    return {
        "name": name,
        "source": url,
        "repository": f"{source.owner}/{source.repo}",
        "commit": source.ref,
        "archive_sha256": archive_sha,
        "files": hashes,
    }


def _hub_snapshot(source: HubSource, local_dir: Path) -> None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise ConfigError(
            "fetching petoolbench needs huggingface_hub: pip install huggingface_hub"
        ) from None
    try:
        snapshot_download(
            repo_id=source.repo_id,
            repo_type=source.repo_type,
            revision=source.revision,
            local_dir=str(local_dir),
        )
    except Exception as exc:  # the hub client raises many types; all mean "download failed"
        raise RunError(
            f"hf://{source.repo_type}s/{source.repo_id}: download failed: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def _fetch_hub(name: str, source: HubSource, tree: Path) -> dict[str, Any]:
    _hub_snapshot(source, tree)
    files = sorted(
        p.relative_to(tree).as_posix()
        for p in tree.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(tree).parts
    )
    matches = [f for f in files if any(fnmatch.fnmatch(f, pat) for pat in source.patterns)]
    if not matches:
        raise RunError(
            f"hf://{source.repo_type}s/{source.repo_id}: the download has no file matching "
            f"{' or '.join(source.patterns)} (has the dataset changed?)"
        )
    _verify_files(name, tree, matches, minimum=dict.fromkeys(matches, source.min_records))
    return {
        "name": name,
        "source": f"hf://{source.repo_type}s/{source.repo_id}",
        "revision": source.revision,
        "files": {f: _sha256(tree / f) for f in files},
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> Any:
    """A JSON file, or the one JSON document inside a ``.json.zip``."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            inner = [m for m in archive.namelist() if m.endswith(".json") and "__MACOSX" not in m]
            if len(inner) != 1:
                raise zipfile.BadZipFile(f"expected one .json inside, found {len(inner)}")
            return json.loads(archive.read(inner[0]).decode("utf-8-sig"))
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _record_count(data: Any) -> int:
    return len(data) if isinstance(data, list | dict) else 0


def _verify_files(
    name: str,
    tree: Path,
    files: Sequence[str],
    *,
    sha256: Mapping[str, str] | None = None,
    exact: Mapping[str, int] | None = None,
    minimum: Mapping[str, int] | None = None,
    ref: str = "",
) -> dict[str, str]:
    """Check every file (hash, JSON, record count); return their SHA-256. Raises RunError."""
    sha256, exact, minimum = sha256 or {}, exact or {}, minimum or {}
    hashes: dict[str, str] = {}
    for rel in files:
        path = tree / rel
        hashes[rel] = _sha256(path)
        expected = sha256.get(rel)
        if expected is not None and hashes[rel] != expected:
            raise RunError(
                f"{name}: {rel} has SHA-256 {hashes[rel][:12]}…, expected {expected[:12]}… "
                f"for commit {ref[:8]}; the download is not the pinned data"
            )
        if not rel.endswith((".json", ".json.zip")):
            continue
        try:
            data = _read_json(path)
        except (
            UnicodeDecodeError,
            json.JSONDecodeError,
            zipfile.BadZipFile,
            EOFError,
            zlib.error,
        ) as exc:
            raise RunError(
                f"{name}: {rel} is not valid JSON ({exc}); try the fetch again"
            ) from None
        count = _record_count(data)
        wanted = exact.get(rel)
        if wanted is not None and count != wanted:
            raise RunError(f"{name}: {rel} holds {count} records, expected {wanted}")
        least = minimum.get(rel)
        if least is not None and count < least:
            raise RunError(f"{name}: {rel} holds {count} records, expected at least {least}")
    return hashes


def _swap_in(tree: Path, target: Path, staging: Path) -> None:
    """Replace ``target`` by ``tree`` with renames (the old data is kept until the end)."""
    old = staging / "old"
    had_old = target.exists()
    if had_old:
        try:
            os.replace(target, old)
        except OSError as exc:
            raise RunError(f"{target}: cannot replace it ({exc.strerror})") from None
    try:
        os.replace(tree, target)
    except OSError as exc:
        if had_old:
            with contextlib.suppress(OSError):
                os.replace(old, target)
        raise RunError(f"{target}: cannot put the data in place ({exc.strerror})") from None
