"""End to end against real Kafka and Redis: an event with a callback URL reaches a real receiver,
signed with the account's secret, verifiable with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook
from webhook_harness import ACCOUNT, Receiver, created_event, event_producer, running, snapshot

from hub_contracts.topics import dead_letter_topic
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
