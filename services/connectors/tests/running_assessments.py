"""The real assessments service, in-process, for the connectors' end-to-end tests (tests only)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaProducer

from hub_contracts.activity import CandidateActivity
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.results import AgenticReadinessResults
from hub_contracts.scoring import ScoringResultReported
from hub_contracts.topics import CANDIDATE_ACTIVITY, SCORING_RESULTS
from hub_devtools.runner import assessments_process


@contextlib.asynccontextmanager
async def running_assessments(kafka_bootstrap: str, redis_url: str, namespace: str) -> AsyncIterator[None]:
    async with assessments_process(kafka_bootstrap, redis_url, namespace):
        yield


class InternalProducers:
    """What the challenge app and the scoring engine publish, to drive an assessment to its end."""

    def __init__(self, kafka_bootstrap: str, namespace: str) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
        )
        self.namespace = namespace

    async def __aenter__(self) -> InternalProducers:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def started(self, assessment_id: str) -> None:
        activity = CandidateActivity(
            activity_id=new_id("act"), assessment_id=assessment_id, activity="started", occurred_at=utcnow()
        )
        await self.producer.send_and_wait(
            CANDIDATE_ACTIVITY.full_name(self.namespace),
            activity.to_json(),
            key=assessment_id.encode(),
            headers=make_headers(
                id=activity.activity_id, type=activity.type, source="//challenge-app", subject=assessment_id
            ),
        )

    async def scored(self, assessment_id: str, results: AgenticReadinessResults) -> None:
        result = ScoringResultReported(
            result_id=new_id("res"), assessment_id=assessment_id, reported_at=utcnow(), results=results
        )
        await self.producer.send_and_wait(
            SCORING_RESULTS.full_name(self.namespace),
            result.to_json(),
            key=assessment_id.encode(),
            headers=make_headers(
                id=result.result_id, type=result.type, source="//scoring-engine", subject=assessment_id
            ),
        )
