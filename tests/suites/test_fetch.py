"""``petool.suites.fetch`` against a local HTTP server on 127.0.0.1 and a fake Hugging Face
client: downloads, verification, atomic replacement, and clear errors; then hostile input:
destinations petool does not own, zip-slip members, zip bombs, oversized, lying and slow
downloads, and SHA-256 pins. No network; the limits are lowered through the module values."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import shutil
import stat
import sys
import threading
import time
import types
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from petool.errors import ConfigError, DataMissingError, InputError, RunError
from petool.suites import fetch as fetch_mod
from petool.suites.fetch import (
    MARKER,
    SOURCES,
    GitHubSource,
    archive,
    cache_dir,
    download,
    fetch,
    require_data,
)
from petool.suites.petoolbench.files import read_json_document

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TOOLSPECTRUM = SHARED / "toolspectrum"
PETOOLBENCH_SAMPLE = SHARED / "petoolbench" / "user_entries_test_sample.json"


class _Server:
    """Serves ``routes`` (path -> (status, body, headers)) on 127.0.0.1."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    srv = _Server()
    monkeypatch.setenv("PETOOL_FETCH_BASE_URL", srv.base)
    yield srv
    srv.close()


def _zip(files: dict[str, bytes], top: str = "Repo-abc123") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{top}/", b"")
        for rel, data in files.items():
            archive.writestr(f"{top}/{rel}", data)
        archive.writestr(f"{top}/README.md", b"# not needed\n")
    return buf.getvalue()


FAKE = GitHubSource(
    owner="someone",
    repo="fakebench",
    ref="abc123",
    files=("data/tasks.json", "prompts/p.txt"),
    min_records={"data/tasks.json": 2},
)
GOOD = {"data/tasks.json": json.dumps([{"q": 1}, {"q": 2}]).encode(), "prompts/p.txt": b"hi"}
ROUTE = "/someone/fakebench/zip/abc123"


@pytest.fixture
def fake_source(monkeypatch: pytest.MonkeyPatch) -> GitHubSource:
    monkeypatch.setitem(SOURCES, "fakebench", FAKE)
    return FAKE


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".fetch-" in p.name)


def test_fetch_extracts_needed_files_and_records_provenance(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    payload = _zip(GOOD)
    server.routes[ROUTE] = (200, payload, {})
    seen: list[tuple[int, int | None]] = []
    dest = fetch(
        "fakebench", tmp_path / "fb", progress=lambda done, total: seen.append((done, total))
    )
    assert dest == tmp_path / "fb"
    assert seen[-1] == (len(payload), len(payload))
    assert (dest / "data/tasks.json").read_bytes() == GOOD["data/tasks.json"]
    assert (dest / "prompts/p.txt").read_bytes() == b"hi"
    assert not (dest / "README.md").exists()
    record = json.loads((dest / MARKER).read_text())
    assert record["commit"] == "abc123" and record["source"] == server.base + ROUTE
    assert set(record["files"]) == set(GOOD)
    assert _leftovers(tmp_path) == []


def test_default_destination_is_the_cache(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PETOOL_DATA_DIR", str(tmp_path / "cache"))
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    assert fetch("fakebench") == tmp_path / "cache" / "fakebench" == cache_dir("fakebench")
    assert require_data("fakebench", None, FAKE.files) == cache_dir("fakebench")


def _corrupt_zip(member: str) -> bytes:
    """The archive with bytes of one member's compressed data overwritten."""
    files = {**GOOD, "data/tasks.json": json.dumps([{"q": i} for i in range(200)]).encode()}
    data = bytearray(_zip(files))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(f"Repo-abc123/{member}")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 2 : start + 8] = b"\xff" * 6
    return bytes(data)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (_zip(GOOD)[:200], {}, r"not a valid zip"),  # cut short, length matches what is sent
        (_corrupt_zip("data/tasks.json"), {}, r"not a valid zip"),
        (_corrupt_zip("README.md"), {}, r"not a valid zip"),
        (b"<html>rate limited</html>", {}, r"not a valid zip"),
        (_zip({"data/tasks.json": GOOD["data/tasks.json"]}), {}, r"lacks prompts/p\.txt"),
        (_zip({**GOOD, "data/tasks.json": b"[1, 2"}), {}, r"tasks\.json is not valid JSON"),
        (_zip({**GOOD, "data/tasks.json": b"[1]"}), {}, r"holds 1 records, expected at least 2"),
    ],
)
def test_bad_archives_fail_clearly_and_write_nothing(
    server: _Server,
    fake_source: GitHubSource,
    tmp_path: Path,
    body: bytes,
    headers: dict[str, str],
    expected: str,
) -> None:
    server.routes[ROUTE] = (200, body, headers)
    with pytest.raises(RunError, match=expected) as err:
        fetch("fakebench", tmp_path / "fb")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "fb").exists()
    assert _leftovers(tmp_path) == []


