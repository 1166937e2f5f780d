"""The SmartRecruiters connector (Assessment API 2021).

In (partner endpoints SmartRecruiters calls, under `/connectors/smartrecruiters`): `POST /oauth/token`,
`GET /packages`, `GET /packages/{id}`, `POST /packages/orders`, `POST /packages/inline/orders`,
`DELETE /integrations/companies/{companyId}` (all with our Bearer token), and the consent flow
`GET /integration?company_id=…` → `POST /integration`.
Out: `PATCH …/assessment-api/v202010/orders/{orderId}/results` and `POST …/results/attachment`, with
OAuth client credentials, at most 10 requests/s and 8 concurrent calls per credential, honouring 429.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_connectors.framework.api_keys import ApiKeyRejectedError
from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.framework.http import RETRYABLE_STATUSES, VendorResponse, retry_after_seconds
from hub_connectors.framework.integrations import Integration, IntegrationStatus
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.redis_values import as_text
from hub_connectors.framework.registry import register
from hub_connectors.smartrecruiters.client_credentials import ClientCredentials, TokenCache
from hub_connectors.smartrecruiters.consent_page import consent_done, consent_form
from hub_connectors.smartrecruiters.issued_tokens import IssuedTokens, secrets_match, token_response
from hub_connectors.smartrecruiters.partner_models import (
    AssessmentOrder,
    TokenRequest,
    order_accepted_body,
    package_body,
    packages_body,
)
from hub_connectors.smartrecruiters.report_pdf import report_pdf
from hub_connectors.smartrecruiters.results import results_body
from hub_connectors.smartrecruiters.throttle import (
    RATE_LIMIT,
    CredentialThrottle,
    RateLimitHeaders,
    credential_key,
)
from hub_contracts.assessment import AssessmentStatus, Candidate
from hub_contracts.events import EventBase
from hub_contracts.ids import challenge_token
from hub_contracts.scenarios import SCENARIOS, Scenario, get_scenario

log = structlog.get_logger(__name__)

API_VERSION = "v202010"


class SmartRecruitersSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="The SmartRecruiters company that may order for this account",
    )
    scenario_ids: list[str] = Field(
        default_factory=list, max_length=50, description="Packages offered (empty: all)"
    )
    push_status_updates: bool = Field(
        default=False,
        description="Also PATCH results for started/expired/cancelled "
        "(status values are not confirmed for the 2021 API)",
    )
    attach_report: bool = True

    @field_validator("scenario_ids")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if get_scenario(s) is None]
        if unknown:
            raise ValueError(f"unknown scenario ids: {', '.join(unknown)}")
        return value


class SmartRecruitersCredentials(BaseModel):
    """Customer-level OAuth client from the consent exchange, if SmartRecruiters issued one; without it
    results go out with the partner credential. Plain str: the framework encrypts the blob."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(default=None, min_length=1, max_length=500)
    client_secret: str | None = Field(default=None, min_length=1, max_length=500)


class SmartRecruitersVendorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_SMARTRECRUITERS_", extra="ignore", frozen=True)

    api_base: str = "https://api.smartrecruiters.com"
    token_url: str = Field(
        default="https://api.smartrecruiters.com/identity/oauth/token",
        description="Unconfirmed in the reference (§5.5): a third-party config's value",
    )
    partner_client_id: str = ""
    partner_client_secret: SecretStr = SecretStr("")
    inbound_client_id: str = Field(
        default="", description="What SmartRecruiters uses at our POST /oauth/token"
    )
    inbound_client_secret: SecretStr = SecretStr("")
    concurrent_calls: int = 8


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


