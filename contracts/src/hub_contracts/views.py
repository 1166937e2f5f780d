"""Public JSON representations: what REST callers and webhook receivers see.

One rendering of an assessment serves the gateway's GET responses and the webhook payloads, so
a customer sees the same object wherever it comes from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate, Metadata
from hub_contracts.base import ContractModel, isoformat_z
from hub_contracts.events import EventBase, public_event_name
from hub_contracts.results import AgenticReadinessResults


class AssessmentCreatedResponse(ContractModel):
    """The response of `POST /v1/assessments`: exactly the seed page's fields."""

    id: str = Field(examples=["asmt_7kX9mPqR2vNw"])
    status: Literal["pending"] = "pending"
    candidate_url: str = Field(examples=["https://app.lextalent.ai/challenge/7kX9mPqR2vNw"])
    expires_at: str = Field(examples=["2026-03-02T00:00:00Z"])
    created_at: str = Field(examples=["2026-02-23T10:30:00Z"])


class AssessmentView(ContractModel):
    """An assessment as `GET /v1/assessments/{id}` returns it and webhooks carry it."""

    id: str
    object: Literal["assessment"] = "assessment"
    livemode: bool
    status: AssessmentStatus
    candidate: Candidate
    scenario_id: str
    callback_url: str | None
    metadata: Metadata
    candidate_url: str
    source: str
    created_at: str
    updated_at: str
    expires_at: str
    started_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    expired_at: str | None
    cancellation_reason: str | None
    results: AgenticReadinessResults | None
    version: int


def _ts(value: Any) -> str | None:
    return None if value is None else isoformat_z(value)


def assessment_view(snapshot: AssessmentSnapshot) -> AssessmentView:
    return AssessmentView(
        id=snapshot.id,
        livemode=snapshot.livemode,
        status=snapshot.status,
        candidate=snapshot.candidate,
        scenario_id=snapshot.scenario_id,
        callback_url=snapshot.callback_url,
        metadata=snapshot.metadata,
        candidate_url=snapshot.candidate_url,
        source=snapshot.source,
        created_at=isoformat_z(snapshot.created_at),
        updated_at=isoformat_z(snapshot.updated_at),
        expires_at=isoformat_z(snapshot.expires_at),
        started_at=_ts(snapshot.started_at),
        completed_at=_ts(snapshot.completed_at),
        cancelled_at=_ts(snapshot.cancelled_at),
        expired_at=_ts(snapshot.expired_at),
        cancellation_reason=snapshot.cancellation_reason,
        results=snapshot.results,
        version=snapshot.version,
    )


class WebhookPayload(ContractModel):
    """The body of every webhook: Standard Webhooks' recommended `type`/`timestamp`/`data` shape."""

    id: str = Field(description="The event id; the `webhook-id` header is derived from it")
    type: str = Field(examples=["assessment.completed"])
    timestamp: str
    data: AssessmentView


def webhook_payload(event: EventBase) -> WebhookPayload:
    ce_type: str = type(event).model_fields["type"].default
    return WebhookPayload(
        id=event.event_id,
        type=public_event_name(ce_type),
        timestamp=isoformat_z(event.occurred_at),
        data=assessment_view(event.snapshot),
    )
