"""The internal management API `/internal/v1/integrations` (reached through the gateway's `/v1/…`).

The gateway has authenticated the customer; we check its internal token and trust
`X-Hub-Account-Id` and `X-Hub-Livemode`. Credentials are accepted, validated, encrypted and
never returned: answers list only which credential fields are set.
"""

from __future__ import annotations

import hmac
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretBytes, SecretStr, ValidationError
from pydantic_core import to_jsonable_python

from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.integrations import Integration, IntegrationConflictError, IntegrationStatus
from hub_connectors.framework.problems import ProblemError, bad_request, field_errors, not_found

log = structlog.get_logger(__name__)


class Caller(BaseModel):
    account_id: str
    livemode: bool


class CreateIntegrationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connector: str
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] = Field(default_factory=dict)


class UpdateIntegrationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    enabled: bool | None = None


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        secret = value.get_secret_value()
        return secret.decode() if isinstance(secret, bytes) else secret
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reveal(v) for v in value]
    return to_jsonable_python(value)


def plain_data(model: BaseModel) -> dict[str, Any]:
    """JSON-ready data of a validated model, with `SecretStr` fields revealed (they are encrypted next)."""
    data: dict[str, Any] = _reveal(model.model_dump(mode="python"))
    return data


def management_router(ctx: ConnectorContext, connectors: dict[str, ConnectorBase[Any]]) -> APIRouter:
    router = APIRouter(prefix="/internal/v1/integrations")

    def caller(request: Request) -> Caller:
        auth = request.headers.get("Authorization", "")
        expected = f"Bearer {ctx.settings.internal_token.get_secret_value()}"
        if not hmac.compare_digest(auth.encode(), expected.encode()):
            raise ProblemError(401, "unauthorized", "Unauthorized", "Missing or wrong internal token.")
        account_id = request.headers.get("X-Hub-Account-Id", "")
        livemode = request.headers.get("X-Hub-Livemode", "")
        if not account_id.startswith("acct_") or livemode not in ("true", "false"):
            raise ProblemError(401, "unauthorized", "Unauthorized", "Missing caller headers.")
        return Caller(account_id=account_id, livemode=livemode == "true")

    async def body_of(request: Request, model: type[BaseModel]) -> Any:
        try:
            raw = orjson.loads(await request.body() or b"null")
        except orjson.JSONDecodeError:
            raise bad_request("The body is not valid JSON.") from None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise bad_request("The body is not a valid integration.", field_errors(exc)) from None

    def validated(model: type[BaseModel], data: dict[str, Any], field: str) -> dict[str, Any]:
        try:
            return plain_data(model.model_validate(data))
        except ValidationError as exc:
            raise bad_request(f"Invalid {field} for this connector.", field_errors(exc, field)) from None

    async def view(integration: Integration) -> dict[str, Any]:
        connector = connectors.get(integration.connector)
        errors = await ctx.integrations.recent_errors(integration.id)
        return {
            "id": integration.id,
            "object": "integration",
            "connector": integration.connector,
            "livemode": integration.livemode,
            "status": integration.status.value,
            "settings": integration.settings,
            "credentials_set": list(integration.credential_fields),
            "inbound_urls": connector.inbound_urls(integration) if connector else {},
            "connect": await connector.connect_info(integration) if connector else None,
            "last_error": integration.last_error.model_dump(mode="json") if integration.last_error else None,
            "recent_errors": [e.model_dump(mode="json") for e in errors],
            "created_at": integration.created_at.isoformat().replace("+00:00", "Z"),
            "updated_at": integration.updated_at.isoformat().replace("+00:00", "Z"),
        }

    async def owned(integration_id: str, who: Caller) -> Integration:
        integration = await ctx.integrations.get_for_account(integration_id, who.account_id, who.livemode)
        if integration is None:
            raise not_found()
        return integration

    @router.post("", status_code=201)
    async def create(request: Request) -> Any:
        who = caller(request)
        body: CreateIntegrationBody = await body_of(request, CreateIntegrationBody)
        connector = connectors.get(body.connector)
        if connector is None:
            raise bad_request(
                "Unknown connector.",
                [{"field": "connector", "message": f"one of {', '.join(sorted(connectors))}"}],
            )
        settings = validated(connector.settings_model, body.settings, "settings")
        credentials = validated(connector.credentials_model, body.credentials, "credentials")
        try:
            integration = await ctx.integrations.create(
                account_id=who.account_id,
                livemode=who.livemode,
                connector=connector.name,
                settings=settings,
                credentials=credentials,
                status=connector.initial_status,
            )
        except IntegrationConflictError as exc:
            raise ProblemError(409, "integration_exists", "Conflict", str(exc)) from None
        log.info(
            "integration.created",
            integration_id=integration.id,
            connector=connector.name,
            account_id=who.account_id,
        )
        return await view(integration)

    @router.get("")
    async def list_integrations(request: Request) -> Any:
        who = caller(request)
        items = await ctx.integrations.list_for_account(who.account_id, who.livemode)
        return {"object": "list", "data": [await view(i) for i in items], "has_more": False}

    @router.get("/{integration_id}")
    async def get(integration_id: str, request: Request) -> Any:
        return await view(await owned(integration_id, caller(request)))

    @router.patch("/{integration_id}")
    async def update(integration_id: str, request: Request) -> Any:
        who = caller(request)
        integration = await owned(integration_id, who)
        body: UpdateIntegrationBody = await body_of(request, UpdateIntegrationBody)
        connector = connectors.get(integration.connector)
        if connector is None:
            raise ProblemError(
                409, "connector_unavailable", "Conflict", "This connector is not enabled here."
            )
        changes: dict[str, Any] = {}
        if body.settings is not None:
            changes["settings"] = validated(connector.settings_model, body.settings, "settings")
        credentials = None
        if body.credentials is not None:
            current = await ctx.integrations.credentials(integration.id)
            own = {k: v for k, v in current.items() if k in connector.credentials_model.model_fields}
            credentials = {
                **current,
                **validated(connector.credentials_model, {**own, **body.credentials}, "credentials"),
            }
        if body.enabled is False:
            changes["status"] = IntegrationStatus.DISABLED
        elif body.enabled is True and integration.status == IntegrationStatus.DISABLED:
            stored = credentials or await ctx.integrations.credentials(integration.id)
            changes["status"] = connector.enabled_status(stored)
        updated = await ctx.integrations.save(integration.model_copy(update=changes), credentials)
        return await view(updated)

    @router.delete("/{integration_id}", status_code=204)
    async def delete(integration_id: str, request: Request) -> Response:
        integration = await owned(integration_id, caller(request))
        connector = connectors.get(integration.connector)
        if connector is not None:
            try:
                await connector.on_integration_deleted(integration)
            except Exception:
                log.exception("integration.cleanup_failed", integration_id=integration.id)
        await ctx.integrations.delete(integration)
        return Response(status_code=204)

    return router
