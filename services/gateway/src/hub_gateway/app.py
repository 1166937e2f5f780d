"""The public REST gateway: `create_app(settings)` builds it; nothing connects until the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub_contracts.runtime import configure_logging
from hub_gateway.auth import Authenticator
from hub_gateway.dependencies import Components
from hub_gateway.hot_routes import HotRoutesMiddleware
from hub_gateway.idempotency import IdempotencyStore
from hub_gateway.middleware import BodyLimitMiddleware, RequestIdMiddleware, add_request_id
from hub_gateway.openapi_doc import customise_openapi
from hub_gateway.outcomes import OutcomeWaiter
from hub_gateway.problems import (
    ProblemError,
    on_http_error,
    on_problem,
    on_unexpected,
    on_validation_error,
    problem_response,
)
from hub_gateway.publisher import CommandPublisher
from hub_gateway.rate_limit import RateLimiter
from hub_gateway.reads import AssessmentReader
from hub_gateway.routes import assessments, forwarding, scenarios
from hub_gateway.settings import GatewaySettings

DESCRIPTION = """\
Create candidate assessments, read their Agentic Readiness Scores, and get them pushed into your ATS.

Authenticate with `Authorization: Bearer lt_sk_live_…` (or `lt_sk_test_…` for test mode, whose data
live keys never see). 100 requests per minute per account; every response carries `RateLimit` headers.
Errors are RFC 9457 problem details with a stable `code` and the `request_id` of the call.
"""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_format, context=[add_request_id])

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url.get_secret_value())
        # redis-py 8 times out every read after 5 s by default: blocking waits get their own client
        blocking_redis = Redis.from_url(settings.redis_url.get_secret_value(),
                                        socket_timeout=settings.command_wait_s + 5)
        publisher = CommandPublisher(settings)
        await publisher.start()
        app.state.forward_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15, connect=5))
        app.state.components = Components(
            settings=settings,
            authenticator=Authenticator(redis, settings.api_key_secret.get_secret_value(), settings.namespace,
                                        settings.key_cache_ttl_s),
            rate_limiter=RateLimiter(redis, settings.namespace),
            idempotency=IdempotencyStore(redis, settings.namespace, settings.idempotency_ttl_s),
            publisher=publisher,
            reader=AssessmentReader(redis, settings.namespace, settings.pending_record_ttl_s),
            outcomes=OutcomeWaiter(blocking_redis, settings.namespace, settings.command_wait_s),
        )
        try:
            yield
        finally:
            await app.state.forward_session.close()
            await publisher.stop()
            await redis.aclose()
            await blocking_redis.aclose()

    app = FastAPI(title="LexTalent.ai API", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None,
                  servers=[{"url": settings.public_base_url}])
    app.include_router(assessments.router)
    app.include_router(scenarios.router)
    app.include_router(forwarding.router)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, _validation_or_body_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
    # Innermost first: the hot route needs the body limit's verdict; every response gets a request id.
    app.add_middleware(HotRoutesMiddleware, routes={("POST", "/v1/assessments"): assessments.create_assessment},
                       on_invalid=_validation_or_body_problem)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    customise_openapi(app)
    return app


async def _validation_or_body_problem(request: Request, exc: Exception) -> JSONResponse:
    """413 for an oversized body, 415 for a non-JSON one, else the 400 with field errors."""
    if getattr(request.state, "body_too_large", False):
        return problem_response(request, ProblemError(413, "payload_too_large", "The body is over 64 KB."))
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH") and content_type and "json" not in content_type:
        return problem_response(request, ProblemError(415, "unsupported_media_type",
                                                      "Send the body as application/json."))
    return await on_validation_error(request, exc)
