"""The Workday connector: the Assess Candidate notification creates an assessment; every state change
is written back with `Get_Assess_Candidate` then `Assess_Candidate` (SOAP, WS-Security UsernameToken).

Inbound auth: the tenant's Integration System calls `POST /connectors/workday/notifications` with the
customer's LexTalent API key (HTTP Basic username, or Bearer), like the other vendor-facing endpoints.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_connectors.framework.api_keys import ApiKeyRejectedError, KeyRejection, Principal
from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.registry import register
from hub_connectors.workday.faults import WorkdayError, error_from_fault, error_from_http
from hub_connectors.workday.mapping import assess_candidate_write
from hub_connectors.workday.namespaces import soapenv
from hub_connectors.workday.notification import InvalidNotificationError, WorkdayOrder, parse_notification
from hub_connectors.workday.operations import (
    AssessCandidateEntry,
    AssessCandidateQuery,
    AssessmentTestEntry,
    assess_candidate_request,
    choose_entry,
    get_assess_candidate_request,
    read_assess_candidate,
    read_get_assess_candidate,
)
from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.schema import EnvelopeSchemaError, validate_envelope
from hub_connectors.workday.settings import WorkdayIntegrationSettings
from hub_connectors.workday.soap import CONTENT_TYPE, envelope, isu_username, read_response
from hub_connectors.workday.xml_safety import UnreadableXmlError, parse_xml
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus
from hub_contracts.events import EventBase
from hub_contracts.ids import challenge_token

log = structlog.get_logger(__name__)

MAX_NOTIFICATION_BYTES = 256 * 1024


class WorkdayCredentials(BaseModel):
    """The Integration System User's login (`ISU@tenant` or just the ISU name).

    Plain `str`, not SecretStr: the management API stores `model_dump(mode="json")`, which would mask it.
    The framework encrypts the whole credentials blob; nothing here is logged or returned."""

    model_config = ConfigDict(extra="forbid")

    isu_username: str = Field(min_length=1, max_length=200)
    isu_password: str = Field(min_length=1, max_length=500)


class WorkdayVendorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_WORKDAY_", extra="ignore", frozen=True)

    allowed_host_suffixes: list[str] = Field(
        default=[".workday.com", ".myworkday.com"],
        description="The only hosts a tenant's services_url may name (we send the ISU password there)",
    )
    allow_http: bool = Field(default=False, description="Tests only: a plain-HTTP fake Workday")


def _problem(status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://docs.lextalent.ai/errors/{code}",
        "title": detail,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def api_key_of(authorization: str | None) -> str | None:
    """The customer's API key: `Basic base64(key:)` (Workday integrations' usual auth) or `Bearer key`."""
    if not authorization:
        return None
    if authorization.startswith("Bearer "):
        return authorization[7:].strip() or None
    if authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, _ = decoded.partition(":")
        return user if sep and user else None
    return None


def _refs_of(order: WorkdayOrder) -> dict[str, Any]:
    def ref(r: WorkdayReference | None) -> dict[str, str] | None:
        return r.model_dump() if r else None

    return {
        "candidate": ref(order.candidate_ref),
        "job_requisition": ref(order.job_requisition_ref),
        "job_application": ref(order.job_application_ref),
        "assessment_id": order.assessment_id,
        "test": ref(order.test),
    }


def _entry_to_refs(entry: AssessCandidateEntry) -> dict[str, Any]:
    def refs(items: tuple[WorkdayReference, ...]) -> list[dict[str, str]]:
        return [r.model_dump() for r in items]

    return {
        "event": refs(entry.event),
        "job_application": refs(entry.job_application),
        "candidate": refs(entry.candidate),
        "job_requisition": refs(entry.job_requisition),
        "assess_candidate_reference": entry.assess_candidate_reference,
        "tests": [{"test": t.test.model_dump(), "result": refs(t.result)} for t in entry.tests],
    }


def _entry_from_refs(raw: dict[str, Any]) -> AssessCandidateEntry:
    def refs(items: list[dict[str, str]]) -> tuple[WorkdayReference, ...]:
        return tuple(WorkdayReference.model_validate(r) for r in items)

    return AssessCandidateEntry(
        event=refs(raw.get("event", [])),
        job_application=refs(raw.get("job_application", [])),
        candidate=refs(raw.get("candidate", [])),
        job_requisition=refs(raw.get("job_requisition", [])),
        assess_candidate_reference=raw.get("assess_candidate_reference"),
        tests=tuple(
            AssessmentTestEntry(test=WorkdayReference.model_validate(t["test"]), result=refs(t["result"]))
            for t in raw.get("tests", [])
        ),
    )


def endpoint_problem(url: str, vendor: WorkdayVendorSettings) -> str | None:
    """Why we must not send the ISU password to `url` (None: it is a Workday web-services host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (vendor.allow_http and parts.scheme == "http"):
        return "services_url must use https"
    if parts.username or parts.password:
        return "services_url must not carry credentials"
    if not any(host == s.lstrip(".") or host.endswith(s) for s in vendor.allowed_host_suffixes):
        return f"host {host!r} is not a Workday web-services host"
    return None


def connector_error(error: WorkdayError) -> PermanentError | RetryableError:
    """Workday's classification onto the framework's: retry, dead-letter, or mark credentials bad."""
    text = str(error)
    code = (error.fault_code or "").lower()
    if error.http_status in (401, 403) or "authentication" in code:
        return VendorAuthError(text)
    if error.retryable:
        return RetryableError(text, retry_after=error.retry_after_s)
    return PermanentError(text)


@register
class WorkdayConnector(ConnectorBase[WorkdayVendorSettings]):
    name = "workday"
    display_name = "Workday Recruiting"
    settings_model = WorkdayIntegrationSettings
    credentials_model = WorkdayCredentials
    vendor_settings_model = WorkdayVendorSettings
    rate_limit = None  # Workday publishes no limit (ats-formats.md §3.6); faults and 429 are retried
    state_mapping = {
        AssessmentStatus.PENDING: "Assess_Candidate with the tenant's overall status for pending "
        '(usually "Invited") and our candidate link as Assessment_Test_URL',
        AssessmentStatus.IN_PROGRESS: "Assess_Candidate with the tenant's in-progress status, if it has one",
        AssessmentStatus.COMPLETED: "Assess_Candidate with the completed status, Assessment_Test_Score, "
        "test status, Assessment_Test_Date, Assessment_Test_Results_URL and comments",
        AssessmentStatus.EXPIRED: "Assess_Candidate with the tenant's expired status, if it has one",
        AssessmentStatus.CANCELLED: "Assess_Candidate with the tenant's cancelled status, if it has one",
    }

    def inbound_urls(self, integration: Integration) -> dict[str, str]:
        return {"notification": self.ctx.public_url(f"/connectors/{self.name}/notifications")}

    # ------------------------------------------------------------------------------ inbound side

    async def _principal(self, request: Request) -> Principal | JSONResponse:
        api_key = api_key_of(request.headers.get("Authorization"))
        if api_key is None:
            return _problem(
                401, "unauthorized", "Authenticate with your LexTalent API key (Basic or Bearer)."
            )
        try:
            return await self.ctx.api_keys.authenticate(api_key)
        except ApiKeyRejectedError as exc:
            if exc.reason == KeyRejection.PLAN:
                return _problem(403, "plan_required", "ATS integrations need the Enterprise plan.")
            return _problem(401, "unauthorized", "Invalid API key.")

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/notifications")
        async def notification(request: Request) -> JSONResponse:
            who = await self._principal(request)
            if isinstance(who, JSONResponse):
                return who
            integration = await self.ctx.integrations.find(self.name, who.account_id, who.livemode)
            if integration is None or not integration.active:
                return _problem(403, "integration_inactive", "The Workday integration is not enabled.")
            body = await request.body()
            if len(body) > MAX_NOTIFICATION_BYTES:
                return _problem(413, "too_large", "The notification is too large.")
            settings = WorkdayIntegrationSettings.model_validate(integration.settings)
            try:
                order = parse_notification(body, request.headers.get("Content-Type", ""), settings)
            except InvalidNotificationError as exc:
                await self.ctx.integrations.record_error(
                    integration, "inbound", f"notification refused: {exc}"
                )
                return _problem(
                    400,
                    "invalid_notification",
                    "The notification cannot be mapped to an assessment.",
                    [{"field": p.field, "message": p.message} for p in exc.problems],
                )
            assessment_id, created, candidate_url = await self._create(integration, order)
            return JSONResponse(
                {"assessment_id": assessment_id, "candidate_url": candidate_url, "created": created},
                status_code=201 if created else 200,
            )

        return router

    async def _create(self, integration: Integration, order: WorkdayOrder) -> tuple[str, bool, str]:
        requisition = order.job_requisition_ref.value if order.job_requisition_ref else None
        assessment_id, created = await self.request_assessment(
            integration,
            candidate=order.candidate,
            scenario_id=order.scenario_id,
            vendor_ref=order.order_key(),
            refs=_refs_of(order),
            metadata={
                "workday_candidate_id": order.candidate_ref.value,
                "workday_job_requisition_id": requisition,
            },
        )
        if created:
            log.info("workday.order_accepted", assessment_id=assessment_id, integration_id=integration.id)
        return (
            assessment_id,
            created,
            f"{self.ctx.commands.candidate_app_base_url}{challenge_token(assessment_id)}",
        )

    # --------------------------------------------------------------------------- outbound side

    def _check_endpoint(self, settings: WorkdayIntegrationSettings) -> str:
        problem = endpoint_problem(settings.endpoint, self.vendor)
        if problem is not None:
            raise PermanentError(f"workday: {problem}")
        return settings.endpoint

    async def _call(
        self,
        integration: Integration,
        settings: WorkdayIntegrationSettings,
        request_element: Any,
        expected: str,
    ) -> Any:
        credentials = WorkdayCredentials.model_validate(
            await self.ctx.integrations.credentials(integration.id)
        )
        document = envelope(
            request_element,
            username=isu_username(credentials.isu_username, settings.tenant),
            password=credentials.isu_password,
        )
        try:
            validate_envelope(document)
        except EnvelopeSchemaError as exc:
            raise PermanentError(f"workday: our {expected} envelope fails the schema: {exc}") from None
        response = await self.ctx.http.request(
            self.name,
            "POST",
            self._check_endpoint(settings),
            rate_limit=self.rate_limit,
            integration_id=integration.id,
            headers={"Content-Type": CONTENT_TYPE, "SOAPAction": '""'},
            data=document,
            raise_for_status=False,
        )
        try:
            if 200 <= response.status < 300:
                return read_response(response.body, response.status, expected)
            fault = self._fault_in(response.body)
            if fault is not None:
                raise error_from_fault(fault, response.status)
            raise error_from_http(
                response.status, f"HTTP {response.status}", response.headers.get("Retry-After")
            )
        except WorkdayError as exc:
            raise connector_error(exc) from None

    @staticmethod
    def _fault_in(body: bytes) -> Any:
        try:
            root = parse_xml(body)
        except UnreadableXmlError:
            return None
        return root.find(f"{soapenv('Body')}/{soapenv('Fault')}")

    async def _entry(
        self, integration: Integration, settings: WorkdayIntegrationSettings, link: AssessmentLink
    ) -> tuple[AssessCandidateEntry | None, AssessmentLink]:
        """The Get_Assess_Candidate entry (asked once, then remembered on the link) and the current link."""
        if isinstance(link.refs.get("entry"), dict):
            return _entry_from_refs(link.refs["entry"]), link
        refs = link.refs
        ref = WorkdayReference.model_validate
        if settings.lookup == "job_application" and refs.get("job_application"):
            query = AssessCandidateQuery(job_application=ref(refs["job_application"]))
        else:
            query = AssessCandidateQuery(
                candidate=ref(refs["candidate"]),
                job_requisition=ref(refs["job_requisition"]) if refs.get("job_requisition") else None,
            )
        response = await self._call(
            integration,
            settings,
            get_assess_candidate_request(settings.api_version, query),
            "Get_Assess_Candidate_Response",
        )
        entry = choose_entry(read_get_assess_candidate(response), ref(refs["test"]))
        if entry is not None:
            link = await self.ctx.links.update_refs(link, {"entry": _entry_to_refs(entry)})
        else:
            log.warning("workday.no_entry", assessment_id=link.assessment_id, integration_id=integration.id)
        return entry, link

    async def handle_event(self, event: EventBase, integration: Integration, link: AssessmentLink) -> None:
        settings = WorkdayIntegrationSettings.model_validate(integration.settings)
        snapshot: AssessmentSnapshot = event.snapshot
        if settings.overall_status.for_status(snapshot.status) is None:
            log.info(
                "workday.state_not_mapped", status=snapshot.status.value, assessment_id=link.assessment_id
            )
            return
        entry, link = await self._entry(integration, settings, link)
        test = WorkdayReference.model_validate(link.refs["test"])
        candidate = WorkdayReference.model_validate(link.refs["candidate"])
        requisition = link.refs.get("job_requisition")
        write = assess_candidate_write(
            snapshot,
            settings,
            entry,
            test=test,
            candidate=candidate,
            job_requisition=WorkdayReference.model_validate(requisition) if requisition else None,
        )
        if write is None:
            return
        response = await self._call(
            integration,
            settings,
            assess_candidate_request(settings.api_version, write),
            "Assess_Candidate_Response",
        )
        result = read_assess_candidate(response)
        await self.ctx.links.update_refs(
            link,
            {
                "last_assessment": [r.model_dump() for r in result.assessment],
                "last_event": [r.model_dump() for r in result.event],
            },
        )
        log.info("workday.assessed", assessment_id=link.assessment_id, status=snapshot.status.value)
