"""A missing id and another account's id cost the gateway the same work (no timing oracle): neither is
fully validated, both are one Redis round trip and one parse of a record-sized document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.base import utcnow
from hub_contracts.ids import new_assessment_id
from hub_contracts.read_model import AssessmentKeys
from hub_gateway.reads import AssessmentReader

pytestmark = pytest.mark.kafka  # real Redis


def stored_snapshot(account_id: str) -> AssessmentSnapshot:
    now = utcnow()
    aid = new_assessment_id()
    return AssessmentSnapshot(
        id=aid, account_id=account_id, livemode=True, status=AssessmentStatus.PENDING, version=1,
        candidate=Candidate(email="jane@lawfirm.com", name="Jane Doe"), scenario_id="ma-due-diligence-v2",
        callback_url=None, candidate_url=f"https://app.lextalent.ai/challenge/{aid[5:]}",
        created_at=now, updated_at=now, expires_at=now + timedelta(days=7),
    )


async def test_foreign_and_missing_ids_do_the_same_work(redis: Redis, namespace: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    owner = stored_snapshot("acct_OwnerAccount01")
    await redis.hset(AssessmentKeys(namespace).record(owner.id), mapping={"version": 1,
                                                                          "snapshot": owner.model_dump_json()})
    reader = AssessmentReader(redis, namespace, pending_ttl_s=60)
    validated: list[Any] = []
    real = AssessmentSnapshot.model_validate_json

    def counting(data: Any, *args: Any, **kwargs: Any) -> AssessmentSnapshot:
        validated.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(AssessmentSnapshot, "model_validate_json", counting)
    assert await reader.get("acct_SomeoneElse01", True, owner.id) is None  # another account's
    assert await reader.get("acct_OwnerAccount01", False, owner.id) is None  # the owner's other mode
    assert await reader.get("acct_OwnerAccount01", True, new_assessment_id()) is None  # missing
    assert validated == []
    assert await reader.get("acct_OwnerAccount01", True, owner.id) == owner
    assert len(validated) == 1
