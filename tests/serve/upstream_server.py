"""A loopback OpenAI-compatible upstream for the proxy tests (real HTTP, streaming too).

It calls the *first* tool of each request (so the order petool gives is visible), with the
arguments ``{"city": <last word of the user message>}``; ``stream: true`` answers in SSE
chunks with the arguments split across deltas. A user message starting ``fail <status>``
answers that status with an OpenAI error body; ``slow`` waits ``slow_s`` seconds. ``bodies``
keeps every request body received.

``python tests/serve/upstream_server.py PORT`` serves it until killed (the load benchmark).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _last_user(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return str(users[-1].get("content", "")) if users else ""


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the load benchmark opens hundreds of connections at once


class Upstream:
    """The server in a daemon thread; ``base_url`` ends in ``/v1``."""

    def __init__(self, slow_s: float = 3.0, port: int = 0, keep_bodies: bool = True):
        self.bodies: list[dict[str, Any]] = []
        self.keep_bodies = keep_bodies
        self.slow_s = slow_s
        self.httpd = _Server(("127.0.0.1", port), _handler(self))
        self.httpd.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> Upstream:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(up: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if up.keep_bodies:
                up.bodies.append(body)
            text = _last_user(body)
            if text.startswith("fail "):
                status = int(text.split()[1])
                self._json(
                    status,
                    {
                        "error": {
                            "message": f"upstream says {status}",
                            "type": "stub",
                            "code": status,
                        }
                    },
                )
                return
            if text.startswith("slow"):
                time.sleep(up.slow_s)
            tools = body.get("tools") or []
            name = tools[0]["function"]["name"] if tools else None
            args = json.dumps({"city": text.split()[-1] if text else ""})
            if not body.get("stream"):
                message: dict[str, Any] = {"role": "assistant", "content": None if name else "hi"}
                if name:
                    message["tool_calls"] = [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": args},
                        }
                    ]
                self._json(
                    200,
                    {
                        "id": "chatcmpl-up",
                        "object": "chat.completion",
                        "created": 1,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": message,
                                "finish_reason": "tool_calls" if name else "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
                        "stub_marker": "kept",
                    },
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            base = {
                "id": "chatcmpl-up",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": body["model"],
            }
            deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
            if name:
                half = len(args) // 2
                deltas.append(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": name, "arguments": ""},
                            }
                        ]
                    }
                )
                for part in (args[:half], args[half:]):
                    deltas.append({"tool_calls": [{"index": 0, "function": {"arguments": part}}]})
            else:
                deltas.append({"content": "hi"})
            for i, delta in enumerate(deltas):
                last = i == len(deltas) - 1
                finish = ("tool_calls" if name else "stop") if last else None
                chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def main() -> None:
    """Serve on 127.0.0.1:PORT until killed, keeping no bodies."""
    import sys

    with Upstream(port=int(sys.argv[1]), keep_bodies=False) as up:
        print(up.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
