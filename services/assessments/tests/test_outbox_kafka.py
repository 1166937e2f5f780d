"""The outbox against real Kafka and Redis: a publisher that died after sending but before dropping
its entry, and one that died before sending. The next publisher sends each event exactly once."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from assessments_helpers import create_command, events_topic, read_topic
from redis.asyncio import Redis

from hub_assessments.event_log import TopicLog
from hub_assessments.outbox import OutboxPublisher
from hub_assessments.service import AssessmentService
from hub_assessments.store import AssessmentStore, OutboxEntry

pytestmark = pytest.mark.kafka


class ProcessDiedError(BaseException):
    """Stands for SIGKILL: nothing after it runs (not an Exception, so nothing catches it)."""


async def test_entries_left_by_a_dead_publisher_go_out_once(
    kafka_bootstrap: str, topics: str, redis: Redis
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    sent: list[str] = []
    crash_after_send = {"on": True}

    async def publish(entry: OutboxEntry) -> None:
        await producer.send_and_wait(
            events_topic(topics),
            entry.body,
            key=entry.key.encode(),
            headers=[(k, v.encode()) for k, v in entry.headers],
        )
        sent.append(entry.event_id)
        if crash_after_send["on"]:
            raise ProcessDiedError("died between send and drop")  # what SIGKILL does at that point

    store = AssessmentStore(redis, topics)
    outbox = OutboxPublisher(
        store,
        publish,
        TopicLog(kafka_bootstrap, events_topic(topics)),
        instance_id="test",
        lease_ms=3000,
        publish_timeout_s=0.3,
    )
    service = AssessmentService(store, outbox)
    try:
        first, second = create_command(), create_command()
        with pytest.raises(ProcessDiedError):
            await service.handle(first)  # sent, entry kept (flagged attempted), lock held
        crash_after_send["on"] = False
        assert await store.pending_count() == 1
        # the lock of the dead publisher holds others off until its lease runs out
        assert await outbox.sweep(older_than_ms=service.now_ms()) == 0
        await asyncio.sleep(3.1)
        assert await outbox.sweep(older_than_ms=service.now_ms()) == 0  # found in the topic: not sent again
        assert await store.pending_count() == 0

        # a publisher that died before sending: the entry is sent by the sweeper, once
        crash_before = {"on": True}

        async def failing(entry: OutboxEntry) -> None:
            if crash_before["on"]:
                raise ConnectionError("broker unreachable")
            await publish(entry)

        outbox.publish = failing
        handled = await service.handle(second)  # the publish failure is logged, the change is stored
        assert handled.event_id is not None
        crash_before["on"] = False
        await asyncio.sleep(3.1)
        assert await outbox.sweep(older_than_ms=service.now_ms()) == 1
        assert await outbox.sweep(older_than_ms=service.now_ms()) == 0
    finally:
        await producer.stop()
    events = await read_topic(kafka_bootstrap, events_topic(topics))
    ids = [e.json()["event_id"] for e in events]
    assert len(ids) == 2
    assert len(set(ids)) == 2
    assert {e.json()["assessment_id"] for e in events} == {first.assessment_id, second.assessment_id}
