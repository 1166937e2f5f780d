"""Request-scoped dependencies: the app's components, the authenticated and rate-limited caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hub_gateway.auth import Authenticator, Principal
from hub_gateway.idempotency import IdempotencyStore
from hub_gateway.outcomes import OutcomeWaiter
from hub_gateway.problems import FieldError, ProblemError
from hub_gateway.publisher import CommandPublisher
from hub_gateway.rate_limit import RateLimiter
from hub_gateway.reads import AssessmentReader
from hub_gateway.settings import GatewaySettings


@dataclass
class Components:
    settings: GatewaySettings
    authenticator: Authenticator
    rate_limiter: RateLimiter
    idempotency: IdempotencyStore
    publisher: CommandPublisher
    reader: AssessmentReader
    outcomes: OutcomeWaiter


async def components(request: Request) -> Components:
    found: Components = request.app.state.components
    return found


async def caller(request: Request,
                 parts: Annotated[Components, Depends(components)]) -> Principal:
    """Authenticates the Bearer key, then counts the request against the account's limit."""
    _refuse_unknown_query_parameters(request)
    principal = await parts.authenticator.authenticate(request.headers.get("authorization"))
    await count_request(request, parts, principal)
    return principal


async def count_request(request: Request, parts: Components, principal: Principal, *,
                        then_set: tuple[str, bytes, int] | None = None) -> None:
    """Counts the request against the account's limit (429 past it); `then_set` is written only if allowed."""
    decision = await parts.rate_limiter.hit(principal.account_id, principal.account.rate_limit_per_minute,
                                            then_set=then_set)
    request.state.rate_limit_headers = decision.raw_headers()
    if not decision.allowed:
        headers = decision.headers()
        raise ProblemError(429, "rate_limited",
                           f"Rate limit of {decision.limit} requests per minute exceeded. "
                           f"Retry after {decision.reset_s} s.",
                           headers={**headers, "Retry-After": str(decision.reset_s)})


async def lean_caller(request: Request) -> tuple[Principal, Components]:
    """`caller` for a `LeanRoute` (which takes no parameters): authenticated, not yet counted."""
    parts: Components = request.app.state.components
    if request.scope.get("query_string"):
        _refuse_query_parameters(sorted(set(request.query_params)))
    return await parts.authenticator.authenticate(request.headers.get("authorization")), parts


Caller = Annotated[Principal, Depends(caller)]
Parts = Annotated[Components, Depends(components)]


def _refuse_unknown_query_parameters(request: Request) -> None:
    """Unknown query parameters are an error, like unknown body fields (a typo must not widen a list)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or not request.query_params:
        return  # forwarded routes: the owning service validates its own parameters
    known = _query_names(route.dependant)
    _refuse_query_parameters(sorted({name for name in request.query_params if name not in known}))


def _refuse_query_parameters(unknown: list[str]) -> None:
    if unknown:
        raise ProblemError(400, "invalid_request", f"Unknown query parameter(s): {', '.join(unknown)}",
                           errors=[FieldError(field=name or "(empty)", message="unknown parameter")
                                   for name in unknown])


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