@register
class SmartRecruitersConnector(ConnectorBase[SmartRecruitersVendorSettings]):
    name = "smartrecruiters"
    display_name = "SmartRecruiters"
    settings_model = SmartRecruitersSettings
    credentials_model = SmartRecruitersCredentials
    vendor_settings_model = SmartRecruitersVendorSettings
    rate_limit = RATE_LIMIT
    initial_status = IntegrationStatus.PENDING_AUTHORIZATION
    state_mapping = {
        AssessmentStatus.PENDING: "201 answer to POST /packages/orders with our assessment URL",
        AssessmentStatus.IN_PROGRESS: "PATCH status IN_PROGRESS (push_status_updates only; unconfirmed)",
        AssessmentStatus.COMPLETED: "PATCH COMPLETED, score, scoreLabel, resultUrl; PDF attachment",
        AssessmentStatus.EXPIRED: "PATCH results, status EXPIRED (push_status_updates only; unconfirmed)",
        AssessmentStatus.CANCELLED: "PATCH results, status CANCELLED (push_status_updates only; unconfirmed)",
    }

    def _company_key(self, company_id: str) -> str:
        return f"{self.ctx.namespace}conn:smartrecruiters:company:{company_id}"

    def inbound_urls(self, integration: Integration) -> dict[str, str]:
        base = f"/connectors/{self.name}"
        return {
            k: self.ctx.public_url(f"{base}{p}")
            for k, p in (
                ("token", "/oauth/token"),
                ("packages", "/packages"),
                ("orders", "/packages/orders"),
                ("inline_orders", "/packages/inline/orders"),
                ("consent", "/integration"),
            )
        }

    async def connect_info(self, integration: Integration) -> dict[str, Any] | None:
        company = integration.settings.get("company_id", "")
        return {
            "consent_url": self.ctx.public_url(f"/connectors/{self.name}/integration?company_id={company}")
        }

    # ------------------------------------------------------------------------------ inbound side

    async def _smartrecruiters_calls(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else None
        grant = await IssuedTokens(self.ctx, self.name).grant_of(token)
        return grant is not None and grant.get("client") == "smartrecruiters"

    async def _integration_of(self, company_id: str) -> Integration | None:
        integration_id = await self.ctx.redis.get(self._company_key(company_id))
        integration = await self.ctx.integrations.get(as_text(integration_id)) if integration_id else None
        if integration is None or integration.connector != self.name or not integration.active:
            return None
        return integration

    def _scenarios(self, integration: Integration | None) -> list[Scenario]:
        chosen = (
            SmartRecruitersSettings.model_validate(integration.settings).scenario_ids if integration else []
        )
        return [SCENARIOS[s] for s in chosen] if chosen else list(SCENARIOS.values())

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/oauth/token")
        async def oauth_token(request: Request) -> JSONResponse:
            try:
                form = TokenRequest.model_validate(
                    dict(parse_qsl((await request.body()).decode(errors="replace")))
                )
            except ValidationError:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            if form.grant_type != "client_credentials":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            v = self.vendor
            if not v.inbound_client_id or not (
                secrets_match(form.client_id, v.inbound_client_id)
                and secrets_match(form.client_secret, v.inbound_client_secret.get_secret_value())
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            token, ttl = await IssuedTokens(self.ctx, self.name).issue({"client": "smartrecruiters"})
            return JSONResponse(token_response(token, ttl), headers={"Cache-Control": "no-store"})

        @router.get("/packages")
        async def packages(request: Request, company_id: str | None = None) -> JSONResponse:
            if not await self._smartrecruiters_calls(request):
                return _error(401, "UNAUTHORIZED", "a valid Bearer token from our /oauth/token is required")
            integration = await self._integration_of(company_id) if company_id else None
            return JSONResponse(packages_body(self._scenarios(integration)))

        @router.get("/packages/{package_id}")
        async def package(package_id: str, request: Request, company_id: str | None = None) -> JSONResponse:
            if not await self._smartrecruiters_calls(request):
                return _error(401, "UNAUTHORIZED", "a valid Bearer token from our /oauth/token is required")
            integration = await self._integration_of(company_id) if company_id else None
            found = next((s for s in self._scenarios(integration) if s.id == package_id), None)
            if found is None:
                return _error(404, "NOT_FOUND", f"no package {package_id!r}")
            return JSONResponse(package_body(found))

        async def order(request: Request, inline: bool) -> JSONResponse:
            if not await self._smartrecruiters_calls(request):
                return _error(401, "UNAUTHORIZED", "a valid Bearer token from our /oauth/token is required")
            try:
                body = AssessmentOrder.model_validate_json(await request.body())
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
                )
                return _error(400, "INVALID_ORDER", problems)
            integration = await self._integration_of(body.company.id)
            if integration is None:
                return _error(
                    403, "COMPANY_NOT_CONNECTED", f"company {body.company.id} has not connected LexTalent"
                )
            scenario_id = body.package
            if scenario_id is None or scenario_id not in {s.id for s in self._scenarios(integration)}:
                return _error(404, "PACKAGE_NOT_FOUND", f"no package {scenario_id!r}")
            assessment_id, created = await self._create(integration, body, scenario_id, inline)
            url = f"{self.ctx.commands.candidate_app_base_url}{challenge_token(assessment_id)}"
            return JSONResponse(
                order_accepted_body(body, assessment_id, url), status_code=201 if created else 200
            )

        @router.post("/packages/orders")
        async def orders(request: Request) -> JSONResponse:
            return await order(request, inline=False)

        @router.post("/packages/inline/orders")
        async def inline_orders(request: Request) -> JSONResponse:
            return await order(request, inline=True)

        @router.delete("/integrations/companies/{company_id}")
        async def remove(company_id: str, request: Request) -> Response:
            if not await self._smartrecruiters_calls(request):
                return _error(401, "UNAUTHORIZED", "a valid Bearer token from our /oauth/token is required")
            integration_id = await self.ctx.redis.get(self._company_key(company_id))
            integration = await self.ctx.integrations.get(as_text(integration_id)) if integration_id else None
            if integration is not None:
                await self.ctx.integrations.save(
                    integration.model_copy(update={"status": IntegrationStatus.DISABLED})
                )
            await self.ctx.redis.delete(self._company_key(company_id))
            log.info("smartrecruiters.company_removed", company_id=company_id)
            return Response(status_code=204)

        @router.get("/integration", response_class=HTMLResponse)
        async def consent(company_id: str = "") -> HTMLResponse:
            if not company_id:
                return HTMLResponse("<p>company_id is required</p>", status_code=400)
            return HTMLResponse(
                consent_form(company_id, self.ctx.public_url(f"/connectors/{self.name}/integration"))
            )

        @router.post("/integration", response_class=HTMLResponse)
        async def consent_given(request: Request) -> HTMLResponse:
            form = dict(parse_qsl((await request.body()).decode(errors="replace")))
            company_id, api_key = form.get("company_id", ""), form.get("api_key", "")
            action = self.ctx.public_url(f"/connectors/{self.name}/integration")
            try:
                who = await self.ctx.api_keys.authenticate(api_key)
            except ApiKeyRejectedError:
                return HTMLResponse(
                    consent_form(company_id, action, "That API key is not valid for an Enterprise account."),
                    status_code=401,
                )
            integration = await self.ctx.integrations.find(self.name, who.account_id, who.livemode)
            if integration is None or integration.settings.get("company_id") != company_id:
                return HTMLResponse(
                    consent_form(
                        company_id,
                        action,
                        "Your account has no SmartRecruiters integration for this company.",
                    ),
                    status_code=403,
                )
            try:
                await self._enable_company(integration, company_id)
            except (PermanentError, RetryableError) as exc:
                await self.ctx.integrations.record_error(
                    integration, "oauth", f"consent failed: {exc.detail}"
                )
                return HTMLResponse(
                    consent_form(
                        company_id, action, "SmartRecruiters did not accept the connection; try again later."
                    ),
                    status_code=502,
                )
            return HTMLResponse(consent_done(company_id))

        return router

    async def _enable_company(self, integration: Integration, company_id: str) -> None:
        url = f"{self.vendor.api_base}/assessment-api/{API_VERSION}/integration/company/{company_id}"
        await self._call(integration, "POST", url, partner=True, json={})
        await self.ctx.redis.set(self._company_key(company_id), integration.id)
        await self.ctx.integrations.save(integration.model_copy(update={"status": IntegrationStatus.ACTIVE}))
        log.info("smartrecruiters.company_enabled", company_id=company_id, integration_id=integration.id)

    async def _create(
        self, integration: Integration, order: AssessmentOrder, scenario_id: str, inline: bool
    ) -> tuple[str, bool]:
        assessment_id, created = await self.request_assessment(
            integration,
            candidate=Candidate(email=order.candidate.email, name=order.candidate_name[:200]),
            scenario_id=scenario_id,
            vendor_ref=f"{order.company.id}:{order.order_id}",
            refs={"order_id": order.order_id, "company_id": order.company.id, "inline": inline},
            metadata={
                "smartrecruiters_order_id": order.order_id,
                "smartrecruiters_company_id": order.company.id,
                "smartrecruiters_application_id": order.application_id,
                "inline": inline,
            },
        )
        if created:
            log.info("smartrecruiters.order_accepted", assessment_id=assessment_id, order_id=order.order_id)
        return assessment_id, created

    # --------------------------------------------------------------------------- outbound side

    async def _credentials(self, integration: Integration, partner: bool) -> ClientCredentials:
        own = SmartRecruitersCredentials.model_validate(
            await self.ctx.integrations.credentials(integration.id)
        )
        v = self.vendor
        if not partner and own.client_id and own.client_secret:
            return ClientCredentials(v.token_url, own.client_id, own.client_secret)
        if not v.partner_client_id:
            raise PermanentError("smartrecruiters: no partner credential is configured")
        return ClientCredentials(v.token_url, v.partner_client_id, v.partner_client_secret.get_secret_value())

    async def _call(
        self,
        integration: Integration,
        method: str,
        url: str,
        *,
        partner: bool = False,
        json: Any = None,
        form: aiohttp.FormData | None = None,
    ) -> VendorResponse:
        credentials = await self._credentials(integration, partner)
        bucket = credential_key(credentials.client_id)
        throttle = CredentialThrottle(
            self.ctx.redis, self.ctx.clock, self.ctx.namespace, self.vendor.concurrent_calls
        )
        tokens = TokenCache(self.ctx, self.name)
        for attempt in (1, 2):
            await throttle.wait_cooldown(bucket)
            token = await tokens.token(credentials, rate_limit=self.rate_limit, bucket=bucket)
            async with throttle.slot(bucket, uuid.uuid4().hex):
                response = await self.ctx.http.request(
                    self.name,
                    method,
                    url,
                    rate_limit=self.rate_limit,
                    integration_id=bucket,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    json=json,
                    data=form,
                    raise_for_status=False,
                )
            limits = RateLimitHeaders.parse(response.headers)
            cooldown = limits.cooldown_s(response.status)
            if cooldown is not None:
                await throttle.cool_down(bucket, cooldown)
            if response.status == 401 and attempt == 1:
                await tokens.invalidate(credentials)  # expired or revoked token: fetch a new one once
                continue
            break
        if 200 <= response.status < 300:
            return response
        what = (
            f"smartrecruiters: {method} {url.rsplit('/assessment-api', 1)[-1]} answered {response.status}: "
            f"{response.body[:200].decode(errors='replace')}"
        )
        if response.status == 429:
            raise RetryableError(
                what,
                retry_after=limits.retry_after_s
                if limits.retry_after_s is not None
                else retry_after_seconds(response.headers),
            )
        if response.status in RETRYABLE_STATUSES:
            raise RetryableError(what, retry_after=retry_after_seconds(response.headers))
        if response.status in (401, 403):
            raise VendorAuthError(what)
        raise PermanentError(what)

    async def handle_event(self, event: EventBase, integration: Integration, link: AssessmentLink) -> None:
        settings = SmartRecruitersSettings.model_validate(integration.settings)
        snapshot = event.snapshot
        body = results_body(snapshot, settings.push_status_updates)
        if body is None:
            return
        order_url = f"{self.vendor.api_base}/assessment-api/{API_VERSION}/orders/{link.refs['order_id']}"
        await self._call(integration, "PATCH", f"{order_url}/results", json=body)
        if (
            snapshot.status is AssessmentStatus.COMPLETED
            and settings.attach_report
            and link.refs.get("attachment_sent") != event.version
        ):
            form = aiohttp.FormData()
            form.add_field(
                "file",
                report_pdf(snapshot),
                filename=f"lextalent-{snapshot.id}.pdf",
                content_type="application/pdf",
            )
            await self._call(integration, "POST", f"{order_url}/results/attachment", form=form)
            await self.ctx.links.update_refs(link, {"attachment_sent": event.version})
        log.info(
            "smartrecruiters.results_pushed", assessment_id=link.assessment_id, status=snapshot.status.value
        )
