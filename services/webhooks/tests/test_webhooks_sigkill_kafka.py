"""A webhooks process killed with SIGKILL in the middle of its deliveries loses none of them.

The service runs as a real process (`hub-webhooks`), not a task in the test's loop: SIGKILL gives it no
chance to clean up, exactly like an OOM kill or a lost node. Its leases stay in Redis; a second process
reaps them when they expire and delivers every message again with the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from pathlib import Path

import pytest
from aiohttp import web
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook
from webhook_harness import (
    ACCOUNT,
    Receiver,
    attempts_of,
    created_event,
    event_producer,
    ok,
    snapshot,
    wait_delivery,
)

from hub_devtools.brokers import free_port
from hub_devtools.runner import ServiceGroup, wait_http_ok
from hub_webhooks.secrets import account_signing_secret
from hub_webhooks.settings import WebhooksSettings

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

MESSAGES = 20
IN_FLIGHT = 16  # the destination's concurrency cap (endpoint_max_concurrency): the other 4 wait their turn
TOTAL_TIMEOUT_S = 8  # an attempt in a live worker ends within this; the kill comes well before it
LEASE_S = 10  # longer than an attempt can last, as in production (45 s vs 15 s)


def _env(settings: WebhooksSettings) -> dict[str, str]:
    return {
        "HUB_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HUB_REDIS_URL": settings.redis_url.get_secret_value(),
        "HUB_NAMESPACE": settings.namespace,
        "HUB_ALLOWED_HOSTS": '["127.0.0.1"]',
        "HUB_LEASE_S": str(LEASE_S),
        "HUB_TOTAL_TIMEOUT_S": str(TOTAL_TIMEOUT_S),
        "HUB_REAP_INTERVAL_S": "0.2",
        "HUB_POLL_INTERVAL_S": "0.02",
        "HUB_LOG_LEVEL": "WARNING",
    }


async def _start(group: ServiceGroup, label_port: int) -> None:
    group.start("webhooks", {"HUB_HTTP_PORT": str(label_port)})
    await asyncio.to_thread(wait_http_ok, f"http://127.0.0.1:{label_port}/internal/health", 60, group)


async def test_sigkill_mid_delivery_loses_nothing(settings: WebhooksSettings, receiver: Receiver, redis: Redis) -> None:
    path = "/sigkill"
    hanging = True

    async def hang_until_the_kill(request: web.Request) -> web.StreamResponse:
        if hanging:
            await asyncio.sleep(120)
        return await ok(request)

    receiver.default[path] = hang_until_the_kill
    snaps = [snapshot(receiver.url(path)) for _ in range(MESSAGES)]
    events = {snap.id: created_event(snap) for snap in snaps}
    group = ServiceGroup(_env(settings), Path(tempfile.mkdtemp(prefix="webhooks-sigkill-")))
    try:
        await _start(group, free_port())
        async with event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send:
            await asyncio.gather(*(send(event, key=event.assessment_id) for event in events.values()))
        await receiver.wait_for(path, IN_FLIGHT, within_s=30)
        await asyncio.sleep(0.5)
        assert len(receiver.at(path)) == IN_FLIGHT  # the cap holds the rest back

        victim = next(iter(group.processes.values()))
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        group.processes.clear()
        hanging = False
        first_requests = {r.headers["webhook-id"] for r in receiver.at(path)}
        leased = set()
        for snap in snaps:  # the attempts in flight keep the dead worker's lease; the rest were never sent
            row = await wait_delivery(redis, settings.namespace, snap.id, lambda r: True)
            assert row["status"] == "pending", {k: v for k, v in row.items() if k != "body"}
            if row["lease"]:
                leased.add(events[snap.id].event_id)
        assert leased == first_requests

        await _start(group, free_port())  # a new worker; the receiver now answers at once
        rows = {snap.id: await wait_delivery(redis, settings.namespace, snap.id,
                                             lambda r: r["status"] == "succeeded", within_s=LEASE_S + 20)
                for snap in snaps}
    finally:
        group.stop_all()

    secret = await account_signing_secret(redis, settings.namespace, ACCOUNT)
    verifier = Webhook(secret)
    by_id: dict[str, list[bytes]] = {}
    for request in receiver.at(path):
        verifier.verify(request.body, request.headers)  # signed, on the first attempt and on the retry
        by_id.setdefault(request.headers["webhook-id"], []).append(request.body)
    assert sorted(by_id) == sorted(event.event_id for event in events.values())
    for msg_id, bodies in by_id.items():  # retried with the same id and body; the held-back ones sent once
        assert len(bodies) == (2 if msg_id in first_requests else 1) and len(set(bodies)) == 1
    for assessment_id, row in rows.items():
        attempts = await attempts_of(redis, settings.namespace, row["id"])
        if events[assessment_id].event_id in first_requests:
            assert [a["attempt"] for a in attempts] == [1, 2], (assessment_id, attempts)
            assert attempts[0]["error"].startswith("worker_lost")
        else:
            assert [a["attempt"] for a in attempts] == [1], (assessment_id, attempts)
        assert attempts[-1]["status_code"] == 200
