"""Load and crash measurements of ``petool serve`` (not a timed test).

    python benchmarks/serve_load.py load --requests 10000 --concurrency 200 [--db URL] [--workers 4]
    python benchmarks/serve_load.py kill [--db URL]   # SIGKILL during writes, restart, verify

``load`` runs a mix (40 % select, 30 % bulk interactions, 20 % feedback, 10 % history) against
a server started as a subprocess and prints p50 / p99 latency, requests/s and errors as JSON.
``kill`` writes interactions with unique client ids, SIGKILLs the server mid-load, restarts
it and checks every acknowledged write is stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOOLS = [
    {"name": f"tool_{i}", "description": f"Weather forecast service {i}",
     "attributes": {"price": ["free", "paid"][i % 2], "speed": ["fast", "slow"][i // 2 % 2]},
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    for i in range(6)
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data: Path, db: str | None, workers: int, backend: str) -> tuple[subprocess.Popen, str]:
    port = _port()
    args = [sys.executable, "-m", "petool", "serve", "--data-dir", str(data), "--port", str(port),
            "--workers", str(workers), "--backend", backend, "--rate-limit", "0"]
    if db:
        args += ["--db", db]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
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
    out = subprocess.run([*args, "keys", "create", "--tenant", "bench"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


async def load(url: str, key: str, n: int, concurrency: int) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as c:
        await c.post("/v1/toolsets", json={"name": "bench", "tools": TOOLS})
        selections: list[str] = []
        lat: list[float] = []
        errors: dict[str, int] = {}
        sem = asyncio.Semaphore(concurrency)
        rng = random.Random(0)

        async def one(i: int) -> None:
            user = f"u{i % 50}"
            r = rng.random()
            async with sem:
                t = time.perf_counter()
                try:
                    if r < 0.4 or (r < 0.9 and r >= 0.7 and not selections):
                        resp = await c.post("/v1/select", json={
                            "user_id": user, "instruction": "weather in Oslo",
                            "toolset_id": "bench"})
                        if resp.status_code == 200:
                            selections.append(resp.json()["selection_id"])
                    elif r < 0.7:
                        resp = await c.post(f"/v1/users/{user}/interactions", json={"items": [
                            {"id": f"{i}-{k}", "instruction": "weather",
                             "call": {"tool": f"tool_{k % 6}", "arguments": {}},
                             "rating": rng.choice([1, -1])} for k in range(3)]})
                    elif r < 0.9:
                        resp = await c.post("/v1/feedback", json={
                            "selection_id": rng.choice(selections), "rating": 1})
                    else:
                        resp = await c.get(f"/v1/users/{user}/history", params={"limit": 20})
                    code = resp.status_code
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                lat.append(time.perf_counter() - t)
                if code != 200:
                    errors[str(code)] = errors.get(str(code), 0) + 1

        start_t = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - start_t
    lat.sort()
    return {"requests": n, "concurrency": concurrency, "seconds": round(wall, 2),
            "req_per_s": round(n / wall, 1), "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
            "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1), "errors": errors}


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
                    r = await c.post("/v1/users/k/interactions", json={"items": [
                        {"id": cid, "call": {"tool": "t", "arguments": {}}}]})
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
    return {"acknowledged": len(acked), "stored": len(ids), "missing": len(acked - stored),
            "duplicates": len(ids) - len(stored), "ok": acked <= stored and len(ids) == len(stored)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["load", "kill"])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--db")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--backend", default="ranker")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="petool-load-"))
    if args.what == "kill":
        print(json.dumps(kill_check(data, args.db)))
        return
    key = make_key(data, args.db)
    proc, url = start(data, args.db, args.workers, args.backend)
    try:
        result = asyncio.run(load(url, key, args.requests, args.concurrency))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    result.update(db="postgresql" if args.db else "sqlite", workers=args.workers,
                  backend=args.backend, cpus=os.cpu_count())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
