"""``petool.suites.fetch`` against a local HTTP server on 127.0.0.1 and a fake Hugging Face
client: downloads, verification, atomic replacement, and clear errors. No network."""

from __future__ import annotations

import io
import json
import shutil
import sys
import threading
import types
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from petool.errors import ConfigError, DataMissingError, RunError
from petool.suites import fetch as fetch_mod
from petool.suites.fetch import (
    MARKER,
    SOURCES,
    GitHubSource,
    cache_dir,
    fetch,
    require_data,
)

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
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
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