def test_truncated_transfer_is_caught_by_content_length(
    fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = _zip(GOOD)

    class Short(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])  # then the connection closes

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Short)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        monkeypatch.setenv("PETOOL_FETCH_BASE_URL", f"http://{host!s}:{port}")
        with pytest.raises(RunError, match=r"truncated|download failed"):
            fetch("fakebench", tmp_path / "fb")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert not (tmp_path / "fb").exists()
    assert _leftovers(tmp_path) == []


def test_http_error_and_unknown_name(server: _Server, fake_source: GitHubSource, tmp_path: Path):
    with pytest.raises(RunError, match=r"HTTP 404"):
        fetch("fakebench", tmp_path / "fb")
    with pytest.raises(ConfigError, match=r"known: .*toolspectrum"):
        fetch("nobench", tmp_path / "nb")


def test_failed_refetch_keeps_the_old_data(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = fetch("fakebench", tmp_path / "fb")
    server.routes[ROUTE] = (200, b"garbage", {})
    with pytest.raises(RunError):
        fetch("fakebench", dest)
    assert (dest / "data/tasks.json").read_bytes() == GOOD["data/tasks.json"]
    newer = {**GOOD, "prompts/p.txt": b"new"}
    server.routes[ROUTE] = (200, _zip(newer), {})
    fetch("fakebench", dest)
    assert (dest / "prompts/p.txt").read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not TOOLSPECTRUM.is_dir(), reason=f"no ToolSpectrum data at {TOOLSPECTRUM}")
def test_toolspectrum_pinned_archive_is_verified_and_loads(server: _Server, tmp_path: Path):
    source = SOURCES["toolspectrum"]
    assert isinstance(source, GitHubSource)
    files = {rel: (TOOLSPECTRUM / rel).read_bytes() for rel in source.files}
    route = f"/BUAA-IRIP-LLM/ToolSpectrum/zip/{source.ref}"
    server.routes[route] = (200, _zip(files, top=f"ToolSpectrum-{source.ref}"), {})
    dest = fetch("toolspectrum", tmp_path / "ts")
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == sorted(
        [*source.files, MARKER]
    )
    from petool.suites.toolspectrum import load_toolspectrum

    assert len(load_toolspectrum(dest).tasks) == 1002
    # one changed byte: the pinned hash catches it and nothing is written
    files["prompts/prompt_call_api.txt"] += b" "
    server.routes[route] = (200, _zip(files, top=f"ToolSpectrum-{source.ref}"), {})
    with pytest.raises(RunError, match=r"prompt_call_api\.txt has SHA-256"):
        fetch("toolspectrum", tmp_path / "ts2")
    assert not (tmp_path / "ts2").exists()


def _fake_hub(monkeypatch: pytest.MonkeyPatch, write: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def snapshot_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        write(Path(kwargs["local_dir"]))
        return str(kwargs["local_dir"])

    module = types.ModuleType("huggingface_hub")
    module.snapshot_download = snapshot_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)
    return calls


