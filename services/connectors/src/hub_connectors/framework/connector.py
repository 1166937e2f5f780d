"""The interface every ATS connector implements (see services/connectors/FRAMEWORK.md)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import RetryableError
from hub_connectors.framework.integrations import Integration, IntegrationStatus
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.ratelimit import RateLimit
from hub_contracts.assessment import AssessmentStatus, Candidate, Metadata
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase

VendorSettingsT = TypeVar("VendorSettingsT", bound=BaseSettings)


class NoCredentials(BaseModel):
    """For connectors whose customers give us no secret (Greenhouse calls us with the API key)."""

    model_config = {"extra": "forbid"}


class ConnectorBase(ABC, Generic[VendorSettingsT]):
    """One ATS: its inbound endpoints, outbound pushes, translations, auth and limits.

    Class attributes describe the connector; the framework reads them to mount the router, validate
    integration settings and credentials, run the consumer and rate-limit outbound calls.
    """

    name: ClassVar[str]
    """Lowercase id: URL segment `/connectors/<name>/`, `Integration.connector`, group `connectors.<name>`."""
    display_name: ClassVar[str]
    settings_model: ClassVar[type[BaseModel]]
    """Per-integration settings the customer chooses (validated on create/update; returned by the API)."""
    credentials_model: ClassVar[type[BaseModel]] = NoCredentials
    """Per-integration secrets the customer gives us (encrypted at rest, never returned)."""
    vendor_settings_model: ClassVar[type[BaseSettings]]
    """Deployment settings of this connector (env prefix `HUB_<NAME>_`): base URLs, OAuth client…"""
    rate_limit: ClassVar[RateLimit | None] = None
    state_mapping: ClassVar[Mapping[AssessmentStatus, str]]
    """What each of our states becomes in the ATS (documentation; the contract suite checks all five)."""
    initial_status: ClassVar[IntegrationStatus] = IntegrationStatus.ACTIVE

    def __init__(self, ctx: ConnectorContext, vendor_settings: VendorSettingsT) -> None:
        self.ctx = ctx
        self.vendor = vendor_settings

    @abstractmethod
    def router(self) -> APIRouter:
        """Inbound vendor endpoints, paths relative to `/connectors/<name>` (may be empty)."""

    @abstractmethod
    async def handle_event(self, event: EventBase, integration: Integration, link: AssessmentLink) -> None:
        """Push one assessment event of an assessment this connector created to the vendor.

        Called by this connector's own consumer, in order per assessment, at least once per event
        (stale or duplicate versions are already dropped). Raise `RetryableError` to be retried
        with backoff, `PermanentError` to have it recorded on the integration and dead-lettered.
        Must be idempotent: a crash after the vendor call replays the same event.
        """

    def enabled_status(self, credentials: Mapping[str, Any]) -> IntegrationStatus:
        """The status of a re-enabled integration (OAuth connectors: pending until tokens exist)."""
        return IntegrationStatus.ACTIVE

    def handles_events_of(self, integration: Integration) -> bool:
        """Whether events should reach `handle_event` for this integration (default: active only)."""
        return integration.active

    async def connect_info(self, integration: Integration) -> dict[str, Any] | None:
        """Extra data for the management API answer, e.g. the OAuth `authorize_url` (no secrets)."""
        return None

    def inbound_urls(self, integration: Integration) -> dict[str, str]:
        """The URLs the customer configures in the ATS for this integration."""
        return {}

    async def on_integration_deleted(self, integration: Integration) -> None:
        """Clean up at the vendor (e.g. delete webhooks we created). Errors are logged, not raised."""
        return

    # ------------------------------------------------------------------ helpers for connectors

    async def request_assessment(
        self,
        integration: Integration,
        *,
        candidate: Candidate,
        scenario_id: str,
        vendor_ref: str,
        refs: dict[str, Any],
        metadata: Metadata | None = None,
        traceparent: str | None = None,
    ) -> tuple[str, bool]:
        """Create an assessment for a vendor trigger through the normal command path.

        Links it to the vendor object `vendor_ref` first: a vendor retrying the same trigger gets
        the first assessment's id back and `created=False`. Returns once Kafka acknowledged; raises
        `RetryableError` when the command could not be stored (answer the vendor so that it retries).
        """
        command = self.ctx.commands.new_create(
            account_id=integration.account_id,
            livemode=integration.livemode,
            connector=self.name,
            candidate=candidate,
            scenario_id=scenario_id,
            metadata=metadata,
        )
        link = AssessmentLink(
            assessment_id=command.assessment_id,
            connector=self.name,
            integration_id=integration.id,
            account_id=integration.account_id,
            livemode=integration.livemode,
            vendor_ref=vendor_ref,
            refs=refs,
            created_at=utcnow(),
        )
        assessment_id, created = await self.ctx.links.claim(link)
        if created:
            try:
                await self.ctx.commands.send(command, traceparent)
            except Exception as exc:
                await self.ctx.links.release(link)  # let the vendor's retry try again
                raise RetryableError(f"the create command could not be stored: {type(exc).__name__}") from exc
        return assessment_id, created

    async def request_cancel(self, link: AssessmentLink, reason: str) -> None:
        await self.ctx.commands.send(
            self.ctx.commands.new_cancel(
                assessment_id=link.assessment_id,
                account_id=link.account_id,
                livemode=link.livemode,
                connector=self.name,
                reason=reason[:500],
            )
        )
