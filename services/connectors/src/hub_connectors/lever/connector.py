"""The Lever connector: OAuth connect, signed webhooks in, tags/notes/links out (Lever's Data API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import ConnectorError, RetryableError
from hub_connectors.framework.integrations import Integration, IntegrationStatus
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.ratelimit import RateLimit, RateLimitScope
from hub_connectors.framework.registry import register
from hub_connectors.lever import formats
from hub_connectors.lever.client import LeverApi
from hub_connectors.lever.oauth import LeverOAuth
from hub_connectors.lever.settings import LeverCredentials, LeverSettings, LeverVendorSettings
from hub_contracts.assessment import AssessmentStatus, Candidate
from hub_contracts.events import EventBase
from hub_contracts.scenarios import get_scenario

log = structlog.get_logger(__name__)

REPLAY_TTL_S = 15 * 24 * 3600


@register
class LeverConnector(ConnectorBase[LeverVendorSettings]):
    name = "lever"
    display_name = "Lever"
    settings_model = LeverSettings
    credentials_model = LeverCredentials
    vendor_settings_model = LeverVendorSettings
    rate_limit = RateLimit(rate_per_s=10, burst=20, scope=RateLimitScope.INTEGRATION)  # per API token
    initial_status = IntegrationStatus.PENDING_AUTHORIZATION
    state_mapping = {
        AssessmentStatus.PENDING: "tag 'LexTalent: assessment sent' (configurable)",
        AssessmentStatus.IN_PROGRESS: "tag 'LexTalent: assessment in progress' replaces the previous tag",
        AssessmentStatus.COMPLETED: "tag 'completed'; note with score, band, report link (note score 1-4)",
        AssessmentStatus.EXPIRED: "tag 'LexTalent: assessment expired'",
        AssessmentStatus.CANCELLED: "tag 'LexTalent: assessment cancelled' (archiving in Lever cancels)",
    }

    def __init__(self, ctx: ConnectorContext, vendor_settings: LeverVendorSettings) -> None:
        super().__init__(ctx, vendor_settings)
        self.oauth = LeverOAuth(ctx, vendor_settings, f"/connectors/{self.name}/oauth/callback")

    def api(self, integration: Integration) -> LeverApi:
        settings = LeverSettings.model_validate(integration.settings)
        assert self.rate_limit is not None
        return LeverApi(self.ctx, self.oauth, integration, self.rate_limit, settings.perform_as)

    # -------------------------------------------------------------------------- integration hooks

    def inbound_urls(self, integration: Integration) -> dict[str, str]:
        return {
            "webhook": self.ctx.public_url(f"/connectors/{self.name}/webhooks/{integration.id}"),
            "oauth_redirect": self.oauth.redirect_uri,
        }

    async def connect_info(self, integration: Integration) -> dict[str, Any] | None:
        if integration.status not in (IntegrationStatus.PENDING_AUTHORIZATION, IntegrationStatus.ERROR):
            return None  # connected (or disabled); after a refused refresh (error) the customer reconnects
        return {"authorize_url": await self.oauth.authorize_url(integration)}

    def enabled_status(self, credentials: Mapping[str, Any]) -> IntegrationStatus:
        return (
            IntegrationStatus.ACTIVE
            if credentials.get("refresh_token")
            else IntegrationStatus.PENDING_AUTHORIZATION
        )

    # ------------------------------------------------------------------------------- inbound side

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/oauth/callback", response_class=HTMLResponse)
        async def oauth_callback(state: str = "", code: str = "", error: str = "") -> HTMLResponse:
            integration_id = await self.oauth.integration_of_state(state) if state else None
            integration = await self.ctx.integrations.get(integration_id) if integration_id else None
            if integration is None or integration.connector != self.name:
                return HTMLResponse("<h1>Unknown or expired connection request</h1>", status_code=400)
            if error or not code:
                await self.ctx.integrations.record_error(
                    integration, "oauth", f"Lever authorization failed: {error}"
                )
                return HTMLResponse("<h1>Lever was not connected</h1>", status_code=400)
            try:
                await self.oauth.exchange_code(integration, code)
            except ConnectorError as exc:
                await self.ctx.integrations.record_error(integration, "oauth", exc.detail)
                return HTMLResponse("<h1>Lever was not connected</h1>", status_code=502)
            current = await self.ctx.integrations.get(integration.id) or integration
            await self.ctx.integrations.save(current.model_copy(update={"status": IntegrationStatus.ACTIVE}))
            log.info("lever.connected", integration_id=integration.id)
            return HTMLResponse("<h1>Lever is connected to LexTalent</h1><p>You can close this window.</p>")

        @router.post("/webhooks/{integration_id}")
        async def webhook(integration_id: str, request: Request) -> dict[str, str]:
            return await self._on_webhook(integration_id, await request.body())

        return router

    def _replay_key(self, integration_id: str, token: str) -> str:
        return f"{self.ctx.namespace}conn:lever:seen:{integration_id}:{token}"

    async def _on_webhook(self, integration_id: str, raw: bytes) -> dict[str, str]:
        integration = await self.ctx.integrations.get(integration_id)
        if integration is None or integration.connector != self.name:
            raise HTTPException(404, "unknown webhook")
        try:
            webhook = formats.LeverWebhook.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValidationError):
            raise HTTPException(400, "not a Lever webhook delivery") from None
        credentials = await self.ctx.integrations.credentials(integration.id)
        signature_token = credentials.get("signature_token")
        if not signature_token or not formats.signature_valid(webhook, [str(signature_token)]):
            log.warning("lever.bad_signature", integration_id=integration.id, lever_event=webhook.event)
            raise HTTPException(401, "invalid signature")
        age_s = self.ctx.clock.now() - webhook.triggeredAt / 1000
        if age_s > self.vendor.webhook_max_age_s:
            raise HTTPException(400, "delivery too old")
        replay_key = self._replay_key(integration.id, webhook.token)
        if await self.ctx.redis.exists(replay_key):
            log.info("lever.webhook_replay", integration_id=integration.id, lever_event=webhook.event)
            return {"status": "duplicate"}  # already handled: no second effect
        if not integration.active:
            await self.ctx.integrations.record_error(
                integration, "inbound", f"Lever {webhook.event} ignored: integration is {integration.status}"
            )
            return {"status": "ignored"}
        try:
            outcome = await self._handle_webhook(integration, webhook)
        except ValidationError:
            raise HTTPException(400, f"malformed {webhook.event} data") from None
        except RetryableError as exc:
            raise HTTPException(503, "try again later") from exc  # Lever retries non-2xx answers
        except ConnectorError as exc:
            await self.ctx.integrations.record_error(
                integration, "inbound", exc.detail, {"event": webhook.event}
            )
            raise HTTPException(502, "could not handle the delivery") from None
        await self.ctx.redis.set(replay_key, "1", ex=REPLAY_TTL_S)
        return {"status": outcome}

    async def _handle_webhook(self, integration: Integration, webhook: formats.LeverWebhook) -> str:
        settings = LeverSettings.model_validate(integration.settings)
        if webhook.event == formats.STAGE_CHANGE:
            change = formats.StageChange.model_validate(webhook.data)
            if change.toStageId != settings.trigger_stage_id:
                return "ignored"
            return await self._invite(integration, settings, change)
        if webhook.event == formats.ARCHIVE_CHANGE:
            archive = formats.ArchiveChange.model_validate(webhook.data)
            if archive.toArchived is None:
                return "ignored"
            return await self._cancel(integration, archive)
        return "ignored"

    async def _invite(
        self, integration: Integration, settings: LeverSettings, change: formats.StageChange
    ) -> str:
        if await self.ctx.links.find(self.name, integration.id, change.opportunityId) is not None:
            return "duplicate"
        opportunity = await self.api(integration).opportunity(change.opportunityId)
        if not opportunity.emails:
            await self.ctx.integrations.record_error(
                integration,
                "inbound",
                "Lever candidate has no email: cannot invite",
                {"opportunityId": change.opportunityId},
            )
            return "ignored"
        assessment_id, created = await self.request_assessment(
            integration,
            candidate=Candidate(email=opportunity.emails[0], name=opportunity.name[:200]),
            scenario_id=settings.scenario_id,
            vendor_ref=change.opportunityId,
            metadata={"ats": "lever", "lever_opportunity_id": change.opportunityId[:500]},
            refs={
                "opportunity_id": change.opportunityId,
                "candidate_id": change.candidateId,
                "contact_id": change.contactId,
            },
        )
        if not created:
            return "duplicate"
        log.info("lever.assessment_requested", assessment_id=assessment_id, integration_id=integration.id)
        return "assessment_created"

    async def _cancel(self, integration: Integration, archive: formats.ArchiveChange) -> str:
        link = await self.ctx.links.find(self.name, integration.id, archive.opportunityId)
        if link is None:
            return "ignored"
        snapshot = await self.ctx.assessments.get(link.assessment_id)
        if snapshot is not None and snapshot.status.is_terminal:
            return "ignored"
        reason = str((archive.toArchived or {}).get("reason") or "")[:200]
        await self.request_cancel(link, f"Candidate archived in Lever {reason}".strip())
        return "assessment_cancelled"

    # ------------------------------------------------------------------------------ outbound side

    async def handle_event(self, event: EventBase, integration: Integration, link: AssessmentLink) -> None:
        snapshot = event.snapshot
        settings = LeverSettings.model_validate(integration.settings)
        api = self.api(integration)
        opportunity_id = str(link.refs["opportunity_id"])
        add, remove = formats.tag_changes(snapshot.status, settings.tags.by_status())
        await api.add_tags(opportunity_id, add)
        if remove:
            await api.remove_tags(opportunity_id, remove)
        results = snapshot.results
        if snapshot.status != AssessmentStatus.COMPLETED or results is None:
            return
        if not link.refs.get("note_id"):
            scenario = get_scenario(snapshot.scenario_id)
            note = formats.note_body(
                snapshot,
                results,
                scenario.name if scenario else snapshot.scenario_id,
                secret=settings.note_secret,
                notify_followers=settings.notify_followers,
            )
            note_id = await api.add_note(opportunity_id, note)
            link = await self.ctx.links.update_refs(link, {"note_id": note_id})
        if settings.add_report_link and not link.refs.get("report_link_added"):
            await api.add_links(opportunity_id, [str(results.report_url)])
            await self.ctx.links.update_refs(link, {"report_link_added": True})
