"""Reading assessment state through the read-model contract (written by the assessments service)."""

from __future__ import annotations

from redis.asyncio import Redis

from hub_contracts.assessment import AssessmentSnapshot
from hub_contracts.read_model import AssessmentKeys


class AssessmentReader:
    def __init__(self, redis: Redis, namespace: str = "") -> None:
        self.redis = redis
        self.keys = AssessmentKeys(namespace)

    async def get(self, assessment_id: str) -> AssessmentSnapshot | None:
        raw = await self.redis.hget(self.keys.record(assessment_id), "snapshot")
        return AssessmentSnapshot.model_validate_json(raw) if raw else None
