"""End to end against real Kafka and Redis: an event with a callback URL reaches a real receiver,
signed with the account's secret, verifiable with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook
from webhook_harness import ACCOUNT, Receiver, created_event, event_producer, running, snapshot

from hub_contracts.topics import ASSESSMENT_EVENTS, dead_letter_topic
from hub_contracts.views import webhook_payload
from hub_webhooks.keys import WebhookKeys
from hub_webhooks.secrets import account_signing_secret
from hub_webhooks.settings import WebhooksSettings

pytestmark = pytest.mark.kafka


async def test_callback_url_receives_signed_event(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis
) -> None:
    snap = snapshot(receiver.url("/cb"))
    event = created_event(snap)
    no_callback = created_event(snapshot(None))
    async with (
        running(settings),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await send(no_callback)
        await send(event)
        await send(b"not json at all")  # poison: dead-lettered, does not block
        [got] = await receiver.wait_for("/cb", 1)
        secret = await account_signing_secret(redis, settings.namespace, ACCOUNT)
        await asyncio.sleep(0.3)
    assert got.body == webhook_payload(event).to_json()
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == event.event_id
    verified = Webhook(secret).verify(got.body, got.headers)
    assert verified["type"] == "assessment.created"
    assert verified["data"]["id"] == snap.id
    assert len(receiver.received) == 1  # the event without a callback URL went nowhere
    keys = WebhookKeys(settings.namespace)
    ids = await redis.zrange(keys.assessment_index(snap.id), 0, -1)
    assert len(ids) == 1
    record = await redis.hgetall(keys.delivery(ids[0].decode()))
    assert record[b"status"] == b"succeeded"
    [attempt] = [orjson.loads(a) for a in await redis.lrange(keys.attempts(ids[0].decode()), 0, -1)]
    assert attempt["status_code"] == 200
    assert attempt["attempt"] == 1


async def test_account_secret_is_created_once(redis: Redis, namespace: str) -> None:
    results = await asyncio.gather(*(account_signing_secret(redis, namespace, ACCOUNT) for _ in range(20)))
    assert len(set(results)) == 1
    assert results[0].startswith("whsec_")
    assert await account_signing_secret(redis, namespace, ACCOUNT) == results[0]
    assert await account_signing_secret(redis, namespace, "acct_OtherAccount1") != results[0]


async def test_poison_event_goes_to_dead_letter_topic(settings: WebhooksSettings, receiver: Receiver) -> None:
    from aiokafka import AIOKafkaConsumer

    snap = snapshot(receiver.url("/after-poison"))
    async with (
        running(settings),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await send(b'{"type": "ai.lextalent.assessment.created.v1"}')
        await send(created_event(snap))
        await receiver.wait_for("/after-poison", 1)
    consumer = AIOKafkaConsumer(
        dead_letter_topic("webhooks").full_name(settings.namespace),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    records = [r for rs in batch.values() for r in rs]
    assert len(records) == 1
    assert dict(records[0].headers)["x-dlq-reason"].startswith(b"invalid message")


async def committed_vs_end(settings: WebhooksSettings) -> tuple[dict[int, int], dict[int, int]]:
    """The consumer group's committed offset and the topic's end offset, per partition."""
    topic = ASSESSMENT_EVENTS.full_name(settings.namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await reader.start()
    try:
        [described] = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert partitions
        ends = await reader.end_offsets(partitions)
        group = await admin.list_consumer_group_offsets(f"{settings.namespace}{settings.group_id}")
        committed = {tp.partition: group[tp].offset if tp in group else 0 for tp in partitions}
        return committed, {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await reader.stop()
        await admin.close()


async def test_offsets_are_committed_in_the_background_and_at_stop(
    settings: WebhooksSettings, receiver: Receiver
) -> None:
    """The next poll does not wait for a commit, but every stored batch is committed: while running,
    and what is still in flight when the service stops (a restart then consumes nothing again)."""
    events = [created_event(snapshot(receiver.url("/offsets"))) for _ in range(40)]
    async with (
        running(settings),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        for n, event in enumerate(events[:20]):
            await send(event, key=f"asmt_offsets{n}")
        await receiver.wait_for("/offsets", 20)
        deadline = asyncio.get_running_loop().time() + 10
        while True:  # committed while running, without a stop
            committed, ends = await committed_vs_end(settings)
            if committed == ends or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        assert committed == ends
        for n, event in enumerate(events[20:]):
            await send(event, key=f"asmt_offsets{n}")
        await receiver.wait_for("/offsets", 40)
    committed, ends = await committed_vs_end(settings)
    assert committed == ends
    assert sum(ends.values()) == 40
