"""The iCIMS connector (Standard Assessment integration).

In: `POST /connectors/icims/events/{integration_id}` takes Status Flow Update and Application Complete
events with the auth the customer chose (Basic, a Bearer token from our `POST …/oauth/token/{integration_id}`,
or HMAC), answers at once (200; 303 to the candidate link for Application Complete) and leaves the work
(fetch person and job, send the create command) to the intake worker.
Out: every state change becomes one `assessmentresults` row of the applicant workflow: POSTed first
(its group id taken from `Location`), PATCHed afterwards (or a new row each time, per `row_mode`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import PermanentError
from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.registry import register
from hub_connectors.icims import hmac_auth
from hub_connectors.icims.api_client import IcimsApi
from hub_connectors.icims.credentials import IcimsCredentials
from hub_connectors.icims.events import EventKind, IcimsEvent, InvalidEventError, parse_event
from hub_connectors.icims.hosts import PUBLIC_HOSTS, customer_base, link_is_for_customer
from hub_connectors.icims.inbound_auth import basic_credentials, bearer_token, check_basic
from hub_connectors.icims.intake import IntakeEntry, IntakeQueue
from hub_connectors.icims.profiles import (
    JOB_FIELDS,
    PERSON_FIELDS,
    ProfileError,
    candidate_from_person,
    job_assessment_types,
)
from hub_connectors.icims.results import GROUP, assessment_row, group_id_from_location
from hub_connectors.icims.settings import IcimsIntegrationSettings, IcimsRegion
from hub_connectors.smartrecruiters.issued_tokens import IssuedTokens, secrets_match, token_response
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase
from hub_contracts.ids import challenge_token, new_assessment_id
from hub_contracts.runtime import stop_tasks

log = structlog.get_logger(__name__)

MAX_EVENT_BYTES = 256 * 1024


class IcimsVendorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_ICIMS_", extra="ignore", frozen=True)

    us_api_base: str = PUBLIC_HOSTS[IcimsRegion.US]
    eu_api_base: str = PUBLIC_HOSTS[IcimsRegion.EU]
    oauth_token_url: str = Field(
        default="https://api.icims.com/oauth/token",
        description="iCIMS's OAuth 2.0 token endpoint for API clients (not in the reference: confirm)",
    )
    intake_block_ms: int = 500
    intake_claim_idle_s: float = 30.0
    intake_retry_delay_s: float = 1.0

    def api_base(self, region: IcimsRegion) -> str:
        return self.eu_api_base if region == IcimsRegion.EU else self.us_api_base


def _problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": f"https://docs.lextalent.ai/errors/{code}",
            "title": detail,
            "status": status,
            "detail": detail,
            "code": code,
        },
        status_code=status,
        media_type="application/problem+json",
    )


@register
class IcimsConnector(ConnectorBase[IcimsVendorSettings]):
    name = "icims"
    display_name = "iCIMS"
    settings_model = IcimsIntegrationSettings
    credentials_model = IcimsCredentials
    vendor_settings_model = IcimsVendorSettings
    rate_limit = None  # only an unofficial 10,000 calls/day is known (ats-formats.md §4.4)
    state_mapping = {
        AssessmentStatus.PENDING: 'assessmentresults row created: assessmentname, the tenant\'s "Sent" '
        "node, assessmentdate",
        AssessmentStatus.IN_PROGRESS: 'row updated to the tenant\'s "In Progress" node, if it has one',
        AssessmentStatus.COMPLETED: 'row updated to "Complete" with assessmentscore, assessmentresult (128) '
        "and the report link in assessmentnotes (192) or the tenant's URL field",
        AssessmentStatus.EXPIRED: "row updated to the tenant's expired node, if configured",
        AssessmentStatus.CANCELLED: "row updated to the tenant's cancelled node, if configured",
    }

    def __init__(self, ctx: ConnectorContext, vendor_settings: IcimsVendorSettings) -> None:
        super().__init__(ctx, vendor_settings)
        self._intake: IntakeQueue | None = None

    def inbound_urls(self, integration: Integration) -> dict[str, str]:
        base = f"/connectors/{self.name}"
        return {
            "events": self.ctx.public_url(f"{base}/events/{integration.id}"),
            "oauth_token": self.ctx.public_url(f"{base}/oauth/token/{integration.id}"),
        }

    @property
    def api(self) -> IcimsApi:
        return IcimsApi(self.ctx, self.ctx.clock, self.vendor.oauth_token_url)

    @property
    def intake(self) -> IntakeQueue:
        if self._intake is None:
            v = self.vendor
            self._intake = IntakeQueue(
                self.ctx.redis,
                self.ctx.namespace,
                block_ms=v.intake_block_ms,
                claim_idle_s=v.intake_claim_idle_s,
                retry_delay_s=v.intake_retry_delay_s,
            )
        return self._intake

    async def _loaded(
        self, integration_id: str
    ) -> tuple[Integration, IcimsIntegrationSettings, IcimsCredentials] | None:
        integration = await self.ctx.integrations.get(integration_id)
        if integration is None or integration.connector != self.name:
            return None
        credentials = IcimsCredentials.model_validate(await self.ctx.integrations.credentials(integration.id))
        return integration, IcimsIntegrationSettings.model_validate(integration.settings), credentials

    # ------------------------------------------------------------------------------ inbound side

    async def _event_authorised(
        self,
        request: Request,
        body: bytes,
        integration: Integration,
        settings: IcimsIntegrationSettings,
        credentials: IcimsCredentials,
    ) -> str | None:
        header = request.headers.get("Authorization")
        if settings.event_auth == "basic":
            ok = check_basic(header, credentials.event_username or "", credentials.event_password or "")
            return None if ok and credentials.event_username else "wrong or missing Basic credentials"
        if settings.event_auth == "oauth2":
            grant = await IssuedTokens(self.ctx, self.name).grant_of(bearer_token(header))
            return (
                None
                if grant and grant.get("integration_id") == integration.id
                else "unknown or expired token"
            )
        return hmac_auth.verify(
            request.method,
            str(request.url),
            dict(request.headers),
            body,
            user=credentials.event_hmac_user or "",
            secret=credentials.event_hmac_secret or "",
            now=datetime.fromtimestamp(self.ctx.clock.now(), UTC),
        )

    def router(self) -> APIRouter:
        router = APIRouter(lifespan=self._lifespan)

        @router.post("/oauth/token/{integration_id}")
        async def oauth_token(integration_id: str, request: Request) -> JSONResponse:
            loaded = await self._loaded(integration_id)
            form = dict(parse_qsl((await request.body()).decode(errors="replace")))
            basic = basic_credentials(request.headers.get("Authorization"))
            client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
            if form.get("grant_type") != "client_credentials":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            if (
                loaded is None
                or loaded[1].event_auth != "oauth2"
                or not loaded[2].event_client_id
                or not (
                    secrets_match(client_id, loaded[2].event_client_id)
                    and secrets_match(secret, loaded[2].event_client_secret or "")
                )
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            token, ttl = await IssuedTokens(self.ctx, self.name).issue({"integration_id": integration_id})
            return JSONResponse(token_response(token, ttl), headers={"Cache-Control": "no-store"})

        @router.post("/events/{integration_id}")
        async def event(integration_id: str, request: Request) -> Response:
            loaded = await self._loaded(integration_id)
            if loaded is None:
                return _problem(404, "resource_not_found", "No such iCIMS integration.")
            integration, settings, credentials = loaded
            body = await request.body()
            if len(body) > MAX_EVENT_BYTES:
                return _problem(413, "too_large", "The event is too large.")
            problem = await self._event_authorised(request, body, integration, settings, credentials)
            if problem is not None:
                log.info("icims.event_unauthorised", integration_id=integration.id, reason=problem)
                return _problem(401, "unauthorized", "The event is not authenticated for this integration.")
            if not integration.active:
                return _problem(403, "integration_inactive", "The iCIMS integration is not enabled.")
            try:
                parsed = parse_event(body, request.headers.get("Content-Encoding"))
                self._check_event(parsed, settings)
            except InvalidEventError as exc:
                await self.ctx.integrations.record_error(integration, "inbound", f"event refused: {exc}")
                return _problem(400, "invalid_event", str(exc))
            if (
                parsed.kind is EventKind.STATUS_FLOW_UPDATE
                and settings.trigger_statuses
                and parsed.new_status not in settings.trigger_statuses
            ):
                return JSONResponse({}, status_code=200)  # not a status that orders an assessment
            assessment_id = await self._accept(integration, parsed)
            if parsed.kind is EventKind.APPLICATION_COMPLETE:
                return Response(status_code=303, headers={"Location": self._candidate_url(assessment_id)})
            return JSONResponse({}, status_code=200)

        return router

    def _candidate_url(self, assessment_id: str) -> str:
        return f"{self.ctx.commands.candidate_app_base_url}{challenge_token(assessment_id)}"

    def _check_event(self, event: IcimsEvent, settings: IcimsIntegrationSettings) -> None:
        if event.customer_id != settings.customer_id:
            raise InvalidEventError(f"customerId {event.customer_id} is not this integration's customer")
        base = self.vendor.api_base(settings.region)
        for rel in ("applicantWorkflow", "person", "job"):
            url = event.links.get(rel)
            if url is not None and not link_is_for_customer(url, base, settings.customer_id):
                raise InvalidEventError(f"the {rel} link does not point at the customer's iCIMS API")
        if "person" not in event.links:
            raise InvalidEventError("event without a person link")

    async def _accept(self, integration: Integration, event: IcimsEvent) -> str:
        """Claim the workflow for one assessment and queue the work; a repeated event finds the first."""
        link = AssessmentLink(
            assessment_id=new_assessment_id(),
            connector=self.name,
            integration_id=integration.id,
            account_id=integration.account_id,
            livemode=integration.livemode,
            vendor_ref=event.vendor_ref(),
            refs={
                "customer_id": event.customer_id,
                "workflow_id": event.workflow_id,
                "links": event.links,
                "return_url": event.return_url,
                "kind": event.kind.value,
            },
            created_at=utcnow(),
        )
        assessment_id, created = await self.ctx.links.claim(link)
        if created:
            try:
                await self.intake.put(
                    integration.id, assessment_id, event.__dict__ | {"kind": event.kind.value}
                )
            except Exception:
                await self.ctx.links.release(link)
                raise
            log.info(
                "icims.event_accepted",
                assessment_id=assessment_id,
                integration_id=integration.id,
                kind=event.kind.value,
            )
        return assessment_id

    # ------------------------------------------------------------------------------ intake worker

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(self.intake.run(self._process, self._failed), name="icims-intake")
        try:
            yield
        finally:
            self.intake.stop()
            await stop_tasks([task], grace_s=self.vendor.intake_block_ms / 1000 + 2.0, what="icims intake")

    async def _process(self, entry: IntakeEntry) -> None:
        loaded = await self._loaded(entry.integration_id)
        if loaded is None:
            raise PermanentError("the integration no longer exists")
        integration, settings, credentials = loaded
        if await self.ctx.assessments.get(entry.assessment_id) is not None:
            return  # created already (a worker crashed after sending)
        links: dict[str, str] = dict(entry.event.get("links") or {})  # type: ignore[call-overload]
        api = self.api
        person = await api.request(
            settings.api_auth,
            credentials,
            integration.id,
            "GET",
            links["person"],
            params={"fields": ",".join(PERSON_FIELDS)},
        )
        try:
            candidate = candidate_from_person(person.json())
        except ProfileError as exc:
            raise PermanentError(f"icims: {exc}") from None
        types: list[str] = []
        if "job" in links:
            job = await api.request(
                settings.api_auth,
                credentials,
                integration.id,
                "GET",
                links["job"],
                params={"fields": ",".join(JOB_FIELDS)},
            )
            types = job_assessment_types(job.json())
        scenario_id = settings.scenario_for_job(types)
        if scenario_id is None:
            raise PermanentError(f"icims: the job's assessmenttype {types} names no mapped package")
        command = self.ctx.commands.new_create(
            account_id=integration.account_id,
            livemode=integration.livemode,
            connector=self.name,
            candidate=candidate,
            scenario_id=scenario_id,
            metadata={
                "icims_customer_id": settings.customer_id,
                "icims_workflow_id": str(entry.event["workflow_id"]),
                "icims_return_url": str(entry.event.get("return_url") or "")[:500] or None,
            },
        )
        command = command.model_copy(
            update={
                "assessment_id": entry.assessment_id,
                "candidate_url": self._candidate_url(entry.assessment_id),
                "command_id": f"cmd_icims_{entry.assessment_id.removeprefix('asmt_')}",
            }
        )
        await self.ctx.commands.send(command)
        log.info("icims.assessment_ordered", assessment_id=entry.assessment_id, integration_id=integration.id)

    async def _failed(self, entry: IntakeEntry, reason: str) -> None:
        integration = await self.ctx.integrations.get(entry.integration_id)
        if integration is not None:
            await self.ctx.integrations.record_error(
                integration,
                "inbound",
                f"iCIMS event not turned into an assessment: {reason}",
                {"assessment_id": entry.assessment_id},
            )
        log.warning("icims.intake_failed", assessment_id=entry.assessment_id, reason=reason[:300])

    # --------------------------------------------------------------------------- outbound side

    async def handle_event(self, event: EventBase, integration: Integration, link: AssessmentLink) -> None:
        settings = IcimsIntegrationSettings.model_validate(integration.settings)
        row = assessment_row(event.snapshot, settings)
        if row is None:
            log.info(
                "icims.state_not_mapped", status=event.snapshot.status.value, assessment_id=link.assessment_id
            )
            return
        credentials = IcimsCredentials.model_validate(await self.ctx.integrations.credentials(integration.id))
        base = customer_base(self.vendor.api_base(settings.region), settings.customer_id)
        rows_url = f"{base}/applicantworkflows/{link.refs['workflow_id']}/fields/{GROUP}"
        group_id = link.refs.get("group_id")
        if settings.row_mode == "update" and group_id:
            await self.api.request(
                settings.api_auth, credentials, integration.id, "PATCH", f"{rows_url}/{group_id}", row
            )
            return
        response = await self.api.request(
            settings.api_auth, credentials, integration.id, "POST", rows_url, row
        )
        new_group = group_id_from_location(response.headers.get("Location"))
        if new_group is not None:
            await self.ctx.links.update_refs(link, {"group_id": new_group})
        else:
            log.warning("icims.no_location", assessment_id=link.assessment_id, status=response.status)
