"""Our assessment snapshot → what `Assess_Candidate` writes, through the tenant's settings.

| our state    | Assessment_Status_Reference      | also written                                   |
|--------------|----------------------------------|------------------------------------------------|
| pending      | overall_status.pending (Invited) | Assessment_Test_URL (candidate link)           |
| in_progress  | overall_status.in_progress       | —                                              |
| completed    | overall_status.completed         | test score, test date, results URL, comments   |
| expired      | overall_status.expired           | comment                                        |
| cancelled    | overall_status.cancelled         | comment (with the reason)                      |
A state the tenant did not map is not written at all (`None`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hub_connectors.workday.operations import (
    AssessCandidateEntry,
    AssessCandidateWrite,
    AssessmentTestWrite,
)
from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.settings import WorkdayIntegrationSettings
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus

COMMENT_LIMIT = 2000  # Workday text fields are long; keep comments readable anyway


def _local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def overall_comment(snapshot: AssessmentSnapshot) -> str:
    if snapshot.status is AssessmentStatus.COMPLETED and snapshot.results is not None:
        r = snapshot.results
        flagged = " Integrity signals flagged for review." if r.integrity.flagged else ""
        return (
            f"LexTalent Agentic Readiness Score {r.overall_score}/100 ({r.band.value}), "
            f"percentile {r.percentile:g} in scenario {snapshot.scenario_id}.{flagged}"
        )[:COMMENT_LIMIT]
    texts = {
        AssessmentStatus.PENDING: "LexTalent assessment sent to the candidate.",
        AssessmentStatus.IN_PROGRESS: "The candidate started the LexTalent assessment.",
        AssessmentStatus.EXPIRED: "The LexTalent assessment expired before the candidate completed it.",
        AssessmentStatus.CANCELLED: "The LexTalent assessment was cancelled."
        + (f" Reason: {snapshot.cancellation_reason}" if snapshot.cancellation_reason else ""),
    }
    return texts.get(snapshot.status, "")[:COMMENT_LIMIT]


def test_comment(snapshot: AssessmentSnapshot) -> str | None:
    if snapshot.results is None:
        return None
    parts = [f"{d.name}: {d.score}" for d in snapshot.results.dimensions]
    return ("Dimensions: " + "; ".join(parts))[:COMMENT_LIMIT]


def assess_candidate_write(
    snapshot: AssessmentSnapshot,
    settings: WorkdayIntegrationSettings,
    entry: AssessCandidateEntry | None,
    *,
    test: WorkdayReference,
    candidate: WorkdayReference | None = None,
    job_requisition: WorkdayReference | None = None,
) -> AssessCandidateWrite | None:
    """The write for this snapshot, or None when the tenant maps no status to its state."""
    status = settings.overall_status.for_status(snapshot.status)
    if status is None:
        return None
    day = _local_date(snapshot.status_since(), settings.date_timezone)
    test_entry = entry.test_entry(test) if entry else None
    completed = snapshot.status is AssessmentStatus.COMPLETED and snapshot.results is not None
    test_status = settings.test_status.for_status(snapshot.status)
    tests: tuple[AssessmentTestWrite, ...] = ()
    if completed or test_status is not None:
        results = snapshot.results if completed else None
        tests = (
            AssessmentTestWrite(
                test=test,
                result=test_entry.result if test_entry else (),
                score=Decimal(results.overall_score) if results else None,
                status=test_status,
                tested_on=day if results else None,
                comment=test_comment(snapshot) if results else None,
                results_url=str(results.report_url) if results else None,
            ),
        )
    return AssessCandidateWrite(
        assessed_on=day,
        status=status,
        event=entry.event if entry else (),
        job_application=entry.job_application if entry else (),
        candidate=candidate if entry is None else None,
        job_requisition=job_requisition if entry is None else None,
        assess_candidate_reference=entry.assess_candidate_reference if entry else None,
        overall_comment=overall_comment(snapshot) or None,
        test_url=snapshot.candidate_url
        if (settings.send_test_url and snapshot.status is AssessmentStatus.PENDING)
        else None,
        tests=tests,
    )
