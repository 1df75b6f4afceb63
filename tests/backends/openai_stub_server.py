"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions protocol.

It answers ``POST /v1/chat/completions`` from a script: each request is matched to a task by
its instruction (the text after the last ``## Request`` heading of the last user message, or
that whole message), and the task's :class:`Script` says what to answer — text, or native
``tool_calls`` — and which faults to inject on successive attempts:

* ``"500"``: an internal server error;
* ``"429"``: throttled, with ``Retry-After`` (and ``retry-after-ms`` when set);
* ``"timeout"``: the answer comes after ``slow_s`` seconds (longer than the client waits);
* ``"malformed"``: status 200 with a body that is not JSON;
* ``"ok"``: a normal answer.

Every answer waits ``latency`` seconds first. ``counts`` holds the requests per task id;
``GET /stats`` returns them as JSON (for servers in another process). ``GET /v1/models``
lists ``models`` (entries as given, ``"created": "now"`` becoming the current time, as vLLM
does), or answers 404 when there are none. Run it standalone with
``python openai_stub_server.py --script script.json [--port 8000] [--latency 0.1]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REQUEST_HEADING = "## Request\n"


@dataclass
class Script:
    """What the server answers for one task."""

    task_id: str
    text: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    faults: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The script as a JSON object (for a server in another process)."""
        return {
            "task_id": self.task_id,
            "text": self.text,
            "tool_calls": self.tool_calls,
            "faults": self.faults,
        }


def instruction_of(body: Mapping[str, Any]) -> str:
    """The instruction a request carries: the last user message, after ``## Request``."""
    messages = body.get("messages") or []
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        return ""
    content = users[-1].get("content") or ""
    if not isinstance(content, str):
        content = json.dumps(content)
    _, sep, tail = content.rpartition(REQUEST_HEADING)
    return (tail if sep else content).strip()


class StubServer:
    """A scripted OpenAI-compatible server in a background thread.

    Args:
        scripts: Scripts keyed by the instruction of their task.
        latency: Seconds every answer waits.
        retry_after: The ``Retry-After`` header of a 429 (seconds, as text).
        retry_after_ms: If set, also send ``retry-after-ms`` (as OpenAI does).
        slow_s: How long a ``timeout`` fault waits before answering.
        port: 0 picks a free port.
        models: The entries ``GET /v1/models`` lists (None: 404, as a server without it).
    """

    def __init__(
        self,
        scripts: Mapping[str, Script],
        *,
        latency: float = 0.0,
        retry_after: str = "0.2",
        retry_after_ms: int | None = None,
        slow_s: float = 5.0,
        port: int = 0,
        models: list[dict[str, Any]] | None = None,
    ):
        self.scripts = dict(scripts)
        self.models = models
        self.model_listings = 0
        self.latency = latency
        self.retry_after = retry_after
        self.retry_after_ms = retry_after_ms
        self.slow_s = slow_s
        self.counts: dict[str, int] = {}
        self.total = 0
        self.bodies: list[dict[str, Any]] = []
        self.keep_bodies = True
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``--base-url`` for this server."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StubServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_counts(self) -> None:
        """Forget the request counts and bodies."""
        with self._lock:
            self.counts.clear()
            self.total = 0
            self.bodies.clear()

    def record(self, body: dict[str, Any]) -> tuple[Script | None, int]:
        """Count a request; return its script and its attempt number (1-based)."""
        script = self.scripts.get(instruction_of(body))
        key = script.task_id if script else "?"
        with self._lock:
            self.total += 1
            self.counts[key] = self.counts.get(key, 0) + 1
            if self.keep_bodies:
                self.bodies.append(body)
            return script, self.counts[key]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default 5 drops connections when many open at once


def _completion(body: Mapping[str, Any], script: Script, number: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": script.text}
    finish = "stop"
    if script.tool_calls:
        calls = []
        for i, call in enumerate(script.tool_calls):
            args = call.get("arguments", {})
            calls.append(
                {
                    "id": f"call_{number}_{i}",
                    "type": "function",
                    "function": {
                        "name": call["name"],
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
            )
        message["tool_calls"] = calls
        finish = "tool_calls"
    prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
    completion_tokens = max(1, len(script.text or json.dumps(script.tool_calls)) // 4)
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _handler_for(server: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, payload: bytes, headers: Iterable[tuple[str, str]] = ()):
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _error(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()):
            err = {"error": {"message": message, "type": "stub_error", "code": status}}
            self._send(status, json.dumps(err).encode(), headers)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/stats"):
                with server._lock:
                    stats = {
                        "total": server.total,
                        "counts": dict(server.counts),
                        "cpu_s": time.process_time(),
                    }
                self._send(200, json.dumps(stats).encode())
            elif self.path.rstrip("/").endswith("/models") and server.models is not None:
                with server._lock:
                    server.model_listings += 1
                now = int(time.time())
                data = [
                    {**m, "created": now} if m.get("created") == "now" else m for m in server.models
                ]
                self._send(200, json.dumps({"object": "list", "data": data}).encode())
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._error(404, f"no route {self.path}")
                return
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                self._error(415, "expected Content-Type: application/json")
                return
            if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                self._error(401, "expected Authorization: Bearer <key>")
                return
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                self._error(400, "request body is not JSON")
                return
            script, number = server.record(body)
            if server.latency:
                time.sleep(server.latency)
            if script is None:
                self._error(400, f"no script for instruction {instruction_of(body)[:80]!r}")
                return
            fault = script.faults[number - 1] if number <= len(script.faults) else "ok"
            if fault == "500":
                self._error(500, "injected internal error")
            elif fault == "401":
                self._error(401, "injected: invalid API key")
            elif fault == "429":
                headers = [("Retry-After", server.retry_after)]
                if server.retry_after_ms is not None:
                    headers.append(("retry-after-ms", str(server.retry_after_ms)))
                self._error(429, "injected rate limit", headers)
            elif fault == "malformed":
                self._send(200, b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess')
            else:
                if fault == "timeout":
                    time.sleep(server.slow_s)
                self._send(200, json.dumps(_completion(body, script, number)).encode())

    return Handler


def scripts_from_json(data: Iterable[Mapping[str, Any]]) -> dict[str, Script]:
    """Scripts from ``[{"instruction": ..., "task_id": ..., "text": ..., ...}]``."""
    scripts = {}
    for item in data:
        fields = {k: v for k, v in item.items() if k != "instruction"}
        scripts[str(item["instruction"])] = Script(**fields)
    return scripts


def main() -> None:
    """Serve a script file until interrupted; the first line of stdout names the base URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", required=True, help="JSON list of scripts with instructions")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--retry-after", default="0.2")
    parser.add_argument("--retry-after-ms", type=int, default=None)
    parser.add_argument("--slow-s", type=float, default=5.0)
    args = parser.parse_args()
    with open(args.script, encoding="utf-8") as fh:
        scripts = scripts_from_json(json.load(fh))
    server = StubServer(
        scripts,
        latency=args.latency,
        retry_after=args.retry_after,
        retry_after_ms=args.retry_after_ms,
        slow_s=args.slow_s,
        port=args.port,
    )
    server.keep_bodies = False
    print(server.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._httpd.serve_forever()


if __name__ == "__main__":
    main()
