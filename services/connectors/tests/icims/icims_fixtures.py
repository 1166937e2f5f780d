"""iCIMS test helpers: one tenant's settings and snapshots at fixed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub_connectors.framework.testing.events import snapshot
from hub_connectors.icims.settings import IcimsIntegrationSettings, ListNode, PackageMapping, StatusNodes
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus

ASSESSMENT_ID = "asmt_7kX9mPqR2vNw"
CREATED = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)


def make_icims_settings(**overrides: Any) -> IcimsIntegrationSettings:
    values: dict[str, Any] = {
        "customer_id": "2187",
        "packages": (
            PackageMapping(
                scenario_id="ma-due-diligence-v2",
                assessment_name=ListNode(id="D37002019001"),
                job_assessment_types=("C51234", "LexTalent M&A"),
            ),
        ),
        "statuses": StatusNodes(
            pending=ListNode(id="D37002020001", label="Sent"),
            in_progress=ListNode(id="D37002020002", label="In Progress"),
            completed=ListNode(id="D37002020003", label="Complete"),
        ),
    }
    values.update(overrides)
    return IcimsIntegrationSettings(**values)


def fixed_snapshot(
    status: AssessmentStatus = AssessmentStatus.PENDING, **overrides: Any
) -> AssessmentSnapshot:
    """The framework's snapshot, moved to fixed times so that dates can be asserted exactly."""
    snap = snapshot(
        ASSESSMENT_ID,
        "acct_12345678",
        source="icims",
        status=status,
        version=1 + list(AssessmentStatus).index(status),
    )
    times: dict[str, Any] = {"created_at": CREATED, "updated_at": CREATED}
    for field, delta in (
        ("started_at", timedelta(hours=3)),
        ("completed_at", timedelta(days=1, hours=2)),
        ("expired_at", timedelta(days=7)),
        ("cancelled_at", timedelta(hours=1)),
    ):
        if getattr(snap, field) is not None:
            times[field] = CREATED + delta
    if snap.results is not None:
        times["results"] = snap.results.model_copy(
            update={"completed_at": CREATED + timedelta(days=1, hours=2)}
        )
    return snap.model_copy(update={**times, **overrides})
