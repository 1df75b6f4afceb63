"""Operations: Prometheus metrics (one registry per app) and JSON access logs without secrets."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger("petool.serve")


class Metrics:
    """Request counts, latency histograms, selections and feedback."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "petool_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "petool_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.selections = Counter(
            "petool_selections_total",
            "selections served",
            ["backend", "status"],
            registry=self.registry,
        )
        self.feedback = Counter(
            "petool_feedback_total", "ratings received", ["rating"], registry=self.registry
        )


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(getattr(record, "fields", {}))
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(out, default=str)


def setup_logging(level: int = logging.INFO) -> None:
    """JSON logs on stderr for petool.serve (uvicorn's own access log is turned off)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def route_library_logs() -> None:
    """In a server process: other libraries' records (httpx's per-request INFO lines, the MCP
    SDK's) go through the JSON formatter at WARNING and above, so every log line is JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


class Observe:
    """ASGI middleware: counts, times and logs each request (path template, never headers)."""

    def __init__(self, app: Any, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, path, str(status["code"])).inc()
            self.metrics.latency.labels(method, path).observe(elapsed)
            tenant = getattr(scope.get("state", {}), "get", lambda _k: None)("tenant_id")
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": method,
                        "route": path,
                        "status": status["code"],
                        "ms": round(elapsed * 1000, 2),
                        "tenant_id": tenant,
                    }
                },
            )
