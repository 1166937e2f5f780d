"""Assessment events: past-tense facts emitted by the assessments service, one per state change."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field

from hub_contracts.assessment import AccountId, AssessmentId, AssessmentSnapshot
from hub_contracts.base import ContractModel, UtcDateTime


class EventBase(ContractModel):
    event_id: str = Field(min_length=8, max_length=64, description="Unique per event; same on every redelivery")
    assessment_id: AssessmentId
    account_id: AccountId
    livemode: bool
    version: int = Field(ge=1, description="The snapshot's version; consumers drop events at or below the last seen")
    occurred_at: UtcDateTime
    caused_by: str | None = Field(default=None, description="command, activity or result id that caused it")
    snapshot: AssessmentSnapshot

    @classmethod
    def of(cls, snapshot: AssessmentSnapshot, *, event_id: str, caused_by: str | None = None) -> Self:
        """The event of this type for a snapshot: ids, mode and version copied, occurred at `updated_at`."""
        return cls(event_id=event_id, assessment_id=snapshot.id, account_id=snapshot.account_id,
                   livemode=snapshot.livemode, version=snapshot.version, occurred_at=snapshot.updated_at,
                   caused_by=caused_by, snapshot=snapshot)


class AssessmentCreated(EventBase):
    type: Literal["ai.lextalent.assessment.created.v1"] = "ai.lextalent.assessment.created.v1"


class AssessmentStarted(EventBase):
    type: Literal["ai.lextalent.assessment.started.v1"] = "ai.lextalent.assessment.started.v1"


class AssessmentCompleted(EventBase):
    type: Literal["ai.lextalent.assessment.completed.v1"] = "ai.lextalent.assessment.completed.v1"


class AssessmentExpired(EventBase):
    type: Literal["ai.lextalent.assessment.expired.v1"] = "ai.lextalent.assessment.expired.v1"


class AssessmentCancelled(EventBase):
    type: Literal["ai.lextalent.assessment.cancelled.v1"] = "ai.lextalent.assessment.cancelled.v1"


class AssessmentExtended(EventBase):
    type: Literal["ai.lextalent.assessment.extended.v1"] = "ai.lextalent.assessment.extended.v1"


AssessmentEvent = Annotated[
    AssessmentCreated
    | AssessmentStarted
    | AssessmentCompleted
    | AssessmentExpired
    | AssessmentCancelled
    | AssessmentExtended,
    Field(discriminator="type"),
]

EVENT_CLASSES: dict[str, type[EventBase]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        AssessmentCreated,
        AssessmentStarted,
        AssessmentCompleted,
        AssessmentExpired,
        AssessmentCancelled,
        AssessmentExtended,
    )
}


def public_event_name(ce_type: str) -> str:
    """`ai.lextalent.assessment.completed.v1` → `assessment.completed` (the webhook catalogue's names)."""
    parts = ce_type.split(".")
    return ".".join(parts[2:-1])
