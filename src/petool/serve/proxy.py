"""The OpenAI-compatible proxy: ``POST /v1/chat/completions`` personalized for ``user``.

A standard chat-completions request with ``tools`` and ``user`` is changed in two ways before
it goes to the upstream (``--upstream``, any OpenAI-compatible server, through the official
``openai`` SDK): the tools are shortlisted and ordered for this user
(:meth:`SelectionService.shortlist`, top ``k``; a tool forced by ``tool_choice`` is always kept),
and a compact system message with the user's profile, environment and relevant history (their
newest uses of the tools sent on, then the rest) is prepended (at most :data:`CONTEXT_CHARS`
characters). The upstream's answer comes back
unchanged in shape — the same JSON, or the same SSE chunks relayed as they arrive — and its
tool call is stored as a served selection (``x-petool-selection-id`` header for non-streamed
answers; for streams the call is assembled from the deltas and stored after the last chunk).

Upstream errors keep their status with an OpenAI-style error body; a timeout is 504, an
unreachable upstream 502. Nothing a client or model sends is executed: calls are parsed as
JSON data and stored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from petool.errors import InputError
from petool.schema import Tool, ToolCall, UserContext
from petool.serve.deps import Caller, authenticate, get_service
from petool.serve.service import SelectionService
from petool.serve.toolsets import tool_from_dict

router = APIRouter(tags=["openai-compatible proxy"])

#: Tools kept after shortlisting (``ServeSettings.proxy_top_k``, ``--proxy-top-k``) unless the
#: request header ``x-petool-top-k`` says otherwise.
DEFAULT_TOP_K = 8
#: The largest personalization system message, in characters.
CONTEXT_CHARS = 2000
#: History items the context message shows (most recent first).
CONTEXT_HISTORY = 10
SELECTION_HEADER = "x-petool-selection-id"
MAX_ARGUMENT_CHARS = 100_000
_PENDING: set[asyncio.Task[Any]] = set()  # stream records still being written


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status)


def instruction_of(messages: list[Any]) -> str:
    """The text of the last user message (text parts joined)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                parts = [p.get("text", "") for p in content if isinstance(p, dict)]
                return " ".join(p for p in parts if isinstance(p, str))
    return ""


def forced_tool(tool_choice: Any) -> str | None:
    """The tool name ``tool_choice`` forces (``{"type": "function", "function": {"name"}}``)."""
    if isinstance(tool_choice, dict):
        fn = tool_choice.get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            return str(fn["name"])
    return None


def context_message(
    context: UserContext, limit: int = CONTEXT_CHARS, tools: Sequence[str] = ()
) -> str | None:
    """A compact system message with the user's profile, environment and relevant tool use:
    the newest uses of the offered ``tools`` first, then the newest of the rest."""
    lines: list[str] = []
    if context.profile:
        lines.append("Profile: " + json.dumps(context.profile, ensure_ascii=False)[:600])
    if context.environment:
        lines.append("Environment: " + json.dumps(context.environment, ensure_ascii=False)[:400])
    newest = list(reversed(context.history))
    offered = set(tools)
    relevant = [h for h in newest if h.call.tool in offered]
    recent = (relevant + [h for h in newest if h.call.tool not in offered])[:CONTEXT_HISTORY]
    if recent:
        lines.append("Past tool use (offered tools first, newest first; + liked, - disliked):")
        for item in recent:
            mark = {1: "+", -1: "-"}.get(item.rating or 0, " ")
            args = json.dumps(item.call.arguments, ensure_ascii=False)[:160]
            lines.append(f"{mark} {item.instruction[:120]!r} -> {item.call.tool}({args})")
    if not lines:
        return None
    head = "What is known about this user (prefer the tools and values they liked):\n"
    return (head + "\n".join(lines))[:limit]


def _call_from(name: Any, arguments: Any) -> ToolCall | None:
    if not isinstance(name, str) or not name:
        return None
    args: Any = {}
    if isinstance(arguments, str) and len(arguments) <= MAX_ARGUMENT_CHARS:
        try:
            args = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            args = {}
    return ToolCall(tool=name, arguments=args if isinstance(args, dict) else {})


def call_of_completion(payload: Any) -> ToolCall | None:
    """The first tool call of a chat completion (None when it made none)."""
    try:
        fn = payload["choices"][0]["message"]["tool_calls"][0]["function"]
    except (KeyError, IndexError, TypeError):
        return None
    return _call_from(fn.get("name"), fn.get("arguments")) if isinstance(fn, dict) else None


class StreamedCall:
    """Assembles the first tool call of a choice-0 stream from its SSE ``data:`` lines."""

    def __init__(self) -> None:
        self.buffer = b""
        self.name: str | None = None
        self.arguments = ""

    def feed(self, chunk: bytes) -> None:
        """Take raw bytes as they arrive; whole lines are read, the rest kept."""
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self._line(line.strip())

    def _line(self, line: bytes) -> None:
        if not line.startswith(b"data:"):
            return
        data = line[5:].strip()
        if data == b"[DONE]":
            return
        try:
            event = json.loads(data)
            deltas = event["choices"][0]["delta"].get("tool_calls") or []
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return
        for delta in deltas:
            if not isinstance(delta, dict) or delta.get("index", 0) != 0:
                continue
            fn = delta.get("function") or {}
            if isinstance(fn.get("name"), str):
                self.name = (self.name or "") + fn["name"]
            if isinstance(fn.get("arguments"), str) and len(self.arguments) < MAX_ARGUMENT_CHARS:
                self.arguments += fn["arguments"]

    def call(self) -> ToolCall | None:
        """The assembled call (None when the stream made none)."""
        self.feed(b"\n")
        return _call_from(self.name, self.arguments)


