"""OpenAI's chat-completions wire format: reading answers, errors and Retry-After.

Plain functions over decoded JSON and the SDK's exceptions, shared by the ``openai:``
backend and its tests. Reading never trusts the body: anything that is not a completion
with a message is a retryable "malformed response".
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
from typing import Any

from petool.backends.base import BackendResponse
from petool.errors import BackendError

MAX_RETRY_AFTER_S = 120.0


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    Returns:
        The wait, capped at 120 s; None when the headers say nothing usable.
    """
    if not headers:
        return None
    wait: float | None = None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            wait = float(ms) / 1000
        except ValueError:
            wait = None
    value = headers.get("retry-after")
    if wait is None and value:
        try:
            wait = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            wait = when.timestamp() - time.time()
    if wait is None or math.isnan(wait):
        return None
    return min(max(wait, 0.0), MAX_RETRY_AFTER_S)


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP error status may succeed when asked again (408, 409, 429, 5xx)."""
    return status >= 500 or status in (408, 409, 429)


def status_response(
    status: int, body: Any, headers: Mapping[str, str] | None, fallback: str
) -> BackendResponse:
    """A per-item error for an HTTP error status.

    Args:
        status: The HTTP status (>= 400).
        body: The decoded error body, if any (``{"error": {"message": ...}}`` or a dict).
        headers: The response headers (for ``Retry-After`` on retryable statuses).
        fallback: The message when the body carries none.
    """
    retryable = is_retryable_status(status)
    wait = parse_retry_after(headers) if retryable else None
    detail = body.get("error", body) if isinstance(body, dict) else None
    reason = detail.get("message") if isinstance(detail, dict) else None
    message = reason if isinstance(reason, str) else fallback
    return BackendResponse(
        error=f"HTTP {status}: {message}"[:500], retryable=retryable, retry_after=wait
    )


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception (the aiohttp transport reports a refused connection as a
    connect *timeout*; its cause says what happened)."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def failure_response(exc: Exception, timeout: float) -> BackendResponse:
    """A per-item error for an exception of the SDK (or of reading its response).

    Retryable: timeouts, connection errors, 408, 409, 429, 5xx, undecodable bodies.
    """
    import openai

    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        cause = _root_cause(exc)
        if isinstance(exc, openai.APITimeoutError) and "timeout" in type(cause).__name__.lower():
            return BackendResponse(error=f"timeout after {timeout:g} s", retryable=True)
        detail = f"{type(cause).__name__}: {cause}" if cause is not exc else str(exc)
        return BackendResponse(error=f"connection error: {detail}"[:500], retryable=True)
    if isinstance(exc, openai.APIStatusError):
        return status_response(exc.status_code, exc.body, exc.response.headers, str(exc.message))
    if isinstance(exc, openai.APIResponseValidationError | openai.APIError):
        return BackendResponse(error=f"malformed response: {exc}"[:500], retryable=True)
    return BackendResponse(error=f"malformed response: {type(exc).__name__}: {exc}"[:500])


def _wire_tool_calls(message: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    calls = message.get("tool_calls")
    if not calls:
        return None
    if not isinstance(calls, list):
        raise BackendError(f"malformed response: tool_calls is {type(calls).__name__}")
    result = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise BackendError(f"malformed response: tool call without function: {call!r:.200}")
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        entry = {"name": function.get("name"), "arguments": arguments}
        result.append({"id": call.get("id"), "type": "function", "function": entry})
    return result


def read_completion(data: Any) -> dict[str, Any]:
    """The parts of a chat-completion JSON body petool keeps (the cache's value format).

    Args:
        data: The decoded response body.

    Returns:
        ``{"output", "tool_calls", "prompt_tokens", "completion_tokens"}``.

    Raises:
        BackendError: The body is not a completion with a message (retryable).
    """
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BackendError(f"malformed response: no choices in {str(data)[:200]!r}")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise BackendError("malformed response: the first choice has no message")
    content = message.get("content")
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return {
        "output": content if isinstance(content, str) else "",
        "tool_calls": _wire_tool_calls(message),
        "prompt_tokens": _count(usage.get("prompt_tokens")),
        "completion_tokens": _count(usage.get("completion_tokens")),
    }


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def map_names(
    tool_calls: list[dict[str, Any]] | None, name_map: Mapping[str, str]
) -> list[dict[str, Any]] | None:
    """Native tool calls with their safe function names replaced by the tools' names."""
    if not tool_calls or not name_map:
        return tool_calls
    mapped = []
    for call in tool_calls:
        function = dict(call.get("function") or {})
        name = function.get("name")
        if isinstance(name, str):
            function["name"] = name_map.get(name, name)
        mapped.append({**call, "function": function})
    return mapped
