"""Load and crash measurements of ``petool serve`` (not a timed test).

    python benchmarks/serve_load.py load --requests 10000 --concurrency 200 \\
        [--postgres | --db URL] [--workers 4] [--backend ranker]
    python benchmarks/serve_load.py kill [--postgres | --db URL]

``load`` starts ``petool serve`` as a subprocess (``--upstream`` pointed at a loopback
OpenAI-compatible server, ``tests/serve/upstream_server.py``, run as its own process). Outside
the timing it registers one toolset and the 50 users' profiles, then sends rounds of
concurrent selects and proxy calls (8 per worker) until a round takes under 3 s, so every
worker has answered. Then it sends the mix — 35 % ``POST /v1/select``, 25 % bulk interactions
(3 items, client ids), 20 % ``POST /v1/feedback`` on earlier selections (select's and the
proxy's), 15 % ``POST /v1/chat/completions`` through the proxy (a third of them streamed), 5 %
history pages — over the 50 users, at most ``--concurrency`` in flight, and prints one JSON
line: p50 / p99 latency overall and per kind, requests/s and errors (any status but 200 / 201,
any transport error, a stream without ``[DONE]``).

``kill`` writes interactions with unique client ids from 32 writers, SIGKILLs the server
mid-load, restarts it and checks every acknowledged write is stored exactly once.

``--postgres`` starts a throwaway PostgreSQL server (``initdb`` + ``pg_ctl`` from
``/usr/lib/postgresql/*/bin``, as user ``postgres`` when run as root) and removes it after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ROOT / "tests" / "serve" / "upstream_server.py"
USERS = 50
TOOLS = [
    {
        "name": f"tool_{i}",
        "description": f"Weather forecast service {i}",
        "attributes": {"price": ["free", "paid"][i % 2], "speed": ["fast", "slow"][i // 2 % 2]},
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    for i in range(6)
]
OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": t["name"],
            "description": t["description"],
            "parameters": t["parameters"],
        },
    }
    for t in TOOLS
]
MIX = (
    ("select", 0.35),
    ("interactions", 0.25),
    ("feedback", 0.20),
    ("proxy", 0.15),
    ("history", 0.05),
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen, what: str) -> None:
    for _ in range(1200):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{what} did not start")


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server in a temporary folder; its asyncpg URL."""
    from petool.serve.pg_temp import PostgresUnavailable
    from petool.serve.pg_temp import throwaway_postgres as start

    try:
        with start() as url:
            yield url
    except PostgresUnavailable as exc:
        raise SystemExit(f"--postgres: {exc}") from None


@contextmanager
def loopback_upstream() -> Iterator[str]:
    """The tests' loopback OpenAI-compatible server as a process of its own; its base URL."""
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, str(UPSTREAM), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait(url, proc, "the loopback upstream")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def start(
    data: Path,
    db: str | None,
    workers: int,
    backend: str,
    upstream: str | None = None,
    log: Path | None = None,
) -> tuple[subprocess.Popen, str]:
    port = _port()
    args = [
        sys.executable,
        "-m",
        "petool",
        "serve",
        "--data-dir",
        str(data),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--backend",
        backend,
        "--rate-limit",
        "0",
    ]
    if db:
        args += ["--db", db]
    if upstream:
        args += ["--upstream", upstream, "--upstream-timeout", "120"]
    err = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the server's lifetime
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}"
    for _ in range(3000):  # the server starts its default backend before it answers
        if proc.poll() is not None:
            raise SystemExit(f"petool serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def make_key(data: Path, db: str | None) -> str:
    args = [sys.executable, "-m", "petool", "serve", "--data-dir", str(data)]
    if db:
        args += ["--db", db]
    out = subprocess.run(
        [*args, "keys", "create", "--tenant", "bench"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def _ms(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 1)


async def load(url: str, key: str, n: int, concurrency: int, workers: int = 1) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=5.0
    )
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300, limits=limits) as c:
        selections: list[str] = []

        async def select(user: str) -> httpx.Response:
            resp = await c.post(
                "/v1/select",
                json={"user_id": user, "instruction": "weather in Oslo", "toolset_id": "bench"},
            )
            if resp.status_code == 200:
                selections.append(resp.json()["selection_id"])
            return resp

        async def proxy(user: str, stream: bool) -> httpx.Response:
            body = {
                "model": "m",
                "user": user,
                "tools": OPENAI_TOOLS,
                "stream": stream,
                "messages": [{"role": "user", "content": "weather in Bergen"}],
            }
            resp = await c.post("/v1/chat/completions", json=body)
            sid = resp.headers.get("x-petool-selection-id")
            if sid:
                selections.append(sid)
            return resp

        # set-up and warm-up, not timed: the toolset, the users' profiles, the backend's first
        # load, the upstream client
        ready = [await c.post("/v1/toolsets", json={"name": "bench", "tools": TOOLS})]
        for u in range(USERS):
            ready.append(
                await c.put(
                    f"/v1/users/u{u}",
                    json={
                        "profile": {"budget": ["tight", "any"][u % 2]},
                        "environment": {"city": "Oslo"},
                    },
                )
            )
        for resp in ready:
            if resp.status_code not in (200, 201):
                raise SystemExit(f"set-up failed: {resp.status_code} {resp.text[:300]}")
        # every worker answers select and the proxy fast (new connections spread over workers)
        rounds = 0
        while rounds < 30:
            rounds += 1
            t = time.perf_counter()
            batch = await asyncio.gather(
                *(
                    f(f"u{u}")
                    for u in range(8 * workers)
                    for f in (select, lambda u: proxy(u, False))
                )
            )
            bad = [r for r in batch if r.status_code != 200]
            if bad:
                raise SystemExit(f"warm-up failed: {bad[0].status_code} {bad[0].text[:300]}")
            if time.perf_counter() - t < 3.0:
                break

        rng = random.Random(0)
        kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=n)
        lat: dict[str, list[float]] = {k: [] for k, _ in MIX}
        errors: dict[str, int] = {}
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int, kind: str) -> None:
            user = f"u{i % USERS}"
            async with sem:
                t = time.perf_counter()
                code: str
                try:
                    if kind == "select":
                        resp = await select(user)
                    elif kind == "interactions":
                        resp = await c.post(
                            f"/v1/users/{user}/interactions",
                            json={
                                "items": [
                                    {
                                        "id": f"{i}-{k}",
                                        "instruction": f"weather in city {k}",
                                        "call": {
                                            "tool": f"tool_{(i + k) % 6}",
                                            "arguments": {"city": "x"},
                                        },
                                        "rating": rng.choice([1, -1]),
                                    }
                                    for k in range(3)
                                ]
                            },
                        )
                    elif kind == "feedback":
                        resp = await c.post(
                            "/v1/feedback",
                            json={
                                "selection_id": rng.choice(selections),
                                "rating": rng.choice([1, -1]),
                            },
                        )
                    elif kind == "proxy":
                        stream = i % 3 == 0
                        resp = await proxy(user, stream)
                        if stream and resp.status_code == 200 and "[DONE]" not in resp.text:
                            raise ValueError("stream without [DONE]")
                    else:
                        resp = await c.get(f"/v1/users/{user}/history", params={"limit": 20})
                    code = str(resp.status_code)
                except (httpx.HTTPError, ValueError) as exc:
                    code = type(exc).__name__
                lat[kind].append(time.perf_counter() - t)
                if code not in ("200", "201"):
                    errors[f"{kind}:{code}"] = errors.get(f"{kind}:{code}", 0) + 1

        start_t = time.perf_counter()
        await asyncio.gather(*(one(i, k) for i, k in enumerate(kinds)))
        wall = time.perf_counter() - start_t
    every = [x for values in lat.values() for x in values]
    return {
        "requests": n,
        "concurrency": concurrency,
        "warm_up_rounds": rounds,
        "seconds": round(wall, 2),
        "req_per_s": round(n / wall, 1),
        "p50_ms": _ms(every, 0.5),
        "p99_ms": _ms(every, 0.99),
        "errors": errors,
        "error_count": sum(errors.values()),
        "by_kind": {
            k: {"n": len(v), "p50_ms": _ms(v, 0.5), "p99_ms": _ms(v, 0.99)} for k, v in lat.items()
        },
    }


