"""Scoring results reported by the scoring engine (internal producer)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub_contracts.assessment import AssessmentId
from hub_contracts.base import ContractModel, UtcDateTime
from hub_contracts.results import AgenticReadinessResults


class ScoringResultReported(ContractModel):
    """The scoring engine finished scoring a submitted challenge: the assessment is complete."""

    type: Literal["ai.lextalent.scoring.result.v1"] = "ai.lextalent.scoring.result.v1"
    result_id: str = Field(min_length=8, max_length=64)
    assessment_id: AssessmentId
    reported_at: UtcDateTime
    results: AgenticReadinessResults
