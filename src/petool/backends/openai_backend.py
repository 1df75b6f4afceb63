"""``openai:MODEL``: any OpenAI-compatible chat-completions server, through the official SDK.

One request per task and one attempt per request: the runner owns concurrency and retries,
so failures come back as per-item errors that say whether a retry may help (429, 5xx,
408/409, timeouts, connection errors, malformed bodies) and how long the server asked to
wait (``retry-after-ms`` or ``Retry-After``, seconds or an HTTP date).

Two ways to ask: ``tool_calling="text"`` sends the suite's prompt and the answer is parsed
from the text; ``"native"`` sends each candidate tool as a function (names the API forbids
are replaced by safe ones, see :func:`petool.prompts.tools_as_openai_functions`) and the
answer's ``tool_calls`` are mapped back to the original tool names.

Two clients speak the protocol (``transport``): the official SDK's ``AsyncOpenAI`` (``sdk``:
on its aiohttp transport when ``openai[aiohttp]`` is installed, else httpx), and petool's own
aiohttp client (``http``, :mod:`petool.backends.openai_http`), which sends the same request at
half the CPU cost. ``auto`` takes the SDK for OpenAI's own API, where a request's CPU cost is
nothing beside its latency and the SDK follows the API's changes, and the ``http`` client for
every other server, where a fast local server makes the client's CPU the limit.

Answers are cached (see :mod:`petool.backends.cache`); a cached answer costs nothing. Cache
keys name the server: before its first request a backend asks ``GET {base_url}/models``
once (a plain blocking GET in a worker thread, with the same key, TLS context and proxy
settings) and folds the model's entry into every key, so another server behind the same URL
and model name is asked, not answered from the cache; a cache row of the wrong shape is
counted and replaced by the fresh answer (:meth:`OpenAIBackend.stats`).
Usage and cost per task come from the response's token counts and the price table
(:mod:`petool.backends.pricing`).
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import importlib.util
import json
import math
import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.cache import (
    CACHE_SCHEMA,
    ResponseCache,
    content_key,
    identity_text,
    model_identity,
)
from petool.backends.openai_http import ChatCompletionsHTTP, request_headers
from petool.backends.openai_wire import (
    failure_response,
    is_retryable_status,
    map_names,
    read_completion,
)
from petool.backends.pricing import Price, PriceTable
from petool.backends.registry import register_backend
from petool.backends.sampling import (
    SamplingOptions,
    SamplingRequest,
    require_module,
)
from petool.errors import BackendError, ConfigError, InputError
from petool.prompts import get_prompt_style, render_messages, tools_as_openai_functions
from petool.prompts.native import style_for
from petool.schema import Suite, Task, Tool, Usage

OFFICIAL_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 60.0
CONNECTIONS_PER_CLIENT = 16
JSON_HEADERS = {"Content-Type": "application/json"}
TOOL_CALLING_MODES = ("text", "native")
TRANSPORTS = ("auto", "sdk", "http")
IDENTITY_RETRY_S = 1.0  # after a lookup of the server's identity failed, when to try again
MAX_LISTING_BYTES = 16 << 20


def _aiohttp_installed() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


def _aiohttp_transport() -> bool:
    """Whether the SDK can use aiohttp (``openai[aiohttp]`` installed, SDK new enough).

    It costs about a third less CPU per request than the default httpx transport, which
    is what limits throughput at high concurrency (benchmarks/openai_throughput.py).
    """
    if not _aiohttp_installed():
        return False
    import openai

    return hasattr(openai, "DefaultAioHttpClient")


def cached_value_ok(value: Mapping[str, Any]) -> bool:
    """Whether a cache row has the shape :func:`read_completion` gives (else it is asked again)."""
    counts = (value.get("prompt_tokens"), value.get("completion_tokens"))
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return False
    if not isinstance(value.get("output"), str):
        return False
    calls = value.get("tool_calls")
    if calls is None:
        return True
    return isinstance(calls, list) and all(
        isinstance(call, dict)
        and isinstance(fn := call.get("function"), dict)
        and isinstance(fn.get("name"), str | None)
        and isinstance(fn.get("arguments"), str)
        for call in calls
    )


def resolve_transport(choice: str, base_url: str) -> str:
    """The client a backend uses: ``http``, ``sdk+aiohttp`` or ``sdk+httpx``.

    Args:
        choice: ``auto``, ``sdk``, ``http`` (or a resolved name, as config.json records it).
        base_url: The server (``auto`` keeps the SDK for OpenAI's own API).

    Raises:
        ConfigError: An unknown choice, or one whose HTTP library is not installed.
    """
    if choice not in (*TRANSPORTS, "sdk+aiohttp", "sdk+httpx"):
        raise ConfigError(f"--transport: expected auto, sdk or http, got '{choice}'")
    if choice == "auto":
        official = base_url == OFFICIAL_BASE_URL
        choice = "sdk" if official or not _aiohttp_installed() else "http"
    if choice == "http" and not _aiohttp_installed():
        raise ConfigError("--transport http needs aiohttp: pip install 'petool[openai]'")
    if choice == "sdk":
        return "sdk+aiohttp" if _aiohttp_transport() else "sdk+httpx"
    if choice == "sdk+aiohttp" and not _aiohttp_transport():
        raise ConfigError("--transport sdk+aiohttp needs aiohttp: pip install 'petool[openai]'")
    return choice


class OpenAIBackend(Backend):
    """Chat completions from an OpenAI-compatible server, one request per task.

    Args:
        model: The model name the server knows.
        base_url: The server (else ``$OPENAI_BASE_URL``, else OpenAI's API).
        api_key: The key (else ``$OPENAI_API_KEY``; a local server may need none).
        tool_calling: ``text`` (parse the answer) or ``native`` (functions and tool_calls).
        timeout: Seconds one request may take (default 60).
        no_cache: Always ask the server; store nothing.
        cache_path: The SQLite cache file (default: see :mod:`petool.backends.cache`).
        temperature: Sampling temperature (default 0, or the suite's faithful value).
        top_p: Nucleus sampling mass (default: the server's).
        max_new_tokens: Answer length limit (default 512).
        seed: Sent as the API's ``seed``.
        stop: Stop strings.
        prompt_style: The prompt style (default: the suite's).
        price_table: A price file or mapping extending the built-in prices.
        concurrency: Requests the runner keeps in flight (sizes the connection pools).
        transport: ``auto`` (default), ``sdk`` or ``http`` (see the module docstring).
    """

    name = "openai"
    batch_size = 1

    def __init__(
        self,
        model: str | None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        tool_calling: str = "text",
        timeout: float | None = None,
        no_cache: bool = False,
        cache_path: str | Path | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
        seed: int | None = 0,
        stop: str | Sequence[str] | None = None,
        prompt_style: str | None = None,
        price_table: str | Path | Mapping[str, Any] | None = None,
        concurrency: int | None = None,
        transport: str = "auto",
    ):
        if not model:
            raise ConfigError("openai:MODEL needs a model name, e.g. openai:gpt-4o-mini")
        require_module("openai", f"openai:{model}", "openai")
        if tool_calling not in TOOL_CALLING_MODES:
            raise ConfigError(f"--tool-calling: expected text or native, got '{tool_calling}'")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OFFICIAL_BASE_URL).rstrip(
            "/"
        )
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key and self.base_url == OFFICIAL_BASE_URL:
            raise ConfigError(
                f"openai:{model}: no API key; set OPENAI_API_KEY or pass --api-key "
                "(or --base-url for a server that needs none)"
            )
        self._api_key = key or "no-key"
        self.tool_calling = tool_calling
        # OpenAI's own API replaced max_tokens (which its reasoning models reject); the
        # compatible servers (vLLM, SGLang, Ollama, llama.cpp, TGI) all read max_tokens.
        official = self.base_url == OFFICIAL_BASE_URL
        self._length_key = "max_completion_tokens" if official else "max_tokens"
        self.timeout = float(timeout) if timeout is not None else DEFAULT_TIMEOUT_S
        if self.timeout <= 0:
            raise ConfigError(f"--timeout: expected seconds > 0, got {timeout}")
        self.concurrency = concurrency
        self.transport = resolve_transport(transport, self.base_url)
        self._sampling = SamplingRequest(temperature, top_p, max_new_tokens, seed, stop)
        self.sampling: SamplingOptions = self._sampling.resolve()
        self._style_option = prompt_style
        self.prompt_style: str | None = prompt_style
        self.price: Price | None = PriceTable.load(price_table).lookup(model)
        self.cache: ResponseCache | None = None if no_cache else ResponseCache(cache_path)
        self._tools: dict[str, Tool] | None = None
        self._functions: dict[tuple[str, ...], tuple[list[dict[str, Any]], dict[str, str]]] = {}
        self._clients: list[Any] = []
        self._http: ChatCompletionsHTTP | None = None
        self._ssl: ssl.SSLContext | None = None
        self._in_flight: list[int] = []
        self.server: dict[str, Any] | None = None  # the server's identity, once looked up
        self._identity_lock: asyncio.Lock | None = None
        self._identity_loop: asyncio.AbstractEventLoop | None = None
        self._identity_next_try = 0.0
        self._uncached = 0

    def setup(self, suite: Suite) -> None:
        """Take the suite's tools, prompt style and faithful-mode sampling."""
        style = style_for(self._style_option or suite.info.prompt_style, self.tool_calling)
        get_prompt_style(style)  # unknown style: ConfigError now, not per task
        self.prompt_style = style
        self.sampling = self._sampling.resolve(suite, style)
        self._tools = suite.tool_index()
        self._functions.clear()

    def config(self) -> dict[str, Any]:
        """Model, endpoint, prompting, sampling, timeout, cache and price (never the key)."""
        return {
            "name": self.name,
            "model": self.model,
            "base_url": self.base_url,
            "tool_calling": self.tool_calling,
            "prompt_style": self.prompt_style,
            "sampling": self.sampling.as_dict(),
            "timeout_s": self.timeout,
            "transport": self.transport,
            "cache": str(self.cache.path) if self.cache else None,
            "cache_schema": CACHE_SCHEMA if self.cache else None,
            "price_per_1m_tokens": (
                {"input": self.price.input, "output": self.price.output} if self.price else None
            ),
        }

    def stats(self) -> dict[str, Any]:
        """The response cache so far: schema, server identity, hits, misses, bad rows.

        ``bad_rows``: rows that could not be used (undecodable or of the wrong shape), each a
        miss; ``replaced``: those overwritten by the fresh answer; ``uncached``: requests
        sent without the cache because the server's identity could not be looked up.
        """
        if self.cache is None:
            return {"cache": None}
        return {
            "cache": str(self.cache.path),
            "cache_schema": CACHE_SCHEMA,
            "server": self.server,
            **self.cache.stats(),
            "uncached": self._uncached,
        }

    def _get_models(self) -> tuple[int, bytes, str | None]:
        """``GET {base_url}/models`` (blocking): the status, the body and the ``Date`` header."""
        request = urllib.request.Request(
            self.base_url + "/models", headers=request_headers(self._api_key), method="GET"
        )
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self._ssl_context())
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(MAX_LISTING_BYTES), response.headers["Date"]
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, b"", exc.headers["Date"] if exc.headers else None

    def _lookup_identity(self) -> dict[str, Any] | None:
        """The server's identity (see :mod:`petool.backends.cache`); None when it may answer
        later (connection error, timeout, 408/409/429/5xx)."""
        try:
            status, body, date = self._get_models()
        except (OSError, http.client.HTTPException, ValueError):
            return None
        if is_retryable_status(status):
            return None
        if not 200 <= status < 300:
            return {"models": f"HTTP {status}"}
        try:
            listing = json.loads(body)
        except ValueError:
            return {"models": "unreadable"}
        try:
            server_time = email.utils.parsedate_to_datetime(date).timestamp() if date else None
        except (TypeError, ValueError):
            server_time = None
        return model_identity(listing, self.model, server_time)

    async def _server_identity(self) -> dict[str, Any] | None:
        """The server's identity, looked up once (concurrent first requests wait for it;
        after a failed lookup, requests that find the next one in flight go on without)."""
        if self.server is not None:
            return self.server
        loop = asyncio.get_running_loop()
        if self._identity_lock is None or self._identity_loop is not loop:
            self._identity_lock, self._identity_loop = asyncio.Lock(), loop
        if self._identity_next_try and self._identity_lock.locked():
            return None
        async with self._identity_lock:
            if self.server is None and time.monotonic() >= self._identity_next_try:
                self.server = await asyncio.to_thread(self._lookup_identity)
                if self.server is None:
                    self._identity_next_try = time.monotonic() + IDENTITY_RETRY_S
        return self.server

    async def _cache_key(self, body: bytes) -> str | None:
        """The cache key of a request: schema, server identity, base URL, request bytes
        (None: the server could not be identified, so the request goes uncached)."""
        identity = await self._server_identity()
        if identity is None:
            self._uncached += 1
            return None
        return content_key(str(CACHE_SCHEMA), identity_text(identity), self.base_url, body)

    @property
    def _httpx(self) -> Any:
        """The HTTP library of the installed SDK (httpx2 for SDK 3, httpx before)."""
        try:
            import httpx2
        except ImportError:
            import httpx

            return httpx
        return httpx2

    @property
    def _pool_size(self) -> int:
        """Connections to keep open: the runner's concurrency, at least 100."""
        return max(100, self.concurrency or 0)

    def _new_client(self) -> Any:
        import openai

        connections = self._pool_size
        limits = self._httpx.Limits(
            max_connections=connections + 16, max_keepalive_connections=connections
        )
        verify = self._ssl_context()
        if self.transport == "sdk+aiohttp":
            http_client = openai.DefaultAioHttpClient(limits=limits, verify=verify)
        else:
            http_client = openai.DefaultAsyncHttpxClient(limits=limits, verify=verify)
        return openai.AsyncOpenAI(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=self.timeout,
            http_client=http_client,
        )

    def _pick_client(self) -> int:
        """The index of the least busy client (created on first use).

        httpx's connection pool scans every connection on each request, which costs more
        CPU than the rest of a request at 64 connections; a few clients with about
        ``CONNECTIONS_PER_CLIENT`` connections each keep that scan short.
        """
        if not self._clients:
            wanted = max(1, math.ceil((self.concurrency or 1) / CONNECTIONS_PER_CLIENT))
            self._clients = [self._new_client() for _ in range(wanted)]
            self._in_flight = [0] * wanted
        return min(range(len(self._clients)), key=self._in_flight.__getitem__)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # one context for all clients (loading CA files is slow)
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _post(self, body: bytes) -> Any:
        """POST a JSON request to /chat/completions; the decoded answer."""
        if self.transport != "http":
            return await self._post_sdk(body)
        if self._http is None:
            self._http = ChatCompletionsHTTP(
                self.base_url,
                self._api_key,
                timeout=self.timeout,
                connections=self._pool_size,
                ssl_context=self._ssl_context(),
            )
        return await self._http.post(body)

    async def _post_sdk(self, body: bytes) -> Any:
        """POST a JSON request to /chat/completions through the SDK; the decoded answer.

        The request is plain JSON already, so it goes through the SDK's generic ``post``
        (auth, base URL, timeout, typed errors) rather than ``chat.completions.create``,
        whose parameter transform and response models cost more CPU than the whole rest of
        a task (see benchmarks/openai_throughput.py).
        """
        index = self._pick_client()
        self._in_flight[index] += 1
        try:
            response = await self._clients[index].post(
                "/chat/completions",
                cast_to=self._httpx.Response,
                content=body,
                options={"timeout": self.timeout, "headers": JSON_HEADERS},
            )
        finally:
            self._in_flight[index] -= 1
        return json.loads(response.content)

    def _tools_for(self, task: Task) -> tuple[list[dict[str, Any]], dict[str, str]]:
        assert self._tools is not None
        names = tuple(task.candidates) or tuple(self._tools)
        if names not in self._functions:
            self._functions[names] = tools_as_openai_functions([self._tools[n] for n in names])
        return self._functions[names]

    def build_request(self, task: Task) -> tuple[dict[str, Any], dict[str, str]]:
        """The chat-completions request for a task, and its safe-to-original name map.

        Raises:
            InputError: The task names a tool the suite does not have.
            BackendError: ``setup`` was not called.
        """
        if self._tools is None or self.prompt_style is None:
            raise BackendError("openai backend: setup(suite) was not called", retryable=False)
        s = self.sampling
        request: dict[str, Any] = {
            "model": self.model,
            "messages": render_messages(task, self._tools, style=self.prompt_style),
            "temperature": s.temperature,
            self._length_key: s.max_new_tokens,
        }
        if s.top_p is not None:
            request["top_p"] = s.top_p
        if s.seed is not None:
            request["seed"] = s.seed
        if s.stop:
            request["stop"] = list(s.stop)
        name_map: dict[str, str] = {}
        if self.tool_calling == "native":
            functions, name_map = self._tools_for(task)
            request["tools"] = functions
            request["tool_choice"] = "auto"
        return request, name_map

    def _response(
        self, value: Mapping[str, Any], name_map: Mapping[str, str], cached: bool
    ) -> BackendResponse:
        prompt, completion = int(value["prompt_tokens"]), int(value["completion_tokens"])
        if cached:
            usage = Usage()
        else:
            cost = self.price.cost(prompt, completion) if self.price else 0.0
            usage = Usage(prompt_tokens=prompt, completion_tokens=completion, cost=cost)
        return BackendResponse(
            output=str(value["output"]),
            tool_calls=map_names(value.get("tool_calls"), name_map),
            usage=usage,
            cached=cached,
        )

    async def _answer(self, task: Task) -> BackendResponse:
        try:
            request, name_map = self.build_request(task)
        except InputError as exc:
            return BackendResponse(error=str(exc), retryable=False)
        # serialize once: the bytes sent are the bytes hashed for the cache key
        body = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()
        key = await self._cache_key(body) if self.cache is not None else None
        if self.cache is not None and key is not None:
            hit = self.cache.get(key, valid=cached_value_ok)
            if hit is not None:
                return self._response(hit, name_map, cached=True)
        try:
            value = read_completion(await self._post(body))
        except BackendError as exc:
            return BackendResponse(
                error=str(exc), retryable=exc.retryable, retry_after=exc.retry_after
            )
        except Exception as exc:
            return failure_response(exc, self.timeout)
        if self.cache is not None and key is not None:
            self.cache.put(key, self.model, value)
        return self._response(value, name_map, cached=False)

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """One request per task (concurrently when given several)."""
        if len(tasks) == 1:
            return [await self._answer(tasks[0])]
        return list(await asyncio.gather(*(self._answer(t) for t in tasks)))

    async def aclose(self) -> None:
        """Close the HTTP clients and the cache connection (all reopen on next use)."""
        if self._http is not None:
            await self._http.close()
        clients, self._clients = self._clients, []
        for client in clients:
            await client.close()
        if self.cache is not None:
            self.cache.close()


register_backend("openai")(OpenAIBackend)  # the class is the factory: its keywords are its options
