"""Public management APIs owned by other services, forwarded one-to-one after auth and rate limit.

`/v1/webhook-endpoints…` and `/v1/webhook-deliveries…` belong to the webhooks service,
`/v1/integrations…` to the connectors service. The gateway authenticates the caller and passes
the account and mode in headers; the owner validates, stores and answers (problem+json on error).

POSTs honour `Idempotency-Key` like the gateway's own POSTs (`idempotent`): any completed answer of
the owner below 500, 4xx included, is stored and replayed; a 5xx of the owner and the 503 of an
unreachable owner are not stored, so a retry with the same key reaches the owner again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from yarl import URL

from hub_gateway.dependencies import Caller, Parts
from hub_gateway.idempotent_post import idempotent
from hub_gateway.problems import HTTP_ERROR_CODES, PROBLEM_JSON, ProblemError, problem_responses, request_id_of

router = APIRouter(tags=["management"])

FORWARDED_RESPONSE_HEADERS = ("content-type", "location", "retry-after", "allow")
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


async def _forward(request: Request, principal: Caller, parts: Parts, base_url: str, path: str) -> Response:
    async def send() -> Response:
        return await _send(request, principal, parts, base_url, path)

    if request.method == "POST":
        return await idempotent(request, principal, parts, send)
    return await send()


async def _send(request: Request, principal: Caller, parts: Parts, base_url: str, path: str) -> Response:
    session: aiohttp.ClientSession = request.app.state.forward_session
    body = await request.body()
    headers = {
        "Authorization": f"Bearer {parts.settings.internal_token.get_secret_value()}",
        "X-Hub-Account-Id": principal.account_id,
        "X-Hub-Livemode": "true" if principal.livemode else "false",
        "X-Request-Id": request_id_of(request),
        "Content-Type": request.headers.get("content-type", "application/json"),
    }
    url = URL(f"{base_url.rstrip('/')}/internal/v1/{path}", encoded=True)  # `path` is encoded already
    try:
        async with session.request(request.method, url, params=list(request.query_params.multi_items()),
                                   data=body or None, headers=headers, allow_redirects=False) as upstream:
            content = await upstream.read()
            passed = {k: v for k, v in upstream.headers.items() if k.lower() in FORWARDED_RESPONSE_HEADERS}
            if upstream.status >= 400 and PROBLEM_JSON not in upstream.headers.get("content-type", ""):
                raise _as_problem(upstream.status, content, passed)
            return Response(content, status_code=upstream.status, headers=passed)
    except (aiohttp.ClientError, TimeoutError):
        raise ProblemError(503, "service_unavailable", "This part of the API is briefly unavailable. Retry.",
                           headers={"Retry-After": "5"}) from None


def _owner_path(resource: str, rest: str) -> str:
    """The owner's path, each segment percent-encoded again: an id holding `?`, `#` or `%` stays one
    segment, and `.`/`..` or empty segments (which could climb to another internal path) are a 404."""
    segments = rest.split("/") if rest else []
    if any(segment in ("", ".", "..") for segment in segments):
        raise ProblemError(404, "not_found", "No such endpoint.")
    return resource + "".join("/" + quote(segment, safe="") for segment in segments)


def _as_problem(status: int, content: bytes, headers: dict[str, str]) -> ProblemError:
    """An owner's error that is not a problem document (its framework answering an unknown method or path):
    the same answer as problem+json, keeping `Allow` and `Retry-After`."""
    try:
        detail = str(orjson.loads(content).get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        detail = ""
    kept = {k: v for k, v in headers.items() if k.lower() in ("allow", "retry-after")}
    code = HTTP_ERROR_CODES.get(status, "upstream_error" if status >= 500 else "invalid_request")
    return ProblemError(status, code, detail or "The request was refused.", headers=kept)


ERRORS = problem_responses(400, 401, 403, 404, 409, 429, 503)
ROUTE: dict[str, Any] = {"methods": METHODS, "responses": ERRORS, "include_in_schema": False}


@router.api_route("/v1/webhook-endpoints", **ROUTE, summary="Webhook endpoints")
@router.api_route("/v1/webhook-endpoints/{rest:path}", **ROUTE,
                  summary="One webhook endpoint")
async def webhook_endpoints(request: Request, principal: Caller, parts: Parts, rest: str = "") -> Response:
    """Account-level webhook endpoints: create (url, event types, description), list, get, update,
    disable, delete, rotate the secret, send a test event. Served by the webhooks service."""
    path = _owner_path("webhook-endpoints", rest)
    return await _forward(request, principal, parts, parts.settings.webhooks_internal_url, path)


@router.api_route("/v1/webhook-deliveries", **ROUTE, summary="Webhook deliveries")
@router.api_route("/v1/webhook-deliveries/{rest:path}", **ROUTE,
                  summary="One webhook delivery")
async def webhook_deliveries(request: Request, principal: Caller, parts: Parts, rest: str = "") -> Response:
    """The delivery log (every attempt), redelivery and recovery. Served by the webhooks service."""
    path = _owner_path("webhook-deliveries", rest)
    return await _forward(request, principal, parts, parts.settings.webhooks_internal_url, path)


@router.api_route("/v1/integrations", **ROUTE, summary="ATS integrations")
@router.api_route("/v1/integrations/{rest:path}", **ROUTE, summary="One integration")
async def integrations(request: Request, principal: Caller, parts: Parts, rest: str = "") -> Response:
    """ATS integrations (Greenhouse, Lever, Workday, iCIMS, SmartRecruiters). Served by the connectors
    service; credentials are write-only."""
    path = _owner_path("integrations", rest)
    return await _forward(request, principal, parts, parts.settings.connectors_internal_url, path)
