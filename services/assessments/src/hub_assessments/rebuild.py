"""Rebuild: wipe the assessments store and restore it from the assessment event topic.

1. Publish whatever still waits in the outbox (through the same duplicate check as the sweeper),
   so that the topic holds every committed change.
2. Wipe every key the service owns (records, indexes, seen-sets, outbox, expiry schedule).
3. Read the topic from the beginning to the end offsets taken at the start and write each event's
   snapshot back, the highest version per assessment winning; each event's `caused_by` goes back
   into the seen-set, so replaying the inputs afterwards still changes nothing.

Run it with the service stopped: an instance committing meanwhile would be wiped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from hub_assessments.app import build_outbox, event_producer, publisher_for, redis_client
from hub_assessments.event_log import TopicLog
from hub_assessments.settings import AssessmentsSettings
from hub_assessments.store import AssessmentStore
from hub_contracts.assessment import AssessmentSnapshot
from hub_contracts.codec import EVENT_ADAPTER
from hub_contracts.topics import ASSESSMENT_EVENTS

log = structlog.get_logger(__name__)

CHUNK = 1000
FLUSH_ROUNDS = 20


@dataclass(frozen=True)
class RebuildReport:
    flushed: int
    wiped_keys: int
    events: int
    skipped: int
    assessments: int


class OutboxNotEmptyError(RuntimeError):
    """Entries stay locked by a publisher: an instance is probably still running."""


async def flush_outbox(
    settings: AssessmentsSettings, store: AssessmentStore, producer: AIOKafkaProducer
) -> int:
    outbox = build_outbox(settings, store, publisher_for(settings, producer))
    sent = 0
    for _ in range(FLUSH_ROUNDS):
        if await store.pending_count() == 0:
            return sent
        sent += await outbox.sweep(older_than_ms=int(time.time() * 1000), limit=10_000)
        if await store.pending_count():
            await asyncio.sleep(outbox.lease_ms / 1000 / 4)
    raise OutboxNotEmptyError(
        f"{await store.pending_count()} assessments keep unpublished events: stop the service"
    )


async def rebuild(
    settings: AssessmentsSettings,
    on_progress: Callable[[int, int], None] | None = None,
) -> RebuildReport:
    redis = redis_client(settings)
    producer = event_producer(settings)
    await producer.start()
    try:
        store = AssessmentStore(redis, settings.namespace)
        flushed = await flush_outbox(settings, store, producer)
        wiped = await store.wipe()
        log.info("rebuild.wiped", keys=wiped, flushed=flushed)
        topic_log = TopicLog(
            settings.kafka_bootstrap_servers, ASSESSMENT_EVENTS.full_name(settings.namespace)
        )
        chunk: list[tuple[AssessmentSnapshot, str | None]] = []
        events = skipped = 0
        ids: set[str] = set()
        async for record in topic_log.history(on_progress):
            try:
                event = EVENT_ADAPTER.validate_json(record.value or b"")
            except ValidationError:
                skipped += 1
                log.warning("rebuild.undecodable_event", partition=record.partition, offset=record.offset)
                continue
            events += 1
            ids.add(event.assessment_id)
            chunk.append((event.snapshot, event.caused_by))
            if len(chunk) >= CHUNK:
                await store.restore(chunk)
                chunk = []
        if chunk:
            await store.restore(chunk)
        report = RebuildReport(flushed, wiped, events, skipped, len(ids))
        log.info("rebuild.done", **report.__dict__)
        return report
    finally:
        await producer.stop()
        await redis.aclose()
