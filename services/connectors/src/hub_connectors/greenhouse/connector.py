"""The Greenhouse connector: hosts list_tests/send_test/test_status/response_error, PATCHes on completion.

Greenhouse authenticates with HTTP Basic: the customer's LexTalent API key as username, empty
password. The same keys, plans and tenant isolation as the gateway apply (enterprise plan only).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

import orjson
import structlog
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_connectors.framework.api_keys import ApiKeyRejectedError, KeyRejection, Principal
from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.errors import PermanentError, RetryableError
from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.registry import register
from hub_connectors.greenhouse import formats
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.events import EventBase
from hub_contracts.scenarios import SCENARIOS, Scenario, get_scenario

log = structlog.get_logger(__name__)

COMPLETED = "ai.lextalent.assessment.completed.v1"


class GreenhouseSettings(BaseModel):
    """What the customer chooses: which of our scenarios Greenhouse offers as tests (empty: all)."""

    model_config = ConfigDict(extra="forbid")

    scenario_ids: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("scenario_ids")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if get_scenario(s) is None]
        if unknown:
            raise ValueError(f"unknown scenario ids: {', '.join(unknown)}")
        return value


class GreenhouseVendorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_GREENHOUSE_", extra="ignore", frozen=True)

    callback_url_prefixes: list[str] = Field(
        default=["https://app.greenhouse.io/integrations/testing_partners/take_home_tests/"],
        description="The only URLs send_test's `url` may name (we PATCH it later: no SSRF elsewhere)",
    )


def refuse(status: int, message: str) -> HTTPException:
    """Greenhouse shows non-2xx answers as errors; 401 for bad keys, 404 for unknown ids (_errors.md)."""
    headers = {"WWW-Authenticate": 'Basic realm="LexTalent"'} if status == 401 else None
    return HTTPException(status_code=status, detail=message, headers=headers)


BodyT = TypeVar("BodyT", bound=BaseModel)


def parse_body(raw: bytes, model: type[BodyT], call: str) -> BodyT:
    """A Greenhouse request body, or a 400 naming what is wrong (never echoing values)."""
    try:
        return model.model_validate(orjson.loads(raw))
    except orjson.JSONDecodeError:
        raise refuse(400, f"invalid {call} body: not JSON") from None
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in exc.errors()[:3])
        raise refuse(400, f"invalid {call} body: {fields}") from None


def basic_username(authorization: str | None) -> str | None:
    """The username of an HTTP Basic header (Greenhouse sends `base64(api_key + ":")`)."""
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization.removeprefix("Basic ").strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, _ = decoded.partition(":")
    return username if sep else None


def basic_header(api_key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()


@register
class GreenhouseConnector(ConnectorBase[GreenhouseVendorSettings]):
    name = "greenhouse"
    display_name = "Greenhouse"
    settings_model = GreenhouseSettings
    vendor_settings_model = GreenhouseVendorSettings
    rate_limit = None  # none documented for the assessment PATCH
    state_mapping = {
        AssessmentStatus.PENDING: "send_test answers {partner_interview_id}; test_status 'sent'",
        AssessmentStatus.IN_PROGRESS: "test_status 'in_progress' (free text, no known UI effect)",
        AssessmentStatus.COMPLETED: "PATCH of the send_test url; 'complete', score, report URL, metadata",
        AssessmentStatus.EXPIRED: "test_status 'expired' (no documented mechanism; no PATCH)",
        AssessmentStatus.CANCELLED: "test_status 'cancelled' (not documented; no PATCH)",
    }

    def inbound_urls(self, integration: Integration) -> dict[str, str]:
        base = f"/connectors/{self.name}"
        return {
            k: self.ctx.public_url(f"{base}/{k}")
            for k in ("list_tests", "send_test", "test_status", "response_error")
        }

    # ------------------------------------------------------------------------------ inbound side

    async def _caller(self, request: Request) -> tuple[Principal, Integration, str]:
        api_key = basic_username(request.headers.get("Authorization"))
        if not api_key:
            raise refuse(401, "HTTP Basic authentication with your LexTalent API key is required")
        try:
            principal = await self.ctx.api_keys.authenticate(api_key)
        except ApiKeyRejectedError as exc:
            log.info("greenhouse.key_rejected", reason=exc.reason.value)
            if exc.reason == KeyRejection.PLAN:
                raise refuse(403, "ATS integrations need the Enterprise plan") from None
            raise refuse(401, "invalid API key") from None
        integration = await self.ctx.integrations.find(self.name, principal.account_id, principal.livemode)
        if integration is None or not integration.active:
            raise refuse(403, "the Greenhouse integration is not enabled for this account")
        return principal, integration, api_key

    def _scenarios(self, integration: Integration) -> list[Scenario]:
        chosen = GreenhouseSettings.model_validate(integration.settings).scenario_ids
        return [SCENARIOS[s] for s in chosen] if chosen else list(SCENARIOS.values())

    def _callback_allowed(self, url: str) -> bool:
        return any(url.startswith(prefix) for prefix in self.vendor.callback_url_prefixes)

    def router(self) -> APIRouter:
        router = APIRouter()

        async def caller(request: Request) -> tuple[Principal, Integration, str]:
            return await self._caller(request)

        @router.get("/list_tests")
        async def list_tests(who: tuple[Principal, Integration, str] = Depends(caller)) -> Any:
            _, integration, _ = who
            return formats.list_tests_body(self._scenarios(integration))

        @router.post("/send_test")
        async def send_test(
            request: Request, who: tuple[Principal, Integration, str] = Depends(caller)
        ) -> Any:
            principal, integration, api_key = who
            order = parse_body(await request.body(), formats.SendTestRequest, "send_test")
            if order.partner_test_id not in {s.id for s in self._scenarios(integration)}:
                raise refuse(404, f"unknown partner_test_id {order.partner_test_id!r}")
            if not self._callback_allowed(order.url):
                raise refuse(400, "url is not a Greenhouse take-home-test URL")
            try:
                return {"partner_interview_id": await self._create(principal, integration, api_key, order)}
            except RetryableError:
                raise refuse(503, "temporarily unavailable, please retry") from None

        @router.get("/test_status")
        async def test_status(
            partner_interview_id: str = "", who: tuple[Principal, Integration, str] = Depends(caller)
        ) -> Any:
            _, integration, _ = who
            link = await self.ctx.links.get(partner_interview_id) if partner_interview_id else None
            if link is None or link.connector != self.name or link.integration_id != integration.id:
                raise refuse(404, "unknown partner_interview_id")
            snapshot = await self.ctx.assessments.get(link.assessment_id)
            scenario = get_scenario(snapshot.scenario_id) if snapshot else None
            return formats.status_body(snapshot, scenario)

        @router.post("/response_error")
        async def response_error(
            request: Request, who: tuple[Principal, Integration, str] = Depends(caller)
        ) -> Any:
            _, integration, _ = who
            report = parse_body(await request.body(), formats.ResponseErrorRequest, "response_error")
            await self.ctx.integrations.record_error(
                integration,
                "response_error",
                f"Greenhouse rejected our {report.api_call}: " + "; ".join(report.errors),
                report.model_dump(mode="json"),
            )
            log.warning(
                "greenhouse.response_error",
                integration_id=integration.id,
                api_call=report.api_call,
                partner_interview_id=report.partner_interview_id,
                errors=report.errors[:5],
            )
            return {}

        return router

    async def _create(
        self, principal: Principal, integration: Integration, api_key: str, order: formats.SendTestRequest
    ) -> str:
        assessment_id, created = await self.request_assessment(
            integration,
            candidate=formats.candidate_of(order),
            scenario_id=order.partner_test_id,
            metadata=formats.metadata_of(order),
            vendor_ref=order.url,
            refs={
                "url": order.url,
                "partner_test_id": order.partner_test_id,
                "sealed_patch_auth": self._seal_patch_credential(api_key),
            },
        )
        if created:
            log.info("greenhouse.test_sent", assessment_id=assessment_id, integration_id=integration.id)
        return assessment_id

    # --------------------------------------------------------------------------- outbound side
    # Which credential the PATCH carries is not documented (reference §1.6). Our reading: the same
    # customer API key Greenhouse sent with send_test, kept encrypted with the order. Only here.

    def _seal_patch_credential(self, api_key: str) -> str:
        return self.ctx.seal({"api_key": api_key})

    def _patch_authorization(self, link: AssessmentLink) -> str:
        api_key = self.ctx.unseal(link.refs["sealed_patch_auth"])["api_key"]
        return basic_header(str(api_key))

    async def handle_event(self, event: EventBase, integration: Integration, link: AssessmentLink) -> None:
        if getattr(event, "type", None) != COMPLETED:
            return  # Greenhouse documents no push for other states: test_status answers them
        url = str(link.refs.get("url", ""))
        if not self._callback_allowed(url):
            raise PermanentError("greenhouse: the stored callback url is not a Greenhouse URL")
        await self.ctx.http.request(
            self.name,
            "PATCH",
            url,
            rate_limit=self.rate_limit,
            integration_id=integration.id,
            headers={"Authorization": self._patch_authorization(link)},
        )
        log.info("greenhouse.completion_pinged", assessment_id=link.assessment_id)
