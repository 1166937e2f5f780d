"""Commands: imperative requests to the assessments service (one owner), keyed by assessment id."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from hub_contracts.assessment import AccountId, AssessmentId, Candidate, Metadata
from hub_contracts.base import ContractModel, UtcDateTime
from hub_contracts.results import AgenticReadinessResults


class CommandBase(ContractModel):
    command_id: str = Field(min_length=8, max_length=64, description="Unique per command; the idempotency key")
    assessment_id: AssessmentId
    account_id: AccountId
    livemode: bool
    issued_at: UtcDateTime
    source: str = Field(default="api", max_length=40)


class CreateAssessment(CommandBase):
    """Create an assessment with the id, URL and timestamps the gateway already returned to the caller."""

    type: Literal["ai.lextalent.command.assessment.create.v1"] = "ai.lextalent.command.assessment.create.v1"
    candidate: Candidate
    scenario_id: str
    callback_url: str | None = None
    metadata: Metadata = Field(default_factory=dict)
    candidate_url: str
    created_at: UtcDateTime
    expires_at: UtcDateTime


class CancelAssessment(CommandBase):
    type: Literal["ai.lextalent.command.assessment.cancel.v1"] = "ai.lextalent.command.assessment.cancel.v1"
    reason: str | None = Field(default=None, max_length=500)


class ExtendAssessment(CommandBase):
    type: Literal["ai.lextalent.command.assessment.extend.v1"] = "ai.lextalent.command.assessment.extend.v1"
    expires_at: UtcDateTime


class SimulateAssessment(CommandBase):
    """Test mode only: drive an assessment as a candidate and the scoring engine would."""

    type: Literal["ai.lextalent.command.assessment.simulate.v1"] = "ai.lextalent.command.assessment.simulate.v1"
    outcome: Literal["started", "completed", "expired"]
    results: AgenticReadinessResults | None = None


AssessmentCommand = Annotated[
    CreateAssessment | CancelAssessment | ExtendAssessment | SimulateAssessment,
    Field(discriminator="type"),
]
