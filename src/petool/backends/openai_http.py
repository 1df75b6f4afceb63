"""petool's own HTTP client for OpenAI-compatible servers: one aiohttp session, plain JSON.

The ``openai:`` backend's ``http`` transport. It sends the same request the SDK would
(``POST {base_url}/chat/completions`` with a bearer key and the JSON body) and reads the
answer as the SDK path does, with the same error mapping (:mod:`petool.backends.openai_wire`).
What it leaves out is the SDK's per-request machinery (request options models, URL parsing and
header merging in httpx, the auth-retry layer): about 0.4 ms of CPU per request, which is what
limits a single event loop talking to a fast local server (vLLM, SGLang) at hundreds of
requests a second — measured in ``benchmarks/openai_throughput.py``. lm-eval-harness talks to
such servers the same way.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.parse
import urllib.request
from typing import Any

from petool.backends.base import BackendResponse
from petool.backends.openai_wire import status_response
from petool.errors import BackendError

ORG_ENV = "OPENAI_ORG_ID"
PROJECT_ENV = "OPENAI_PROJECT_ID"


def request_headers(api_key: str) -> dict[str, str]:
    """The headers of every request: the key, JSON, and organization/project when set."""
    import petool

    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": f"petool/{petool.__version__}",
    }
    if org := os.environ.get(ORG_ENV):
        headers["OpenAI-Organization"] = org
    if project := os.environ.get(PROJECT_ENV):
        headers["OpenAI-Project"] = project
    return headers


def env_proxy(url: str) -> str | None:
    """The proxy ``HTTP(S)_PROXY`` / ``NO_PROXY`` name for ``url``, looked up once.

    (aiohttp's ``trust_env`` looks it up, and reads ``~/.netrc``, on every request: a
    fifth of the client's CPU at a few hundred requests a second.)
    """
    parts = urllib.parse.urlsplit(url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def _as_error(response: BackendResponse) -> BackendError:
    return BackendError(
        response.error or "HTTP error",
        retryable=response.retryable,
        retry_after=response.retry_after,
    )


class ChatCompletionsHTTP:
    """POSTs chat-completions requests over one pooled aiohttp session.

    Args:
        base_url: The server's API root (``.../v1``).
        api_key: The bearer key.
        timeout: Seconds one request may take, connecting included.
        connections: Open connections to keep (the runner's concurrency).
        ssl_context: The TLS context for ``https`` servers.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        connections: int,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.headers = request_headers(api_key)
        self.proxy = env_proxy(self.url)
        self.timeout = timeout
        self.connections = max(1, connections)
        self._ssl = ssl_context
        self._session: Any = None

    def _open(self) -> Any:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=self.connections + 16, limit_per_host=0, ssl=self._ssl or True
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            raise_for_status=False,
        )
        return self._session

    async def post(self, body: bytes) -> Any:
        """Send one request; the decoded JSON answer.

        Raises:
            BackendError: A timeout, a connection error, an HTTP error status (retryable or
                not, with the server's ``Retry-After``) or a body that is not JSON.
        """
        import aiohttp

        session = self._session or self._open()
        try:
            async with session.post(
                self.url, data=body, headers=self.headers, proxy=self.proxy
            ) as response:
                payload = await response.read()
                status, headers = response.status, response.headers
        except TimeoutError:
            raise BackendError(f"timeout after {self.timeout:g} s", retryable=True) from None
        except aiohttp.ClientError as exc:
            detail = f"connection error: {type(exc).__name__}: {exc}"
            raise BackendError(detail[:500], retryable=True) from None
        if status >= 400:
            try:
                error_body = json.loads(payload)
            except ValueError:
                error_body = None
            fallback = payload[:200].decode("utf-8", "replace") or f"status {status}"
            raise _as_error(status_response(status, error_body, headers, fallback))
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise BackendError(f"malformed response: {exc}"[:500], retryable=True) from None

    async def close(self) -> None:
        """Close the session (the next request opens a new one)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
