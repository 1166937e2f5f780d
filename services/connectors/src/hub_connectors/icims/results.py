"""Our snapshot → one `assessmentresults` row of the applicant workflow (ats-formats.md §4.3).

| our state   | assessmentstatus node     | also written                                            |
|-------------|---------------------------|---------------------------------------------------------|
| pending     | statuses.pending (Sent)   | assessmentname, assessmentdate (sent)                   |
| in_progress | statuses.in_progress      | assessmentdate (started)                                |
| completed   | statuses.completed        | assessmentscore, assessmentresult, notes with report URL |
| expired     | statuses.expired          | notes                                                   |
| cancelled   | statuses.cancelled        | notes (reason)                                          |
A state without a configured node is not written.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from hub_connectors.icims.formats import NOTES_MAX, RESULT_MAX, fit, icims_datetime
from hub_connectors.icims.settings import IcimsIntegrationSettings
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus

GROUP = "assessmentresults"


def result_text(snapshot: AssessmentSnapshot) -> str:
    results = snapshot.results
    if results is None:
        return ""
    flag = ", integrity review" if results.integrity.flagged else ""
    return fit(
        f"Agentic Readiness {results.overall_score}/100 - {results.band.value.title()}"
        f" (percentile {results.percentile:g}{flag})",
        RESULT_MAX,
    )


def notes_text(snapshot: AssessmentSnapshot, with_url: bool) -> str:
    """The report link first (so a cut never breaks it), then what it is about."""
    if snapshot.status is AssessmentStatus.COMPLETED and snapshot.results is not None:
        url = str(snapshot.results.report_url)
        lead = f"Report: {url}" if with_url else "LexTalent report"
        dims = ", ".join(f"{d.name} {d.score}" for d in snapshot.results.dimensions)
        return fit(f"{lead} | {dims}", NOTES_MAX)
    texts = {
        AssessmentStatus.PENDING: "Assessment sent to the candidate.",
        AssessmentStatus.IN_PROGRESS: "The candidate started the assessment.",
        AssessmentStatus.EXPIRED: "The assessment expired before completion.",
        AssessmentStatus.CANCELLED: "The assessment was cancelled."
        + (f" Reason: {snapshot.cancellation_reason}" if snapshot.cancellation_reason else ""),
    }
    return fit(texts.get(snapshot.status, ""), NOTES_MAX)


def assessment_row(snapshot: AssessmentSnapshot, settings: IcimsIntegrationSettings) -> dict[str, Any] | None:
    """The row's fields for this snapshot, or None when the tenant has no status node for its state."""
    status = settings.statuses.for_status(snapshot.status)
    package = settings.package_for_scenario(snapshot.scenario_id)
    if status is None or package is None:
        return None
    row: dict[str, Any] = {
        "assessmentname": {"id": package.assessment_name.id},
        "assessmentstatus": {"id": status.id},
        "assessmentdate": icims_datetime(snapshot.status_since()),
    }
    if snapshot.status is AssessmentStatus.COMPLETED and snapshot.results is not None:
        row["assessmentscore"] = snapshot.results.overall_score
        row["assessmentresult"] = result_text(snapshot)
        if settings.url_field is not None:
            row[settings.url_field] = str(snapshot.results.report_url)
    notes = notes_text(snapshot, with_url=settings.url_field is None)
    if notes:
        row["assessmentnotes"] = notes
    return row


def group_id_from_location(location: str | None) -> str | None:
    """`…/applicantworkflows/13820/fields/assessmentresults/4711` → `4711` (None if not such a URL)."""
    if not location:
        return None
    # iCIMS documents the header without a scheme and in typographic quotes: take the path either way.
    segments = [s for s in urlsplit(location.strip(' "\u201c\u201d')).path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == GROUP and segments[-1].isalnum():
        return segments[-1]
    return None
