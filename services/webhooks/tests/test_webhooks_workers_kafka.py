"""Several workers on one Redis: no attempt twice; and connections go to the checked address."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import aiohttp
import pytest
from redis.asyncio import Redis
from webhook_harness import (
    Receiver,
    ScriptedResolver,
    created_event,
    event_producer,
    running,
    snapshot,
    wait_delivery,
)

from hub_webhooks.keys import WebhookKeys
from hub_webhooks.service import limits
from hub_webhooks.settings import WebhooksSettings
from hub_webhooks.store import DeliveryStore, NewDelivery

pytestmark = pytest.mark.kafka


async def test_two_services_deliver_each_message_once(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis
) -> None:
    events = [created_event(snapshot(receiver.url("/pair"))) for _ in range(120)]
    async with (
        running(settings),
        running(settings),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await asyncio.gather(*(send(e) for e in events))
        got = await receiver.wait_for("/pair", 120, within_s=30)
        await asyncio.sleep(0.5)
    counts = Counter(r.headers["webhook-id"] for r in receiver.at("/pair"))
    assert len(got) == 120
    assert set(counts) == {e.event_id for e in events}
    assert max(counts.values()) == 1


async def test_racing_claims_never_hand_out_a_delivery_twice(
    redis_url: str, namespace: str, redis: Redis, settings: WebhooksSettings
) -> None:
    lim = limits(settings.model_copy(update={"endpoint_max_concurrency": 10_000, "endpoint_rate_per_s": 0}))
    seed = DeliveryStore(redis, namespace, lim)
    now = int(time.time() * 1000)
    for batch in range(10):
        deliveries = [
            NewDelivery(
                id=f"whd_race{batch}_{i}",
                msg_id=f"evt_race{batch}_{i}",
                event_type="x",
                account_id="acct_Race00001",
                livemode=True,
                assessment_id="",
                dest=f"d{i % 7}",
                endpoint_id="",
                url="http://127.0.0.1:1/",
                body=b"{}",
            )
            for i in range(50)
        ]
        await seed.fan_out(f"evt_batch{batch}", deliveries, now, 60)
    clients = [Redis.from_url(redis_url) for _ in range(4)]
    claimed: list[str] = []

    async def worker(client: Redis) -> None:
        store = DeliveryStore(client, namespace, lim)
        while True:
            got = await store.claim(now + 1, 7)
            if not got:
                return
            claimed.extend(c.id for c in got)

    try:
        await asyncio.gather(*(worker(c) for c in clients))
    finally:
        for c in clients:
            await c.aclose()
    assert len(claimed) == 500
    assert len(set(claimed)) == 500
    assert await redis.zcard(WebhookKeys(namespace).leases) == 500


async def test_connection_goes_to_the_checked_address(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis
) -> None:
    """`hooks.example.com` exists only in the scripted resolver: reaching the receiver proves aiohttp
    connected to the address the guard checked, not to a fresh lookup of its own."""
    resolver = ScriptedResolver({"hooks.example.com": [["127.0.0.1"]]})
    snap = snapshot(f"http://hooks.example.com:{receiver.port}/pinned")
    async with (
        running(settings, resolver=resolver),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await send(created_event(snap))
        [got] = await receiver.wait_for("/pinned", 1)
    assert got.headers["host"] == f"hooks.example.com:{receiver.port}"


async def test_rebinding_endpoint_is_refused_at_send_time(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis
) -> None:
    resolver = ScriptedResolver({"rebind.example.com": [["93.184.216.34"], ["10.0.0.7"], ["127.0.0.1"]]})
    async with (
        running(settings, resolver=resolver) as svc,
        aiohttp.ClientSession() as http,
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        url = f"http://rebind.example.com:{receiver.port}/rebind"
        async with http.post(
            f"{svc.base_url}/internal/v1/webhook-endpoints", json={"url": url}, headers=svc.auth()
        ) as response:
            assert response.status == 201  # public when registered
        snap = snapshot(None)
        await send(created_event(snap))
        row = await wait_delivery(redis, settings.namespace, snap.id, lambda r: r["status"] == "dead")
    assert "10.0.0.7" in row["last_error"]
    assert receiver.at("/rebind") == []
