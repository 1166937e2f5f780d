"""Workday test helpers: one tenant's settings and assessment snapshots in each state, at fixed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.settings import (
    AssessmentTestMapping,
    StatusReferences,
    WorkdayIntegrationSettings,
)
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.results import AgenticReadinessResults, DimensionScore, Integrity, band_for

CREATED = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)
TEST_REF = WorkdayReference(id_type="Recruiting_Assessment_Test_ID", value="RECRUITING_ASSESSMENT_TEST-6-111")


def wid(name: str) -> WorkdayReference:
    return WorkdayReference(id_type="WID", value=f"{name:0<32}"[:32])


def make_settings(
    services_url: str = "https://wd2-impl-services1.workday.com", **overrides: Any
) -> WorkdayIntegrationSettings:
    values: dict[str, Any] = {
        "services_url": services_url,
        "tenant": "acme_impl",
        "overall_status": StatusReferences(
            pending=wid("invited"),
            in_progress=wid("inprogress"),
            completed=wid("completed"),
            expired=wid("expired"),
        ),
        "test_status": StatusReferences(completed=wid("passed")),
        "tests": (AssessmentTestMapping(reference=TEST_REF, scenario_id="ma-due-diligence-v2"),),
    }
    values.update(overrides)
    return WorkdayIntegrationSettings(**values)


def results(score: int = 81, completed_at: datetime | None = None) -> AgenticReadinessResults:
    return AgenticReadinessResults(
        overall_score=score,
        band=band_for(score),
        dimensions=(
            DimensionScore(key="verification", name="Verification of agent output", score=score),
            DimensionScore(key="delegation", name="Delegation", score=max(score - 5, 0)),
        ),
        percentile=92.5,
        integrity=Integrity(),
        report_url="https://app.lextalent.ai/reports/7kX9mPqR2vNw",  # type: ignore[arg-type]
        duration_seconds=3600,
        completed_at=completed_at or CREATED + timedelta(days=1, hours=2),
    )


def make_snapshot(
    status: AssessmentStatus = AssessmentStatus.PENDING, **overrides: Any
) -> AssessmentSnapshot:
    values: dict[str, Any] = {
        "id": "asmt_7kX9mPqR2vNw",
        "account_id": "acct_12345678",
        "livemode": False,
        "status": status,
        "version": 1,
        "candidate": Candidate(email="jane@example.com", name="Jane Doe"),
        "scenario_id": "ma-due-diligence-v2",
        "candidate_url": "https://app.lextalent.ai/challenge/7kX9mPqR2vNw",
        "source": "workday",
        "created_at": CREATED,
        "updated_at": CREATED,
        "expires_at": CREATED + timedelta(days=7),
    }
    if status is AssessmentStatus.IN_PROGRESS:
        values.update(started_at=CREATED + timedelta(hours=3), version=2)
    if status is AssessmentStatus.COMPLETED:
        r = results()
        values.update(
            started_at=CREATED + timedelta(hours=3), completed_at=r.completed_at, results=r, version=3
        )
    if status is AssessmentStatus.EXPIRED:
        values.update(expired_at=CREATED + timedelta(days=7), version=2)
    if status is AssessmentStatus.CANCELLED:
        values.update(cancelled_at=CREATED + timedelta(hours=1), cancellation_reason="withdrawn", version=2)
    values.update(overrides)
    return AssessmentSnapshot(**values)
