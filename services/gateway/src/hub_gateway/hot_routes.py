"""The hottest operation straight from the middleware stack to its endpoint.

`POST /v1/assessments` is what ATS middleware calls in bulk. Its endpoint is a `LeanRoute` endpoint
(it takes the `Request`, returns a `Response`, and raises `ProblemError`/`RequestValidationError`),
so it needs nothing from the router: this middleware, innermost of ours, matches the exact method and
path and calls the same endpoint, skipping routing through the included routers, FastAPI's exception
middleware and per-request exit stacks (about a fifth of the request's CPU). Every other request,
including `/v1/assessments/` with a slash, goes through FastAPI as usual; errors get the same problem
responses, and anything unexpected still reaches the app's 500 handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hub_gateway.problems import ProblemError, problem_response

Endpoint = Callable[[Request], Awaitable[Response]]
ValidationHandler = Callable[[Request, Exception], Awaitable[Response]]


class HotRoutesMiddleware:
    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], Endpoint],
                 on_invalid: ValidationHandler) -> None:
        self.app = app
        self.routes = dict(routes)
        self.on_invalid = on_invalid

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.routes.get((scope.get("method", ""), scope.get("path", "")))
        if endpoint is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except ProblemError as exc:
            response = problem_response(request, exc)
        except RequestValidationError as exc:
            response = await self.on_invalid(request, exc)
        await response(scope, receive, send)