def _client(request: Request) -> Any:
    state = request.app.state
    client = getattr(state, "upstream_client", None)
    if client is None:
        from openai import AsyncOpenAI

        settings = state.settings
        client = AsyncOpenAI(
            base_url=settings.upstream,
            api_key=settings.upstream_key or "petool",
            timeout=settings.upstream_timeout,
            max_retries=0,
        )
        state.upstream_client = client
    return client


def _top_k(request: Request) -> int:
    raw = request.headers.get("x-petool-top-k")
    if raw is None:
        return int(request.app.state.settings.proxy_top_k)
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise InputError("x-petool-top-k: expected a whole number from 1 to 500")
    return int(raw)


async def _personalize(
    svc: SelectionService, tenant: int, body: dict[str, Any], top_k: int
) -> list[dict[str, Any]]:
    """Shortlist and order ``body["tools"]`` and prepend the context; the alternatives."""
    user, messages = body.get("user"), body.get("messages")
    if not isinstance(user, str) or not user or not isinstance(messages, list):
        return []
    raw_tools = body.get("tools")
    alternatives: list[dict[str, Any]] = []
    keep: list[str] = []  # the tools sent on, in order
    if isinstance(raw_tools, list) and raw_tools:
        tools: list[Tool] = []
        by_name: dict[str, dict[str, Any]] = {}
        for i, item in enumerate(raw_tools):
            if not isinstance(item, dict):
                raise InputError(f"tools[{i}]: expected an object")
            tool = tool_from_dict(item, f"tools[{i}]")
            tools.append(tool)
            by_name[tool.name] = item
        ranked = await svc.shortlist(tenant, user, instruction_of(messages), tools, top_k)
        keep = [t.name for t, _ in ranked]
        forced = forced_tool(body.get("tool_choice"))
        if forced in by_name and forced not in keep:
            keep.append(forced)
        body["tools"] = [by_name[name] for name in keep]
        alternatives = [{"tool": t.name, "score": round(s, 6)} for t, s in ranked]
    note = context_message(await svc.user_context(tenant, user), tools=keep)
    if note:
        body["messages"] = [{"role": "system", "content": note}, *messages]
    return alternatives


async def _record(
    svc: SelectionService,
    tenant: int,
    body: dict[str, Any],
    original: list[Any],
    call: ToolCall | None,
    alternatives: list[dict[str, Any]],
) -> str | None:
    user = body.get("user")
    if not isinstance(user, str) or not user or not body.get("tools"):
        return None
    return await svc.record_selection(
        tenant, user, instruction_of(original), call, "proxy", alternatives, backend="upstream"
    )


def _upstream_error(exc: Exception) -> JSONResponse:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return _error(504, "the upstream did not answer in time", "upstream_timeout")
    if isinstance(exc, openai.APIStatusError):
        try:
            payload = exc.response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            return JSONResponse(payload, exc.status_code)
        return _error(exc.status_code, exc.response.text[:500] or str(exc), "upstream_error")
    return _error(
        502, f"the upstream could not be reached ({type(exc).__name__})", "upstream_unreachable"
    )


@router.post("/v1/chat/completions", responses={502: {}, 503: {}, 504: {}})
async def chat_completions(
    request: Request,
    caller: Caller = Depends(authenticate),
    svc: SelectionService = Depends(get_service),
) -> Response:
    """OpenAI chat completions, personalized for ``user`` and forwarded to the upstream."""
    import openai

    settings = request.app.state.settings
    if not settings.upstream:
        return _error(
            503, "no upstream configured: start petool serve with --upstream URL", "no_upstream"
        )
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "request body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return _error(400, "expected a JSON object with a 'messages' list")
    if not isinstance(body.get("model"), str) and not settings.upstream_model:
        return _error(400, "expected 'model' (a string)")
    original = list(body["messages"])
    try:
        alternatives = await _personalize(svc, caller.tenant_id, body, _top_k(request))
    except InputError as exc:
        return _error(400, str(exc))
    model = settings.upstream_model or body["model"]
    stream = body.get("stream") is True
    rest = {k: v for k, v in body.items() if k not in ("model", "messages", "stream")}
    client = _client(request)
    kwargs: dict[str, Any] = {"model": model, "messages": body["messages"], "extra_body": rest}
    if not stream:
        try:
            raw = await client.chat.completions.with_raw_response.create(**kwargs)
            content = await raw.http_response.aread()
        except openai.APIError as exc:
            return _upstream_error(exc)
        try:
            payload = json.loads(content)
        except ValueError:
            return _error(
                502, "the upstream answered with a body that is not JSON", "upstream_error"
            )
        sid = await _record(
            svc, caller.tenant_id, body, original, call_of_completion(payload), alternatives
        )
        headers = {SELECTION_HEADER: sid} if sid else {}
        return Response(
            content, raw.http_response.status_code, headers, media_type="application/json"
        )
    manager = client.chat.completions.with_streaming_response.create(stream=True, **kwargs)
    try:
        upstream = await manager.__aenter__()
    except openai.APIError as exc:
        return _upstream_error(exc)

    async def relay() -> AsyncIterator[bytes]:
        assembled = StreamedCall()
        try:
            async for chunk in upstream.http_response.aiter_raw():
                assembled.feed(chunk)
                yield chunk
        finally:
            # The client may hang up right after [DONE], cancelling this generator: the record
            # runs as its own task so it is stored either way.
            task = asyncio.create_task(
                _record(svc, caller.tenant_id, body, original, assembled.call(), alternatives)
            )
            _PENDING.add(task)
            task.add_done_callback(_PENDING.discard)
            await asyncio.shield(manager.__aexit__(None, None, None))

    return StreamingResponse(
        relay(), upstream.http_response.status_code, media_type="text/event-stream"
    )
