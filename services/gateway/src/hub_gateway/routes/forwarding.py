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

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub_gateway.dependencies import Caller, Parts
from hub_gateway.idempotent_post import idempotent
from hub_gateway.problems import ProblemError, problem_responses, request_id_of

router = APIRouter(tags=["management"])

FORWARDED_RESPONSE_HEADERS = ("content-type", "location", "retry-after")
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
    url = f"{base_url.rstrip('/')}/internal/v1/{path}"
    try:
        async with session.request(request.method, url, params=list(request.query_params.multi_items()),
                                   data=body or None, headers=headers, allow_redirects=False) as upstream:
            content = await upstream.read()
            passed = {k: v for k, v in upstream.headers.items() if k.lower() in FORWARDED_RESPONSE_HEADERS}
            return Response(content, status_code=upstream.status, headers=passed)
    except (aiohttp.ClientError, TimeoutError):
        raise ProblemError(503, "service_unavailable", "This part of the API is briefly unavailable. Retry.",
                           headers={"Retry-After": "5"}) from None


ERRORS = problem_responses(400, 401, 403, 404, 409, 429, 503)
ROUTE: dict[str, Any] = {"methods": METHODS, "responses": ERRORS, "include_in_schema": False}


@router.api_route("/v1/webhook-endpoints", **ROUTE, summary="Webhook endpoints")
@router.api_route("/v1/webhook-endpoints/{rest:path}", **ROUTE,
                  summary="One webhook endpoint")
async def webhook_endpoints(request: Request, principal: Caller, parts: Parts, rest: str = "") -> Response:
    """Account-level webhook endpoints: create (url, event types, description), list, get, update,
    disable, delete, rotate the secret, send a test event. Served by the webhooks service."""
    path = "webhook-endpoints" + (f"/{rest}" if rest else "")
    return await _forward(request, principal, parts, parts.settings.webhooks_internal_url, path)


@router.api_route("/v1/webhook-deliveries", **ROUTE, summary="Webhook deliveries")
@router.api_route("/v1/webhook-deliveries/{rest:path}", **ROUTE,
                  summary="One webhook delivery")
async def webhook_deliveries(request: Request, principal: Caller, parts: Parts, rest: str = "") -> Response:
    """The delivery log (every attempt), redelivery and recovery. Served by the webhooks service."""
    path = "webhook-deliveries" + (f"/{rest}" if rest else "")
    return await _forward(request, principal, parts, parts.settings.webhooks_internal_url, path)


@router.api_route("/v1/integrations", **ROUTE, summary="ATS integrations")
@router.api_route("/v1/integrations/{rest:path}", **ROUTE, summary="One integration")
async def integrations(request: Request, principal: Caller, parts: Parts, rest: str = "") -> Response:
    """ATS integrations (Greenhouse, Lever, Workday, iCIMS, SmartRecruiters). Served by the connectors
    service; credentials are write-only."""
    path = "integrations" + (f"/{rest}" if rest else "")
    return await _forward(request, principal, parts, parts.settings.connectors_internal_url, path)
