"""Our results → the body of `PATCH …/assessment-api/v202010/orders/{orderId}/results`.

ASSUMPTION (the schema is not public, ats-formats.md §5.3, §5.5): Kombo passes a `scoreLabel` through
to SmartRecruiters, so the result has at least `score` and `scoreLabel`. The rest of the body below
(`status`, `resultUrl`, `summary`, `completedOn`, `details`) is our best reading of SmartRecruiters'
conventions (camelCase, ISO-8601). This module is the ONE place that knows the body; change it
here once the registry schema (`assessment-partner-api.json`) can be read.

| our state   | pushed?                                  | status (assumed)  |
|-------------|------------------------------------------|-------------------|
| pending     | no: the 201 to the order is the answer   | -                 |
| in_progress | only with `push_status_updates`          | IN_PROGRESS       |
| completed   | yes, then the report as an attachment    | COMPLETED         |
| expired     | only with `push_status_updates`          | EXPIRED           |
| cancelled   | only with `push_status_updates`          | CANCELLED         |
"""

from __future__ import annotations

from typing import Any

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus
from hub_contracts.base import isoformat_z

RESULT_STATUS = {
    AssessmentStatus.IN_PROGRESS: "IN_PROGRESS",
    AssessmentStatus.COMPLETED: "COMPLETED",
    AssessmentStatus.EXPIRED: "EXPIRED",
    AssessmentStatus.CANCELLED: "CANCELLED",
}


def results_body(snapshot: AssessmentSnapshot, push_status_updates: bool) -> dict[str, Any] | None:
    """The PATCH body for this snapshot, or None when nothing is pushed for its state."""
    status = RESULT_STATUS.get(snapshot.status)
    if status is None:
        return None
    if snapshot.status is not AssessmentStatus.COMPLETED:
        if not push_status_updates:
            return None
        body: dict[str, Any] = {"status": status}
        if snapshot.status is AssessmentStatus.CANCELLED and snapshot.cancellation_reason:
            body["summary"] = snapshot.cancellation_reason[:500]
        return body
    results = snapshot.results
    if results is None:
        return None
    return {
        "status": status,
        "score": results.overall_score,
        "scoreLabel": results.band.value.title(),
        "resultUrl": str(results.report_url),
        "summary": f"Agentic Readiness Score {results.overall_score}/100 ({results.band.value}), "
        f"percentile {results.percentile:g}"
        + ("; integrity signals flagged" if results.integrity.flagged else ""),
        "completedOn": isoformat_z(results.completed_at),
        "details": [{"name": d.name, "score": d.score} for d in results.dimensions],
    }
