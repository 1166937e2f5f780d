"""The assessments service against real Kafka and Redis: commands in, state stored, events out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from assessments_helpers import ACCOUNT, create_command, results
from redis.asyncio import Redis

from hub_assessments.app import create_app
from hub_assessments.settings import AssessmentsSettings
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CancelAssessment
from hub_contracts.read_model import AssessmentKeys
from hub_contracts.scoring import ScoringResultReported
from hub_contracts.topics import (
    ASSESSMENT_COMMANDS,
    ASSESSMENT_EVENTS,
    SCORING_RESULTS,
    dead_letter_topic,
)

pytestmark = pytest.mark.kafka


@contextlib.asynccontextmanager
async def running_service(settings: AssessmentsSettings) -> AsyncIterator[None]:
    app = create_app(settings)
    task = asyncio.create_task(app.run())
    await asyncio.sleep(0)
    try:
        yield
    finally:
        app.exit()
        await asyncio.wait_for(task, 30)


async def produce(bootstrap: str, topic: str, key: str, body: bytes, ce_type: str, ce_id: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        headers = make_headers(id=ce_id, type=ce_type, source="//tests", subject=key)
        await producer.send_and_wait(topic, body, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


async def read_events(
    bootstrap: str, topic: str, want: int, timeout_s: float = 30
) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    out: list[dict[str, object]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(out) < want and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    out.append({"raw": r.value, "headers": dict(r.headers), "key": r.key})
    finally:
        await consumer.stop()
    return out


async def wait_for_status(
    redis: Redis, keys: AssessmentKeys, aid: str, status: str, timeout_s: float = 30
) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        raw = await redis.hget(keys.record(aid), "snapshot")
        if raw and orjson.loads(raw)["status"] == status:
            return orjson.loads(raw)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{aid} never reached {status}")


async def test_create_complete_and_refuse(
    kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis
) -> None:
    settings = AssessmentsSettings(
        kafka_bootstrap_servers=kafka_bootstrap, redis_url=redis_url, namespace=topics
    )
    keys = AssessmentKeys(topics)
    cmd = create_command()
    async with running_service(settings):
        await produce(
            kafka_bootstrap,
            ASSESSMENT_COMMANDS.full_name(topics),
            cmd.assessment_id,
            cmd.to_json(),
            cmd.type,
            cmd.command_id,
        )
        await wait_for_status(redis, keys, cmd.assessment_id, "pending")
        # the same command again (a producer retry or a replay) changes nothing
        await produce(
            kafka_bootstrap,
            ASSESSMENT_COMMANDS.full_name(topics),
            cmd.assessment_id,
            cmd.to_json(),
            cmd.type,
            cmd.command_id,
        )
        result = ScoringResultReported(
            result_id=new_id("res"), assessment_id=cmd.assessment_id, reported_at=utcnow(), results=results()
        )
        await produce(
            kafka_bootstrap,
            SCORING_RESULTS.full_name(topics),
            cmd.assessment_id,
            result.to_json(),
            result.type,
            result.result_id,
        )
        done = await wait_for_status(redis, keys, cmd.assessment_id, "completed")
        assert done["results"]["overall_score"] == 82
        assert done["version"] == 2
        cancel = CancelAssessment(
            command_id=new_id("cmd"),
            assessment_id=cmd.assessment_id,
            account_id=ACCOUNT,
            livemode=True,
            issued_at=utcnow(),
        )
        await produce(
            kafka_bootstrap,
            ASSESSMENT_COMMANDS.full_name(topics),
            cmd.assessment_id,
            cancel.to_json(),
            cancel.type,
            cancel.command_id,
        )
        for _ in range(100):
            outcome = await redis.get(keys.command_outcome(cancel.command_id))
            if outcome:
                break
            await asyncio.sleep(0.1)
        assert outcome is not None
        assert orjson.loads(outcome)["code"] == "invalid_state"
        # poison: not JSON at all goes to the dead-letter topic and does not block the partition
        await produce(
            kafka_bootstrap,
            SCORING_RESULTS.full_name(topics),
            cmd.assessment_id,
            b"not json",
            "ai.lextalent.scoring.result.v1",
            "poison-1",
        )
        dead = await read_events(kafka_bootstrap, dead_letter_topic("assessments").full_name(topics), 1)
    events = await read_events(kafka_bootstrap, ASSESSMENT_EVENTS.full_name(topics), 2)
    bodies = [orjson.loads(e["raw"]) for e in events]
    assert [b["type"] for b in bodies] == [
        "ai.lextalent.assessment.created.v1",
        "ai.lextalent.assessment.completed.v1",
    ]
    assert [b["version"] for b in bodies] == [1, 2]
    headers = events[1]["headers"]
    assert headers["ce_type"] == b"ai.lextalent.assessment.completed.v1"
    assert headers["ce_subject"] == cmd.assessment_id.encode()
    assert headers["traceparent"].startswith(b"00-")
    assert len(dead) == 1
    assert dead[0]["raw"] == b"not json"
    assert dead[0]["headers"]["x-dlq-reason"].startswith(b"invalid message")
