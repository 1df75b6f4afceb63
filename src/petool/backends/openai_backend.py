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

Answers are cached (see :mod:`petool.backends.cache`); a cached answer costs nothing.
Usage and cost per task come from the response's token counts and the price table
(:mod:`petool.backends.pricing`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import os
import ssl
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.cache import ResponseCache, content_key
from petool.backends.openai_http import ChatCompletionsHTTP
from petool.backends.openai_wire import failure_response, map_names, read_completion
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
            "price_per_1m_tokens": (
                {"input": self.price.input, "output": self.price.output} if self.price else None
            ),
        }

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
        key = content_key(self.base_url, body)
        if self.cache is not None:
            hit = self.cache.get(key)
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
        if self.cache is not None:
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
