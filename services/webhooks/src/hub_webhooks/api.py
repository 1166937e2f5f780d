"""The internal management API: account webhook endpoints and the delivery log.

The gateway forwards `/v1/<path>` here as `/internal/v1/<path>` with the internal bearer token and
the caller's account and mode in headers; every lookup is scoped to that account and mode.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub_contracts.webhook_catalogue import webhook_event_names
from hub_webhooks.endpoints import EndpointRecord
from hub_webhooks.ping import test_delivery
from hub_webhooks.problems import ProblemError, install_problem_handlers, not_found
from hub_webhooks.service import WebhooksService
from hub_webhooks.ssrf import BlockedTargetError, check_target
from hub_webhooks.views import EndpointView, EndpointWithSecret, delivery_view, endpoint_view, with_secret

_ACCOUNT = re.compile(r"^acct_[0-9A-Za-z]{8,32}$")
MAX_ENDPOINTS_PER_ACCOUNT = 50
MAX_RECOVER = 10_000
DELIVERY_STATUSES = ("pending", "succeeded", "dead")


class Caller(BaseModel):
    account_id: str
    livemode: bool


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_event_types(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    known = set(webhook_event_names())
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {sorted(known)}")
    return sorted(set(values))


class EndpointCreate(_Body):
    url: str = Field(min_length=1, max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(default_factory=list, max_length=20)
    rate_limit_per_s: float | None = Field(default=None, gt=0, le=10_000)
    max_concurrency: int | None = Field(default=None, ge=1, le=256)

    _types = field_validator("event_types")(_check_event_types)


class EndpointUpdate(_Body):
    url: str | None = Field(default=None, min_length=1, max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] | None = Field(default=None, max_length=20)
    rate_limit_per_s: float | None = Field(default=None, gt=0, le=10_000)
    max_concurrency: int | None = Field(default=None, ge=1, le=256)
    disabled: bool | None = None

    _types = field_validator("event_types")(_check_event_types)


class RotateSecret(_Body):
    grace_period_seconds: int | None = Field(default=None, ge=0)


class Recover(_Body):
    since: datetime
    until: datetime | None = None


def service_of(request: Request) -> WebhooksService:
    service: WebhooksService = request.app.state.service
    return service


def caller(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_hub_account_id: Annotated[str | None, Header()] = None,
    x_hub_livemode: Annotated[str | None, Header()] = None,
) -> Caller:
    token = service_of(request).settings.internal_token
    presented = (authorization or "").removeprefix("Bearer ")
    if not authorization or not hmac.compare_digest(presented.encode(), token.encode()):
        raise ProblemError(401, "unauthorized", "A valid internal token is required.")
    if not x_hub_account_id or not _ACCOUNT.match(x_hub_account_id):
        raise ProblemError(401, "unauthorized", "X-Hub-Account-Id is missing or malformed.")
    return Caller(account_id=x_hub_account_id, livemode=(x_hub_livemode or "true").lower() == "true")


Svc = Annotated[WebhooksService, Depends(service_of)]
Who = Annotated[Caller, Depends(caller)]


def install_api(app: FastAPI) -> None:
    install_problem_handlers(app)

    async def own_endpoint(service: WebhooksService, who: Caller, endpoint_id: str) -> EndpointRecord:
        record = await service.endpoints.get_for_account(who.account_id, endpoint_id)
        if record is None or record.livemode != who.livemode:
            raise not_found("webhook endpoint")
        return record

    async def vet_url(service: WebhooksService, url: str) -> None:
        try:
            await check_target(service.policy, service.resolver, url)
        except BlockedTargetError as exc:
            raise ProblemError(
                400,
                "invalid_url",
                "The URL cannot be a webhook target.",
                [{"field": "url", "message": exc.reason}],
            ) from None

    @app.get("/internal/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/internal/v1/webhook-endpoints", status_code=201, response_model=EndpointWithSecret)
    async def create_endpoint(body: EndpointCreate, service: Svc, who: Who) -> EndpointWithSecret:
        await vet_url(service, body.url)
        existing = await service.endpoints.list_for_account(who.account_id)
        if len(existing) >= MAX_ENDPOINTS_PER_ACCOUNT:
            raise ProblemError(
                409, "endpoint_limit", f"An account has at most {MAX_ENDPOINTS_PER_ACCOUNT} endpoints."
            )
        now = service.clock.now_ms()
        record = await service.endpoints.create(
            account_id=who.account_id,
            livemode=who.livemode,
            url=body.url,
            description=body.description,
            event_types=body.event_types,
            rate_limit_per_s=body.rate_limit_per_s,
            max_concurrency=body.max_concurrency,
            at_ms=now,
        )
        await service.store.set_destination_limits(
            record.id, max_concurrency=record.max_concurrency, rate_per_s=record.rate_limit_per_s
        )
        return with_secret(record, record.secrets[0].secret, now)

    @app.get("/internal/v1/webhook-endpoints")
    async def list_endpoints(service: Svc, who: Who) -> dict[str, Any]:
        now = service.clock.now_ms()
        records = [
            r for r in await service.endpoints.list_for_account(who.account_id) if r.livemode == who.livemode
        ]
        return {"object": "list", "data": [endpoint_view(r, now) for r in records], "has_more": False}

    @app.get("/internal/v1/webhook-endpoints/{endpoint_id}", response_model=EndpointView)
    async def get_endpoint(endpoint_id: str, service: Svc, who: Who) -> EndpointView:
        return endpoint_view(await own_endpoint(service, who, endpoint_id), service.clock.now_ms())

    @app.patch("/internal/v1/webhook-endpoints/{endpoint_id}", response_model=EndpointView)
    async def update_endpoint(endpoint_id: str, body: EndpointUpdate, service: Svc, who: Who) -> EndpointView:
        record = await own_endpoint(service, who, endpoint_id)
        changes = body.model_dump(exclude_unset=True)
        if changes.get("url") is not None:
            await vet_url(service, changes["url"])
        if "disabled" in changes:
            changes["disabled"] = bool(changes["disabled"])
            changes["disabled_reason"] = "disabled by the account" if changes["disabled"] else None
        if changes.get("event_types") is None:
            changes.pop("event_types", None)
        now = service.clock.now_ms()
        updated = await service.endpoints.update(
            record.id, lambda current: current.model_copy(update={**changes, "updated_ms": now})
        )
        if updated is None:
            raise not_found("webhook endpoint")
        await service.store.set_destination_limits(
            updated.id, max_concurrency=updated.max_concurrency, rate_per_s=updated.rate_limit_per_s
        )
        return endpoint_view(updated, now)

    async def set_disabled(
        service: WebhooksService, who: Caller, endpoint_id: str, disabled: bool
    ) -> EndpointView:
        record = await own_endpoint(service, who, endpoint_id)
        now = service.clock.now_ms()
        updated = await service.endpoints.update(
            record.id,
            lambda current: current.model_copy(
                update={
                    "disabled": disabled,
                    "disabled_reason": "disabled by the account" if disabled else None,
                    "updated_ms": now,
                }
            ),
        )
        if updated is None:
            raise not_found("webhook endpoint")
        return endpoint_view(updated, now)

    @app.post("/internal/v1/webhook-endpoints/{endpoint_id}/disable", response_model=EndpointView)
    async def disable_endpoint(endpoint_id: str, service: Svc, who: Who) -> EndpointView:
        return await set_disabled(service, who, endpoint_id, True)

    @app.post("/internal/v1/webhook-endpoints/{endpoint_id}/enable", response_model=EndpointView)
    async def enable_endpoint(endpoint_id: str, service: Svc, who: Who) -> EndpointView:
        return await set_disabled(service, who, endpoint_id, False)

    @app.delete("/internal/v1/webhook-endpoints/{endpoint_id}", status_code=204)
    async def delete_endpoint(endpoint_id: str, service: Svc, who: Who) -> Response:
        await service.endpoints.delete(await own_endpoint(service, who, endpoint_id))
        return Response(status_code=204)

    @app.post("/internal/v1/webhook-endpoints/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
    async def rotate_secret(
        endpoint_id: str, service: Svc, who: Who, body: RotateSecret | None = None
    ) -> EndpointWithSecret:
        record = await own_endpoint(service, who, endpoint_id)
        settings = service.settings
        grace = (
            settings.rotation_grace_default_s
            if body is None or body.grace_period_seconds is None
            else body.grace_period_seconds
        )
        if grace > settings.rotation_grace_max_s:
            raise ProblemError(
                400,
                "invalid_request",
                "The grace period is too long.",
                [
                    {
                        "field": "grace_period_seconds",
                        "message": f"at most {settings.rotation_grace_max_s} seconds",
                    }
                ],
            )
        now = service.clock.now_ms()
        fresh: list[str] = []

        def rotate(current: EndpointRecord) -> EndpointRecord:
            rotated, secret = service.endpoints.rotated(current, grace, now)
            fresh[:] = [secret]
            return rotated

        updated = await service.endpoints.update(record.id, rotate)
        if updated is None:
            raise not_found("webhook endpoint")
        return with_secret(updated, fresh[0], now)

    @app.post("/internal/v1/webhook-endpoints/{endpoint_id}/test", status_code=202)
    async def send_test_event(endpoint_id: str, service: Svc, who: Who) -> dict[str, Any]:
        record = await own_endpoint(service, who, endpoint_id)
        if record.disabled:
            raise ProblemError(409, "endpoint_disabled", "The endpoint is disabled; enable it first.")
        delivery = test_delivery(record)
        await service.store.fan_out(
            delivery.msg_id, [delivery], service.clock.now_ms(), service.settings.event_dedupe_ttl_s
        )
        service.dispatcher.wake()
        return await delivery_body(service, delivery.id)

    @app.post("/internal/v1/webhook-endpoints/{endpoint_id}/recover", status_code=202)
    async def recover_failed(endpoint_id: str, body: Recover, service: Svc, who: Who) -> dict[str, Any]:
        record = await own_endpoint(service, who, endpoint_id)
        since_ms = int(body.since.timestamp() * 1000)
        until_ms = None if body.until is None else int(body.until.timestamp() * 1000) + 1
        ids = await service.store.index_page(
            service.store.keys.endpoint_index(record.id),
            before_ms=until_ms,
            since_ms=since_ms,
            limit=MAX_RECOVER,
        )
        recovered = 0
        now = service.clock.now_ms()
        for chunk_start in range(0, len(ids), 200):
            for row in await service.store.get_many(ids[chunk_start : chunk_start + 200]):
                if (
                    row.get("status") == "dead"
                    and await service.store.redeliver(row["id"], now) == "requeued"
                ):
                    recovered += 1
        service.dispatcher.wake()
        return {"object": "webhook_recovery", "endpoint_id": record.id, "recovered": recovered}

    async def delivery_body(service: WebhooksService, delivery_id: str) -> dict[str, Any]:
        row = await service.store.get(delivery_id)
        if row is None:
            raise not_found("webhook delivery")
        return delivery_view(row, await service.store.attempts(delivery_id))

    async def own_delivery(service: WebhooksService, who: Caller, delivery_id: str) -> dict[str, str]:
        row = await service.store.get(delivery_id)
        if (
            row is None
            or row.get("account_id") != who.account_id
            or (row.get("livemode") == "1") != who.livemode
        ):
            raise not_found("webhook delivery")
        return row

    @app.get("/internal/v1/webhook-deliveries")
    async def list_deliveries(
        service: Svc,
        who: Who,
        assessment_id: Annotated[str | None, Query(max_length=64)] = None,
        endpoint_id: Annotated[str | None, Query(max_length=64)] = None,
        status: Annotated[str | None, Query(pattern="^(pending|succeeded|dead)$")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        starting_after: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        keys = service.store.keys
        if endpoint_id is not None:
            await own_endpoint(service, who, endpoint_id)
            index = keys.endpoint_index(endpoint_id)
        elif assessment_id is not None:
            index = keys.assessment_index(assessment_id)
        else:
            index = keys.account_index(who.account_id)
        before_ms: int | None = None
        skip_until: str | None = None
        if starting_after is not None:
            cursor = await own_delivery(service, who, starting_after)
            before_ms = int(cursor["created_ms"]) + 1
            skip_until = starting_after
        out: list[dict[str, str]] = []
        scanned = 0
        has_more = False
        while scanned < 2000:
            ids = await service.store.index_page(index, before_ms=before_ms, since_ms=None, limit=200)
            if not ids:
                break
            scanned += len(ids)
            rows = await service.store.get_many(ids)
            for row in rows:
                if skip_until is not None:
                    if row["id"] == skip_until:
                        skip_until = None
                    continue
                if (
                    row.get("account_id") != who.account_id
                    or (row.get("livemode") == "1") != who.livemode
                    or (status is not None and row.get("status") != status)
                    or (assessment_id is not None and row.get("assessment_id") != assessment_id)
                ):
                    continue
                if len(out) == limit:
                    has_more = True
                    break
                out.append(row)
            if has_more or len(ids) < 200:
                break
            before_ms = int(rows[-1]["created_ms"]) if rows else None
            skip_until = rows[-1]["id"] if rows else None
        data = [delivery_view(row, await service.store.attempts(row["id"])) for row in out]
        return {"object": "list", "data": data, "has_more": has_more}

    @app.get("/internal/v1/webhook-deliveries/{delivery_id}")
    async def get_delivery(delivery_id: str, service: Svc, who: Who) -> dict[str, Any]:
        await own_delivery(service, who, delivery_id)
        return await delivery_body(service, delivery_id)

    @app.post("/internal/v1/webhook-deliveries/{delivery_id}/redeliver", status_code=202)
    async def redeliver(delivery_id: str, service: Svc, who: Who) -> dict[str, Any]:
        await own_delivery(service, who, delivery_id)
        outcome = await service.store.redeliver(delivery_id, service.clock.now_ms())
        if outcome == "in_flight":
            raise ProblemError(409, "delivery_in_flight", "An attempt of this delivery is in progress.")
        service.dispatcher.wake()
        return await delivery_body(service, delivery_id)
