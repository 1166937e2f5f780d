"""The assessment snapshot: the read model record and the body of every assessment event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from hub_contracts.base import ContractModel, UtcDateTime
from hub_contracts.emails import EmailAddress
from hub_contracts.ids import ASSESSMENT_ID_PATTERN
from hub_contracts.results import AgenticReadinessResults


class AssessmentStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({AssessmentStatus.COMPLETED, AssessmentStatus.EXPIRED, AssessmentStatus.CANCELLED})

MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[str, StringConstraints(max_length=500)] | int | float | bool | None
Metadata = dict[MetadataKey, MetadataValue]
AssessmentId = Annotated[str, StringConstraints(pattern=ASSESSMENT_ID_PATTERN)]
AccountId = Annotated[str, StringConstraints(pattern=r"^acct_[0-9A-Za-z]{8,32}$")]


class Candidate(ContractModel):
    email: EmailAddress
    name: str = Field(min_length=1, max_length=200)


class AssessmentSnapshot(ContractModel):
    """The full state of one assessment at one `version`. Written only by the assessments service."""

    id: AssessmentId
    account_id: AccountId
    livemode: bool
    status: AssessmentStatus
    version: int = Field(ge=1, description="Grows by one with every state change of this assessment")
    candidate: Candidate
    scenario_id: str
    callback_url: str | None = None
    metadata: Metadata = Field(default_factory=dict)
    candidate_url: str
    source: str = Field(default="api", description="Who asked for it: api, or the ATS connector's name")
    created_at: UtcDateTime
    updated_at: UtcDateTime
    expires_at: UtcDateTime
    started_at: UtcDateTime | None = None
    completed_at: UtcDateTime | None = None
    cancelled_at: UtcDateTime | None = None
    expired_at: UtcDateTime | None = None
    cancellation_reason: str | None = None
    results: AgenticReadinessResults | None = None

    def status_since(self) -> datetime:
        """When the assessment entered its current status (what an ATS shows as the status date)."""
        by_status = {
            AssessmentStatus.PENDING: self.created_at,
            AssessmentStatus.IN_PROGRESS: self.started_at,
            AssessmentStatus.COMPLETED: self.results.completed_at if self.results else self.completed_at,
            AssessmentStatus.EXPIRED: self.expired_at,
            AssessmentStatus.CANCELLED: self.cancelled_at,
        }
        return by_status[self.status] or self.updated_at
