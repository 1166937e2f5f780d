"""Greenhouse's Assessment Partner API formats and the pure translations to and from ours.

Source: grnhse/greenhouse-api-docs @0c37c31, source/includes/assessment/*.md (see
/work/shared/reference/ats-formats.md §1). Snake_case names; empty properties are `null`, never
missing; Greenhouse may add properties, so inbound models allow unknown ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate, Metadata
from hub_contracts.scenarios import Scenario


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class SendTestCandidate(_Inbound):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    preferred_name: str | None = None
    email: EmailStr
    resume_url: str | None = None
    phone_number: str | None = None
    greenhouse_profile_url: str | None = None


class SendTestRequest(_Inbound):
    partner_test_id: str = Field(min_length=1, max_length=100)
    candidate: SendTestCandidate
    sent_by: str | None = None
    url: str = Field(min_length=1, max_length=2000)


class ResponseErrorRequest(_Inbound):
    api_call: str
    errors: list[str]
    partner_test_id: str | None = None
    partner_test_name: str | None = None
    partner_interview_id: str | None = None
    candidate_email: str | None = None


PARTNER_STATUS: dict[AssessmentStatus, str] = {
    AssessmentStatus.PENDING: "sent",
    AssessmentStatus.IN_PROGRESS: "in_progress",
    AssessmentStatus.COMPLETED: "complete",  # the only value with a documented meaning
    AssessmentStatus.EXPIRED: "expired",
    AssessmentStatus.CANCELLED: "cancelled",
}
NOT_YET_APPLIED_STATUS = "sent"
"""`test_status` right after `send_test`, before the assessments service applied the create."""


def list_tests_body(scenarios: Iterable[Scenario]) -> list[dict[str, str]]:
    return [{"partner_test_id": s.id, "partner_test_name": s.name} for s in scenarios]


def candidate_of(request: SendTestRequest) -> Candidate:
    c = request.candidate
    return Candidate(email=c.email, name=f"{c.first_name} {c.last_name}"[:200])


def metadata_of(request: SendTestRequest) -> Metadata:
    """What we keep of the order on the assessment (visible to the customer through our API)."""
    metadata: Metadata = {"ats": "greenhouse"}
    if request.candidate.greenhouse_profile_url:
        metadata["greenhouse_profile_url"] = request.candidate.greenhouse_profile_url[:500]
    if request.sent_by:
        metadata["greenhouse_sent_by"] = request.sent_by[:500]
    return metadata


def display_time(value: datetime | None) -> str | None:
    """Greenhouse has no date fields; its doc example shows times as `10:15 AM 26 March 2014`."""
    if value is None:
        return None
    return value.strftime("%I:%M %p %d %B %Y UTC").lstrip("0")


def status_body(snapshot: AssessmentSnapshot | None, scenario: Scenario | None) -> dict[str, Any]:
    """The `test_status` answer: every property present, `null` when empty, `metadata` flat primitives."""
    if snapshot is None:
        return {
            "partner_status": NOT_YET_APPLIED_STATUS,
            "partner_profile_url": None,
            "partner_score": None,
            "metadata": None,
        }
    results = snapshot.results if snapshot.status == AssessmentStatus.COMPLETED else None
    metadata: dict[str, str | int | float | bool | None] = {
        "Scenario": scenario.name if scenario else snapshot.scenario_id,
        "Status": snapshot.status.value,
        "Started At": display_time(snapshot.started_at),
        "Completed At": display_time(snapshot.completed_at),
        "Expires At": display_time(snapshot.expires_at),
    }
    if results is not None:
        metadata["Band"] = results.band.value.title()
        metadata["Percentile"] = results.percentile
        metadata["Duration (minutes)"] = round(results.duration_seconds / 60)
        metadata["Integrity flagged"] = results.integrity.flagged
        for dimension in results.dimensions:
            metadata[dimension.name] = dimension.score
    if snapshot.status == AssessmentStatus.CANCELLED:
        metadata["Cancellation reason"] = snapshot.cancellation_reason
    return {
        "partner_status": PARTNER_STATUS[snapshot.status],
        "partner_profile_url": str(results.report_url) if results else None,
        "partner_score": results.overall_score if results else None,
        "metadata": metadata,
    }
