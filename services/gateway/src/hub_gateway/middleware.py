"""Pure ASGI middleware: request ids on every response, and the 64 KB body limit."""

from __future__ import annotations

import random
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_gateway.problems import internal_error_response

log = structlog.get_logger(__name__)

CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    """`req_` + 16 hex digits. A request id only has to be unique, not secret: 64 bits from the
    process's PRNG (reseeded from the OS after a fork), not a CSPRNG syscall per request."""
    return f"req_{random.getrandbits(64):016x}"


def add_request_id(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current request's id on every log line written while serving it."""
    request_id = CURRENT_REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


class RequestIdMiddleware:
    """Every request gets `req_…`; it is in `X-Request-Id`, every problem body and every log line.
    Also stamps the caller's rate-limit headers (set by the auth dependency) on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        # Each request runs in its own task (its own context copy), so this never leaks to another request.
        CURRENT_REQUEST_ID.set(request_id)
        encoded_id = request_id.encode()
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", encoded_id))
                rate_limit_headers = state.get("rate_limit_headers")  # [(name, value)], lower-case names
                if rate_limit_headers and not any(name.lower() == b"ratelimit" for name, _ in headers):
                    headers.extend(rate_limit_headers)  # a 429 carries them already
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answered here rather than by Starlette's outermost error middleware, so that a 500 carries
            # X-Request-Id like every other response. Nothing about the error reaches the caller.
            log.exception("request.unhandled", path=scope.get("path"))
            if started:
                raise
            await internal_error_response(request_id)(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Refuses bodies over the limit, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                scope.setdefault("state", {})["body_too_large"] = True
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    scope.setdefault("state", {})["body_too_large"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        await self.app(scope, limited_receive, send)
