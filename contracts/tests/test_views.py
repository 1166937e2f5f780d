"""The public views and the timestamp helpers they use: values as full validation gives them, byte
for byte (the fast paths of `isoformat_z` and the UTC validator change nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import ValidationError

from hub_contracts.assessment import AssessmentSnapshot
from hub_contracts.base import isoformat_z
from hub_contracts.events import AssessmentCompleted
from hub_contracts.views import AssessmentView, WebhookPayload, assessment_view, webhook_payload

COMPLETED = {
    "id": "asmt_7kX9mPqR2vNw", "account_id": "acct_ViewTest0001", "livemode": True, "status": "completed",
    "version": 4, "candidate": {"email": "Jane.Doe@LawFirm.COM", "name": "Jane Doe"},
    "scenario_id": "ma-due-diligence-v2", "callback_url": "https://ats.example.com/hook",
    "metadata": {"requisition_id": "REQ-1", "priority": 2, "remote": True},
    "candidate_url": "https://app.lextalent.ai/challenge/7kX9mPqR2vNw", "source": "greenhouse",
    "created_at": "2026-02-23T10:30:00Z", "updated_at": "2026-03-01T10:00:00.123456+00:00",
    "expires_at": "2026-03-02T00:00:00+01:00", "started_at": "2026-02-24T09:00:00Z",
    "completed_at": "2026-03-01T10:00:00Z",
    "results": {"overall_score": 82, "band": "advanced", "percentile": 70.0, "duration_seconds": 100,
                "dimensions": [{"key": "verification", "name": "Verification", "score": 80}],
                "report_url": "https://app.lextalent.ai/r/1", "completed_at": "2026-03-01T10:00:00Z"},
}


def test_assessment_view_equals_the_validated_build() -> None:
    snapshot = AssessmentSnapshot.model_validate(COMPLETED)
    fast = assessment_view(snapshot)
    validated = AssessmentView.model_validate(orjson.loads(fast.to_json()))
    assert fast == validated
    assert fast.to_json() == validated.to_json()
    doc = orjson.loads(fast.to_json())
    assert doc["object"] == "assessment"
    assert doc["candidate"]["email"] == "Jane.Doe@lawfirm.com"
    assert doc["updated_at"] == "2026-03-01T10:00:00Z"
    assert doc["expires_at"] == "2026-03-01T23:00:00Z"  # +01:00 normalised to UTC
    assert doc["cancelled_at"] is None


def test_webhook_payload_equals_the_validated_build() -> None:
    snapshot = AssessmentSnapshot.model_validate(COMPLETED)
    event = AssessmentCompleted(event_id="evt_ViewTest0001", assessment_id=snapshot.id, account_id=snapshot.account_id,
                                livemode=True, version=4, occurred_at=snapshot.updated_at, snapshot=snapshot)
    fast = webhook_payload(event)
    validated = WebhookPayload.model_validate(orjson.loads(fast.to_json()))
    assert fast.to_json() == validated.to_json()
    assert orjson.loads(fast.to_json())["type"] == "assessment.completed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 3, 2, 0, 0, 0, 999_999, tzinfo=UTC), "2026-03-02T00:00:00Z"),
        (datetime(2026, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=1))), "2026-03-02T00:00:00Z"),
        (datetime(2026, 3, 1, 19, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-03-02T00:00:00Z"),
    ],
)
def test_isoformat_z(value: datetime, expected: str) -> None:
    assert isoformat_z(value) == expected


def test_timestamps_are_utc_after_validation_and_naive_ones_are_refused() -> None:
    snapshot = AssessmentSnapshot.model_validate(COMPLETED)
    assert snapshot.created_at.tzinfo is UTC
    assert snapshot.expires_at == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert snapshot.expires_at.tzinfo is UTC
    with pytest.raises(ValidationError, match="timezone"):
        AssessmentSnapshot.model_validate({**COMPLETED, "created_at": "2026-02-23T10:30:00"})