async def write_until_killed(url: str, key: str, proc: subprocess.Popen, after: float) -> set[str]:
    acked: set[str] = set()
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as c:
        stop = time.monotonic() + after

        async def writer(w: int) -> None:
            i = 0
            while True:
                cid = f"w{w}-{i}"
                i += 1
                if time.monotonic() > stop and proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                try:
                    r = await c.post(
                        "/v1/users/k/interactions",
                        json={"items": [{"id": cid, "call": {"tool": "t", "arguments": {}}}]},
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    acked.add(cid)

        await asyncio.gather(*(writer(w) for w in range(32)))
    return acked


async def all_ids(url: str, key: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor is not None else {})}
            page = (await c.get("/v1/users/k/history", params=params)).json()
            ids += [i["client_id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return ids


def kill_check(data: Path, db: str | None, after: float = 3.0) -> dict[str, object]:
    key = make_key(data, db)
    proc, url = start(data, db, 1, "random")
    acked = asyncio.run(write_until_killed(url, key, proc, after))
    proc.wait()
    proc2, url2 = start(data, db, 1, "random")
    try:
        ids = asyncio.run(all_ids(url2, key))
    finally:
        proc2.send_signal(signal.SIGTERM)
        proc2.wait()
    stored = set(ids)
    return {
        "acknowledged": len(acked),
        "stored": len(ids),
        "missing": len(acked - stored),
        "duplicates": len(ids) - len(stored),
        "ok": acked <= stored and len(ids) == len(stored),
    }


def run_load(data: Path, db: str | None, args: argparse.Namespace) -> dict[str, object]:
    key = make_key(data, db)
    with loopback_upstream() as upstream:
        proc, url = start(data, db, args.workers, args.backend, upstream, args.server_log)
        try:
            result = asyncio.run(load(url, key, args.requests, args.concurrency, args.workers))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["load", "kill"])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    ap.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--backend", default="ranker", help="the server's default backend spec")
    ap.add_argument("--server-log", type=Path, help="append the server's JSON log here (load)")
    ap.add_argument("--kill-after", type=float, default=3.0, help="seconds of writes (kill)")
    args = ap.parse_args()
    if args.requests < 1 or args.concurrency < 1 or args.workers < 1:
        ap.error("--requests, --concurrency and --workers must be at least 1")
    if args.db and args.postgres:
        ap.error("give --db or --postgres, not both")
    data = Path(tempfile.mkdtemp(prefix="petool-load-"))
    with throwaway_postgres() if args.postgres else _given(args.db) as db:
        t0 = time.perf_counter()
        if args.what == "kill":
            result = kill_check(data, db, args.kill_after)
        else:
            result = run_load(data, db, args)
    result.update(
        what=args.what,
        db="postgresql" if db else "sqlite",
        workers=args.workers,
        backend=args.backend if args.what == "load" else "random",
        cpus=os.cpu_count(),
        total_s=round(time.perf_counter() - t0, 1),
    )
    shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(result))


@contextmanager
def _given(db: str | None) -> Iterator[str | None]:
    yield db


if __name__ == "__main__":
    main()
