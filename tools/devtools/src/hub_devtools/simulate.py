"""Playing the internal producers: the challenge app (activity) and the scoring engine (results)."""

from __future__ import annotations

from typing import Literal

from aiokafka import AIOKafkaProducer

from hub_contracts.activity import CandidateActivity
from hub_contracts.base import ContractModel, new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.results import AgenticReadinessResults, DimensionScore, Integrity, band_for
from hub_contracts.runtime import ServiceSettings
from hub_contracts.scoring import ScoringResultReported
from hub_contracts.topics import CANDIDATE_ACTIVITY, SCORING_RESULTS


def sample_results(score: int, report_token: str = "demo") -> AgenticReadinessResults:  # noqa: S107
    dims = (("delegation", "Delegating work to agents", 3), ("verification", "Verification of agent output", -4),
            ("risk_judgement", "Risk and privilege judgement", 2), ("prompt_craft", "Instructing agents precisely", -1))
    return AgenticReadinessResults(
        overall_score=score, band=band_for(score),
        dimensions=tuple(DimensionScore(key=k, name=n, score=min(100, max(0, score + d))) for k, n, d in dims),
        percentile=float(min(99, score)), integrity=Integrity(),
        report_url=f"https://app.lextalent.ai/reports/{report_token}", duration_seconds=3120,
        completed_at=utcnow().replace(microsecond=0),
    )


async def _produce(settings: ServiceSettings, topic: str, key: str, message: ContractModel, ce_id: str,
                   ce_type: str, source: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.producer_options())
    await producer.start()
    try:
        headers = make_headers(id=ce_id, type=ce_type, source=source, subject=key)
        await producer.send_and_wait(topic, message.to_json(), key=key.encode(), headers=headers)
    finally:
        await producer.stop()


async def publish_scoring_result(settings: ServiceSettings, assessment_id: str, score: int) -> ScoringResultReported:
    result = ScoringResultReported(result_id=new_id("res"), assessment_id=assessment_id, reported_at=utcnow(),
                                   results=sample_results(score, assessment_id.removeprefix("asmt_")))
    await _produce(settings, SCORING_RESULTS.full_name(settings.namespace), assessment_id, result,
                   result.result_id, result.type, "//lextalent.ai/scoring-engine")
    return result


async def publish_activity(
    settings: ServiceSettings, assessment_id: str, activity: Literal["opened", "started"],
) -> CandidateActivity:
    message = CandidateActivity(activity_id=new_id("act"), assessment_id=assessment_id,
                                activity=activity,
                                occurred_at=utcnow())
    await _produce(settings, CANDIDATE_ACTIVITY.full_name(settings.namespace), assessment_id, message,
                   message.activity_id, message.type, "//lextalent.ai/challenge-app")
    return message