@pytest.mark.skipif(not PETOOLBENCH_SAMPLE.is_file(), reason="no PEToolBench sample")
def test_hub_snapshot_for_petoolbench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(root: Path) -> None:
        (root / "dataset_test").mkdir(parents=True)
        shutil.copyfile(PETOOLBENCH_SAMPLE, root / "dataset_test" / "user_entries_test.json")
        (root / "README.md").write_text("card")

    calls = _fake_hub(monkeypatch, write)
    dest = fetch("petoolbench", tmp_path / "pb")
    assert calls[0]["repo_id"] == "travisxu/PEToolBench"
    assert calls[0]["repo_type"] == "dataset"
    assert (dest / "dataset_test" / "user_entries_test.json").is_file()
    record = json.loads((dest / MARKER).read_text())
    assert record["source"] == "hf://datasets/travisxu/PEToolBench"
    assert "dataset_test/user_entries_test.json" in record["files"]


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda root: (root / "README.md").write_text("card"), r"no file matching"),
        (
            lambda root: (root / "user_entries_test.json").write_text('[{"entry_id": 1'),
            r"not valid JSON",
        ),
        (lambda root: (root / "user_entries_test.json").write_text("[]"), r"holds 0 records"),
    ],
)
def test_hub_snapshot_verification_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Any, expected: str
) -> None:
    _fake_hub(monkeypatch, write)
    with pytest.raises(RunError, match=expected):
        fetch("petoolbench", tmp_path / "pb")
    assert not (tmp_path / "pb").exists()
    assert _leftovers(tmp_path) == []


def test_hub_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(root: Path) -> None:
        raise OSError("connection reset")

    _fake_hub(monkeypatch, boom)
    with pytest.raises(RunError, match=r"hf://datasets/travisxu/PEToolBench: download failed"):
        fetch("petoolbench", tmp_path / "pb")
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(ConfigError, match=r"pip install huggingface_hub"):
        fetch("petoolbench", tmp_path / "pb")
    assert not (tmp_path / "pb").exists()


def test_cache_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETOOL_DATA_DIR", str(tmp_path / "d"))
    assert cache_dir("ptbench") == tmp_path / "d" / "ptbench"
    monkeypatch.delenv("PETOOL_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir("ptbench") == tmp_path / "x" / "petool" / "data" / "ptbench"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir("ptbench") == tmp_path / "home" / ".cache" / "petool" / "data" / "ptbench"


def test_require_data_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETOOL_DATA_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataMissingError) as err:
        require_data("ptbench", None, ["test_trained_user/data.json"])
    message = str(err.value)
    assert message.startswith(str(tmp_path / "cache" / "ptbench" / "test_trained_user"))
    assert "run `petool data fetch ptbench`" in message and "\n" not in message
    with pytest.raises(DataMissingError, match=r"no such directory.*--data DIR"):
        require_data("ptbench", tmp_path / "nope", ["a.json"])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "b.json").write_text("[]")
    assert require_data("x", tmp_path / "mine", [("a.json", "b.json")]) == tmp_path / "mine"
    with pytest.raises(DataMissingError, match=r"a\.json or .*c\.json: not found"):
        require_data("x", tmp_path / "mine", [("a.json", "c.json")])


def test_module_has_no_network_default_in_tests() -> None:
    # the sources point at the real hosts; tests reach them only through the env override
    assert fetch_mod.DEFAULT_BASE_URL == "https://codeload.github.com"
    toolspectrum = SOURCES["toolspectrum"]
    assert isinstance(toolspectrum, GitHubSource)
    assert toolspectrum.ref == "83585ddaef64aa02e9cdf8cc3c58627ee94cf50a"
    assert set(toolspectrum.sha256) == set(toolspectrum.files)


# --- destinations: petool writes only where it owns the folder ------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _users_folder(path: Path) -> dict[str, bytes]:
    (path / "src").mkdir(parents=True)
    (path / "important-notes.txt").write_text("do not lose me")
    (path / "src" / "code.py").write_text("print('mine')\n")
    return _snapshot(path)


