"""Replay: the command, activity and scoring topics consumed again from offset 0 change no record
(nor any other key of the store, command outcomes included) and emit no new event.

Size: HUB_TEST_REPLAY_ASSESSMENTS (default 1,000).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from assessments_helpers import (
    Producer,
    Record,
    ServiceProcess,
    cancel,
    create_command,
    diff_stores,
    dump_store,
    events_topic,
    opened,
    read_topic,
    run_in_phases,
    scored,
    size_from_env,
    started,
    wait_ready,
    wait_until,
)
from redis.asyncio import Redis

from hub_assessments.store import AssessmentStore
from hub_contracts.topics import ASSESSMENT_COMMANDS, CANDIDATE_ACTIVITY, SCORING_RESULTS, dead_letter_topic

pytestmark = pytest.mark.kafka

N = size_from_env("HUB_TEST_REPLAY_ASSESSMENTS", 1000)
INPUTS = (ASSESSMENT_COMMANDS, CANDIDATE_ACTIVITY, SCORING_RESULTS)


async def input_partitions(bootstrap: str, namespace: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [
            TopicPartition(spec.full_name(namespace), p)
            for spec in INPUTS
            for p in cluster.partitions_for_topic(spec.full_name(namespace)) or ()
        ]
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def rewind_group(bootstrap: str, group: str, partitions: list[TopicPartition]) -> None:
    """Commit offset 0 for every input partition while the group has no member."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in partitions})
    finally:
        await consumer.stop()


async def caught_up(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return all(
        committed.get(tp) is not None and committed[tp].offset >= end for tp, end in ends.items() if end
    )


async def test_replaying_inputs_from_offset_zero_changes_nothing(
    kafka_bootstrap: str,
    topics: str,
    redis: Redis,
    producer: Producer,
    services: Callable[..., ServiceProcess],
) -> None:
    service = services("replay-a", HUB_STATIC_MEMBERSHIP="false")  # a stopped member leaves the group
    await wait_ready(redis, topics, producer, service)
    creates = [create_command() for _ in range(N)]
    ids = [c.assessment_id for c in creates]
    finals = [scored(aid) if i % 2 == 0 else cancel(aid) for i, aid in enumerate(ids)]
    await run_in_phases(
        producer,
        redis,
        topics,
        [
            ([*creates, *creates[: N // 10]], 1),  # some commands twice (a producer retry)
            ([m for aid in ids for m in (opened(aid), started(aid))], 2),
            (finals, 3),
        ],
        ids,
        timeout_s=60 + N / 50,
    )
    refused = [cancel(aid) for aid in ids[:200:2]]  # cancel after completed: invalid_state
    await producer.send_many(refused)
    group = f"{topics}assessments"
    store = AssessmentStore(redis, topics)
    ends = await input_partitions(kafka_bootstrap, topics)

    async def settled() -> bool:
        return await caught_up(kafka_bootstrap, group, ends) and await store.pending_count() == 0

    await wait_until(settled, 60, "the service to consume everything")
    before = await dump_store(redis, topics, replies=True)
    outcomes = [before.get(f"{topics}asmt:cmd:{c.command_id}") for c in refused]
    assert all(o is not None and b'"invalid_state"' in o for o in outcomes), outcomes[:3]
    events_before = await read_topic(kafka_bootstrap, events_topic(topics))
    assert len(events_before) == 3 * N + 1
    service.stop()

    await rewind_group(kafka_bootstrap, group, list(ends))
    service.start()
    await wait_until(settled, 90, "the replay to be consumed")
    service.stop()
    after = await dump_store(redis, topics, replies=True)
    assert diff_stores(before, after) == []
    events_after = await read_topic(kafka_bootstrap, events_topic(topics))

    def positions(events: list[Record]) -> list[tuple[int, int, bytes]]:
        return sorted((e.partition, e.offset, e.headers["ce_id"]) for e in events)

    assert positions(events_after) == positions(events_before)
    assert await read_topic(kafka_bootstrap, dead_letter_topic("assessments").full_name(topics)) == []
