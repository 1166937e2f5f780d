"""Runs a POST handler under its `Idempotency-Key`, replaying the stored response on repeats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub_gateway.auth import Principal
from hub_gateway.dependencies import Components
from hub_gateway.idempotency import StoredResponse, fingerprint
from hub_gateway.problems import ProblemError, problem_response

REPLAYED_HEADERS = ("content-type", "location")


async def idempotent(request: Request, principal: Principal, parts: Components,
                     handler: Callable[[], Awaitable[Response]]) -> Response:
    key = request.headers.get("idempotency-key")
    if key is None:
        return await handler()
    if not 1 <= len(key) <= 255:
        raise ProblemError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-255 characters.")
    body = await request.body()
    print_ = fingerprint(request.method, request.url.path + "?" + request.url.query, body)
    store = parts.idempotency
    claim = await store.claim(principal.account_id, principal.livemode, key, print_)
    if claim.conflict:
        raise ProblemError(409, "idempotency_conflict",
                           "This Idempotency-Key was used with another request (or is still in progress).")
    if claim.replay is not None:
        replay = claim.replay
        return Response(replay.body, status_code=replay.status,
                        headers={**replay.headers, "Idempotent-Replayed": "true"})
    try:
        response = await handler()
    except ProblemError as exc:
        response = problem_response(request, exc)
    except BaseException:
        await store.release(principal.account_id, principal.livemode, key)
        raise
    stored_headers = {k: v for k, v in response.headers.items() if k.lower() in REPLAYED_HEADERS}
    await store.complete(principal.account_id, principal.livemode, key, print_,
                         StoredResponse(response.status_code, bytes(response.body), stored_headers))
    return response


def json_response(model_json: bytes, status: int) -> JSONResponse:
    response = JSONResponse(None, status_code=status)
    response.body = model_json
    response.headers["content-length"] = str(len(model_json))
    return response
