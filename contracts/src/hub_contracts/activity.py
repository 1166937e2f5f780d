"""Candidate activity reported by the challenge app (internal producer)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub_contracts.assessment import AssessmentId
from hub_contracts.base import ContractModel, UtcDateTime


class CandidateActivity(ContractModel):
    """The candidate opened or started the challenge."""

    type: Literal["ai.lextalent.candidate.activity.v1"] = "ai.lextalent.candidate.activity.v1"
    activity_id: str = Field(min_length=8, max_length=64)
    assessment_id: AssessmentId
    activity: Literal["opened", "started"]
    occurred_at: UtcDateTime