def test_a_folder_petool_did_not_fetch_is_refused_untouched(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = tmp_path / "project"
    before = _users_folder(dest)
    with pytest.raises(InputError) as err:
        fetch("fakebench", dest)
    message = str(err.value)
    assert message.startswith(f"{dest}: not empty and has no {MARKER}") and "\n" not in message
    assert err.value.exit_code == 2
    assert _snapshot(dest) == before
    assert server.requests == []  # refused before downloading anything
    assert _leftovers(tmp_path) == []


def test_cli_refuses_a_users_folder_in_one_line(
    server: _Server,
    fake_source: GitHubSource,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from petool.cli import main

    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = tmp_path / "project"
    before = _users_folder(dest)
    assert main(["data", "fetch", "fakebench", "--dest", str(dest)]) == 2
    lines = capfd.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(dest) in lines[0] and lines[0].startswith("error: ")
    assert _snapshot(dest) == before


def test_an_empty_folder_is_used_and_petools_own_is_replaced(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = tmp_path / "fb"
    dest.mkdir()
    fetch("fakebench", dest)
    assert set(_snapshot(dest)) == {*GOOD, MARKER}
    server.routes[ROUTE] = (200, _zip({**GOOD, "prompts/p.txt": b"new"}), {})
    fetch("fakebench", dest)
    assert (dest / "prompts/p.txt").read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda d: (d / "my-results.jsonl").write_text("{}"), r"holds my-results\.jsonl"),
        (lambda d: (d / "data" / "notes.txt").write_text("x"), r"holds data/notes\.txt"),
        (lambda d: (d / MARKER).write_text("{not json"), r"unreadable"),
    ],
)
def test_a_file_added_to_petools_folder_stops_the_refetch(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, spoil: Any, expected: str
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = fetch("fakebench", tmp_path / "fb")
    spoil(dest)
    before = _snapshot(dest)
    with pytest.raises(InputError, match=expected):
        fetch("fakebench", dest)
    assert _snapshot(dest) == before


def test_a_file_written_during_the_download_is_kept(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = fetch("fakebench", tmp_path / "fb")

    def meanwhile(done: int, total: int | None) -> None:
        (dest / "written-meanwhile.txt").write_text("mine")

    with pytest.raises(InputError, match=r"holds written-meanwhile\.txt"):
        fetch("fakebench", dest, progress=meanwhile)
    assert (dest / "written-meanwhile.txt").read_text() == "mine"
    assert (dest / "data/tasks.json").read_bytes() == GOOD["data/tasks.json"]
    assert _leftovers(tmp_path) == []


def test_a_file_as_destination_is_refused(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    (tmp_path / "fb").write_text("a file")
    with pytest.raises(InputError, match=r"exists and is not a directory"):
        fetch("fakebench", tmp_path / "fb")
    assert (tmp_path / "fb").read_text() == "a file"


def test_a_symlink_to_petools_folder_is_followed(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    real = fetch("fakebench", tmp_path / "real")
    (tmp_path / "link").symlink_to(real)
    assert fetch("fakebench", tmp_path / "link") == real
    assert (tmp_path / "link").is_symlink() and (real / MARKER).is_file()


# --- zip-slip: any unsafe member refuses the whole archive -----------------------------------


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


UNSAFE = [
    ("../evil.txt", r"a '\.\.' component"),
    ("Repo-abc123/../../evil.txt", r"a '\.\.' component"),
    ("Repo-abc123\\..\\..\\evil.txt", r"a '\.\.' component"),
    ("/tmp/evil.txt", r"an absolute path"),
    ("C:/evil.txt", r"an absolute path"),
    (_symlink("Repo-abc123/link"), r"a symbolic link"),
]


def _with_member(base: bytes, member: str | zipfile.ZipInfo, data: bytes = b"/etc/passwd") -> bytes:
    buf = io.BytesIO(base)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr(member, data)
    return buf.getvalue()


@pytest.mark.parametrize(("member", "expected"), UNSAFE)
def test_github_archive_with_an_unsafe_member_is_refused(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, member: Any, expected: str
) -> None:
    server.routes[ROUTE] = (200, _with_member(_zip(GOOD), member), {})
    with pytest.raises(RunError, match=rf"refused: member .*is {expected}") as err:
        fetch("fakebench", tmp_path / "fb")
    assert "\n" not in str(err.value) and err.value.exit_code == 1
    assert not (tmp_path / "fb").exists() and not (tmp_path / "evil.txt").exists()
    assert _leftovers(tmp_path) == []


def _json_zip(path: Path, extra: str | zipfile.ZipInfo | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("user_entries_test.json", json.dumps([{"entry_id": 1}]))
        if extra is not None:
            zf.writestr(extra, b"x")
    return path


@pytest.mark.parametrize(("member", "expected"), UNSAFE)
def test_petoolbench_json_zip_with_an_unsafe_member_is_refused(
    tmp_path: Path, member: Any, expected: str
) -> None:
    path = _json_zip(tmp_path / "user_entries_test.json.zip", member)
    with pytest.raises(InputError, match=rf"member .*is {expected}") as err:
        read_json_document(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
    assert read_json_document(_json_zip(tmp_path / "ok.json.zip")) == [{"entry_id": 1}]


def test_hub_download_with_an_unsafe_json_zip_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_hub(monkeypatch, lambda root: _json_zip(root / "user_entries_test.json.zip", "../x"))
    with pytest.raises(RunError, match=r"user_entries_test\.json\.zip: refused: member '\.\./x'"):
        fetch("petoolbench", tmp_path / "pb")
    assert not (tmp_path / "pb").exists()


def test_hub_metadata_folder_does_not_block_a_refetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write(root: Path) -> None:
        (root / "user_entries_test.json").write_text(json.dumps([{"entry_id": 1}]))
        (root / ".cache" / "huggingface").mkdir(parents=True)
        (root / ".cache" / "huggingface" / ".gitignore").write_text("*")

    _fake_hub(monkeypatch, write)
    monkeypatch.setattr(fetch_mod, "_check_loads", lambda name, tree: None)
    dest = fetch("petoolbench", tmp_path / "pb")
    assert fetch("petoolbench", dest) == dest


# --- limits: zip bombs, oversized, lying and slow downloads -----------------------------------


def _limits(monkeypatch: pytest.MonkeyPatch, **values: float) -> None:
    for name, value in values.items():
        module = download if hasattr(download, name) else archive
        monkeypatch.setattr(module, name, value)


@functools.cache
def _bomb() -> bytes:
    """256 MiB of zeros in about 250 KB, beside the good files (a member petool skips)."""
    buf = io.BytesIO(_zip(GOOD))
    with (
        zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf,
        zf.open("Repo-abc123/bomb.bin", "w") as out,
    ):
        block = bytes(1 << 20)
        for _ in range(256):
            out.write(block)
    return buf.getvalue()


def test_zip_bomb_is_refused_before_it_is_unpacked(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = _bomb()
    assert len(payload) < 1 << 20
    server.routes[ROUTE] = (200, payload, {})
    _limits(monkeypatch, MAX_MEMBER_BYTES=1 << 20)
    started = time.monotonic()
    with pytest.raises(
        RunError,
        match=r"'Repo-abc123/bomb\.bin' unpacks to more than "
        r"MAX_MEMBER_BYTES = 1048576 bytes \(268435456\)",
    ) as err:
        fetch("fakebench", tmp_path / "fb")
    assert time.monotonic() - started < 5 and "\n" not in str(err.value)
    assert not (tmp_path / "fb").exists() and _leftovers(tmp_path) == []


def test_total_and_member_count_limits(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = _zip({**GOOD, **{f"pad/{i}.txt": b"x" * 1000 for i in range(20)}})
    server.routes[ROUTE] = (200, many, {})
    _limits(monkeypatch, MAX_TOTAL_BYTES=10_000)
    with pytest.raises(RunError, match=r"the archive unpacks to more than MAX_TOTAL_BYTES"):
        fetch("fakebench", tmp_path / "fb")
    _limits(monkeypatch, MAX_TOTAL_BYTES=1 << 20, MAX_MEMBERS=10)
    with pytest.raises(RunError, match=r"2[0-9] members, more than MAX_MEMBERS = 10"):
        fetch("fakebench", tmp_path / "fb")
    _limits(monkeypatch, MAX_MEMBERS=100)
    assert fetch("fakebench", tmp_path / "fb").is_dir()


def test_a_size_header_that_lies_is_caught(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the central directory says the bomb unpacks to 10 bytes (uncompressed size: offset 24)
    data = bytearray(_bomb())
    name = b"Repo-abc123/bomb.bin"
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.find(b"PK\x01\x02", entry + 1)
    data[entry + 24 : entry + 28] = (10).to_bytes(4, "little")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        assert zf.getinfo(name.decode()).file_size == 10
    server.routes[ROUTE] = (200, bytes(data), {})
    _limits(monkeypatch, MAX_MEMBER_BYTES=1 << 20)
    with pytest.raises(RunError) as err:
        fetch("fakebench", tmp_path / "fb")
    assert "\n" not in str(err.value) and not (tmp_path / "fb").exists()


def test_bytes_are_counted_while_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # zipfile stops at the declared size; the count is a second line of defence
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", bytes(300_000))
    with zipfile.ZipFile(path) as zf:
        reader = archive.Reader(zf)  # checked against the defaults
        _limits(monkeypatch, MAX_MEMBER_BYTES=100_000)
        with pytest.raises(archive.ArchiveError, match=r"more than MAX_MEMBER_BYTES"):
            reader.read(reader.members[0])
        _limits(monkeypatch, MAX_MEMBER_BYTES=1 << 20, MAX_TOTAL_BYTES=500_000)
        reader.read(reader.members[0])
        with pytest.raises(archive.ArchiveError, match=r"more than MAX_TOTAL_BYTES"):
            reader.read(reader.members[0])


@contextlib.contextmanager
def _handler_server(monkeypatch: pytest.MonkeyPatch, do_get: Any) -> Iterator[None]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(OSError):  # the client hung up: expected here
                do_get(self)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    monkeypatch.setenv("PETOOL_FETCH_BASE_URL", f"http://{host!s}:{port}")
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()


def _padded() -> bytes:
    """A good archive of about 20 KB (an incompressible member petool skips)."""
    return _with_member(_zip(GOOD), "Repo-abc123/noise.bin", os.urandom(20_000))


def test_a_content_length_over_the_cap_is_refused_unread(
    server: _Server, fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = _padded()
    server.routes[ROUTE] = (200, payload, {})
    _limits(monkeypatch, MAX_DOWNLOAD_BYTES=10_000)
    seen: list[int] = []
    with pytest.raises(
        RunError, match=rf"Content-Length {len(payload)} is more than MAX_DOWNLOAD_BYTES = 10000"
    ):
        fetch("fakebench", tmp_path / "fb", progress=lambda done, total: seen.append(done))
    assert seen == [] and not (tmp_path / "fb").exists() and _leftovers(tmp_path) == []


def test_a_stream_without_length_stops_at_the_cap(
    fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: the body ends when the connection does
        for _ in range(128):  # 8 MiB
            handler.wfile.write(bytes(1 << 16))
            sent.append(1)

    _limits(monkeypatch, MAX_DOWNLOAD_BYTES=256 << 10)
    seen: list[int] = []
    with (
        _handler_server(monkeypatch, endless),
        pytest.raises(RunError, match=r"more than MAX_DOWNLOAD_BYTES = 262144 bytes arrived"),
    ):
        fetch("fakebench", tmp_path / "fb", progress=lambda done, total: seen.append(done))
    assert max(seen) <= 256 << 10
    assert not (tmp_path / "fb").exists() and _leftovers(tmp_path) == []


def test_bytes_past_content_length_are_never_read(
    fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = _zip(GOOD)

    def too_long(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload + bytes(4 << 20))

    _limits(monkeypatch, MAX_DOWNLOAD_BYTES=len(payload))
    seen: list[int] = []
    with _handler_server(monkeypatch, too_long):
        dest = fetch("fakebench", tmp_path / "fb", progress=lambda d, t: seen.append(d))
    assert seen[-1] == len(payload)
    assert (
        json.loads((dest / MARKER).read_text())["archive_sha256"]
        == hashlib.sha256(payload).hexdigest()
    )


def test_a_slow_drip_stops_at_the_deadline(
    fake_source: GitHubSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(100):  # 10 bytes every 20 ms: 2 s, each read well inside TIMEOUT_S
            handler.wfile.write(b"PK\x03\x04zzzzzz")
            handler.wfile.flush()
            time.sleep(0.02)

    _limits(monkeypatch, DEADLINE_S=0.3)
    started = time.monotonic()
    with (
        _handler_server(monkeypatch, drip),
        pytest.raises(RunError, match=r"not done within DEADLINE_S = 0\.3 s") as err,
    ):
        fetch("fakebench", tmp_path / "fb")
    assert time.monotonic() - started < 1.5 and "\n" not in str(err.value)
    assert not (tmp_path / "fb").exists() and _leftovers(tmp_path) == []


# --- SHA-256 pins ------------------------------------------------------------------------------


def _pins(files: dict[str, bytes]) -> dict[str, str]:
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


def test_a_pinned_file_that_differs_is_refused_and_the_old_data_stays(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SOURCES, "fakebench", dataclasses.replace(FAKE, sha256=_pins(GOOD)))
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = fetch("fakebench", tmp_path / "fb")
    assert json.loads((dest / MARKER).read_text())["pinned"] is True
    before = _snapshot(dest)
    server.routes[ROUTE] = (200, _zip({**GOOD, "prompts/p.txt": b"hi!"}), {})
    with pytest.raises(RunError, match=r"prompts/p\.txt has SHA-256 .*not the pinned data"):
        fetch("fakebench", dest)
    assert _snapshot(dest) == before and _leftovers(tmp_path) == []


def test_unpinned_sources_say_so_in_the_marker(
    server: _Server, fake_source: GitHubSource, tmp_path: Path
) -> None:
    server.routes[ROUTE] = (200, _zip(GOOD), {})
    dest = fetch("fakebench", tmp_path / "fb")
    assert json.loads((dest / MARKER).read_text())["pinned"] is False


PTBENCH_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ptbench"


def test_ptbench_takes_pins_when_they_are_recorded(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SOURCES["ptbench"]
    assert isinstance(source, GitHubSource)
    files = {rel: (PTBENCH_FIXTURES / rel).read_bytes() for rel in source.files}
    # pins of the test's fixture files: they show the mechanism, they are not PTBench's
    monkeypatch.setitem(SOURCES, "ptbench", dataclasses.replace(source, sha256=_pins(files)))
    route = f"/hyfshadow/PTBench/zip/{source.ref}"
    server.routes[route] = (200, _zip(files, top=f"PTBench-{source.ref}"), {})
    dest = fetch("ptbench", tmp_path / "pt")
    assert json.loads((dest / MARKER).read_text())["pinned"] is True
    before = _snapshot(dest)
    first = source.files[0]
    server.routes[route] = (200, _zip({**files, first: files[first] + b" "}, top="PTBench-x"), {})
    with pytest.raises(RunError, match=rf"{first} has SHA-256"):
        fetch("ptbench", dest)
    assert _snapshot(dest) == before


def test_pins_are_well_formed() -> None:
    for name, source in SOURCES.items():
        if isinstance(source, GitHubSource):
            assert set(source.sha256) <= set(source.files), name
    toolspectrum, ptbench = SOURCES["toolspectrum"], SOURCES["ptbench"]
    assert isinstance(toolspectrum, GitHubSource) and toolspectrum.pinned
    # PTBench's pins are not recorded yet (docs/data.md says why); this changes with them
    assert isinstance(ptbench, GitHubSource) and not ptbench.pinned and not ptbench.sha256
    with pytest.raises(ValueError, match=r"not extracted"):
        dataclasses.replace(FAKE, sha256={"other.json": "0" * 64})
    with pytest.raises(ValueError, match=r"64 lowercase hex"):
        dataclasses.replace(FAKE, sha256={"prompts/p.txt": "abc"})
