"""Assessment snapshots and events as the assessments service emits them, for connector tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.base import new_id, utcnow
from hub_contracts.events import EVENT_CLASSES, EventBase
from hub_contracts.ids import challenge_token
from hub_contracts.results import AgenticReadinessResults, DimensionScore, band_for

EVENT_TYPE_OF_STATUS = {
    AssessmentStatus.PENDING: "ai.lextalent.assessment.created.v1",
    AssessmentStatus.IN_PROGRESS: "ai.lextalent.assessment.started.v1",
    AssessmentStatus.COMPLETED: "ai.lextalent.assessment.completed.v1",
    AssessmentStatus.EXPIRED: "ai.lextalent.assessment.expired.v1",
    AssessmentStatus.CANCELLED: "ai.lextalent.assessment.cancelled.v1",
}


def sample_results(score: int = 82) -> AgenticReadinessResults:
    return AgenticReadinessResults(
        overall_score=score,
        band=band_for(score),
        dimensions=(
            DimensionScore(key="verification", name="Verification of agent output", score=score),
            DimensionScore(key="delegation", name="Delegating work to agents", score=max(0, score - 5)),
        ),
        percentile=71.5,
        report_url="https://app.lextalent.ai/reports/rpt_123",
        duration_seconds=3120,
        completed_at=utcnow(),
    )


def snapshot(
    assessment_id: str,
    account_id: str,
    *,
    livemode: bool = True,
    source: str,
    status: AssessmentStatus,
    version: int,
    email: str = "hpotter@hogwarts.edu",
    name: str = "Harry Potter",
    scenario_id: str = "ma-due-diligence-v2",
    results: AgenticReadinessResults | None = None,
) -> AssessmentSnapshot:
    now = utcnow()
    extra: dict[str, Any] = {}
    if status == AssessmentStatus.IN_PROGRESS or status == AssessmentStatus.COMPLETED:
        extra["started_at"] = now
    if status == AssessmentStatus.COMPLETED:
        extra["completed_at"] = now
        extra["results"] = results or sample_results()
    if status == AssessmentStatus.CANCELLED:
        extra["cancelled_at"] = now
        extra["cancellation_reason"] = "cancelled in test"
    if status == AssessmentStatus.EXPIRED:
        extra["expired_at"] = now
    return AssessmentSnapshot(
        id=assessment_id,
        account_id=account_id,
        livemode=livemode,
        status=status,
        version=version,
        candidate=Candidate(email=email, name=name),
        scenario_id=scenario_id,
        candidate_url=f"https://app.lextalent.ai/challenge/{challenge_token(assessment_id)}",
        source=source,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=7),
        **extra,
    )


def event_for(snap: AssessmentSnapshot) -> EventBase:
    cls = EVENT_CLASSES[EVENT_TYPE_OF_STATUS[snap.status]]
    return cls.of(snap, event_id=new_id("evt"))
