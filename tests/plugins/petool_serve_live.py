"""A live petool serve app for tests: uvicorn on 127.0.0.1 in a thread, one key per tenant.

A plain module (on the tests' pythonpath) so that test files import it by a name of its own;
``from conftest import ...`` resolves to whichever conftest xdist imported first.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import async_sessionmaker

from petool.serve.app import create_app
from petool.serve.db import make_engine
from petool.serve.keys import create_key
from petool.serve.migrate import upgrade
from petool.serve.settings import ServeSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_keys(url: str, *tenants: str) -> list[str]:
    """Migrate ``url`` and create one key per tenant name."""
    upgrade(url)

    async def run() -> list[str]:
        engine = make_engine(url)
        try:
            return [await create_key(async_sessionmaker(engine), t) for t in tenants]
        finally:
            await engine.dispose()

    return asyncio.run(run())


@dataclass
class Live:
    """A running server: its base URL and one key per tenant."""

    url: str
    keys: list[str]
    settings: ServeSettings
    server: Any = field(repr=False, default=None)

    def client(self, key_index: int = 0) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            timeout=60,
            headers={"Authorization": f"Bearer {self.keys[key_index]}"},
        )


def start_live(settings: ServeSettings, tenants: tuple[str, ...] = ("a", "b")) -> Live:
    keys = make_keys(settings.url, *tenants)
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300  # the app starts its default backend first
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    live = Live(url=f"http://127.0.0.1:{port}", keys=keys, settings=settings, server=server)
    live.server._thread = thread
    return live


def stop_live(live: Live) -> None:
    live.server.should_exit = True
    live.server._thread.join(15)
