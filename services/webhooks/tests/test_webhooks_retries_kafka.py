"""Retries driven by a fault-injecting receiver and an injected clock, against real Kafka and Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

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
    redirect_to,
    reset_connection,
    running,
    sleep_then_ok,
    slow_body,
    snapshot,
    status,
    wait_delivery,
)

from hub_webhooks.clock import ManualClock
from hub_webhooks.endpoints import EndpointStore
from hub_webhooks.secrets import account_signing_secret
from hub_webhooks.settings import WebhooksSettings

pytestmark = pytest.mark.kafka


def _sign_matches(secret: str, got_headers: dict[str, str], body: bytes) -> bool:
    when = datetime.fromtimestamp(int(got_headers["webhook-timestamp"]), UTC)
    return (
        Webhook(secret).sign(got_headers["webhook-id"], when, body.decode())
        == got_headers["webhook-signature"]
    )


async def test_faults_follow_the_schedule_until_success(
    settings: WebhooksSettings, receiver: Receiver, clock: ManualClock, redis: Redis
) -> None:
    fast = settings.model_copy(update={"total_timeout_s": 0.6, "breaker_failure_threshold": 100})

    async def unavailable_for_2h(_: web.Request) -> web.StreamResponse:
        now = datetime.fromtimestamp(clock.now_ms() / 1000, UTC)  # the service's "now"
        return web.Response(
            status=503, headers={"Retry-After": format_datetime(now + timedelta(hours=2), usegmt=True)}
        )

    receiver.then(
        "/flaky",
        status(500),  # 1 → 5 s
        status(429, {"Retry-After": "4000"}),  # 2 → Retry-After lengthens 5 min to 4000 s
        unavailable_for_2h,  # 3 → 30 min, HTTP-date of 2 h lengthens it
        redirect_to(receiver.url("/elsewhere")),  # 4 → 2 h; never followed
        reset_connection,  # 5 → 5 h
        sleep_then_ok(3.0),  # 6 → timeout → 10 h
        slow_body(5.0),  # 7: 200 with a slow body: success
    )
    snap = snapshot(receiver.url("/flaky"))
    expected_base = [5, 300, 1800, 7200, 18000, 36000]
    async with running(fast, clock), event_producer(fast.kafka_bootstrap_servers, fast.namespace) as send:
        await send(created_event(snap))
        for n, base in enumerate(expected_base, start=1):
            row = await wait_delivery(
                redis,
                fast.namespace,
                snap.id,
                lambda r, n=n: r["attempts"] == str(n) and r["lease"] == "" and r["status"] == "pending",
            )
            waited_s = (int(row["next_ms"]) - int(row["updated_ms"])) / 1000
            if n == 2:
                assert waited_s == pytest.approx(4000, abs=1)
            elif n == 3:
                assert 7000 <= waited_s <= 7201
            else:
                assert base <= waited_s <= base * 1.1 + 0.01, (n, waited_s)
            clock.advance(waited_s + 1)
        done = await wait_delivery(redis, fast.namespace, snap.id, lambda r: r["status"] == "succeeded")
    assert done["attempts"] == "7"
    got = receiver.at("/flaky")
    assert len(got) == 7
    assert receiver.at("/elsewhere") == []
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert len({r.headers["webhook-timestamp"] for r in got}) == 7
    secret = await account_signing_secret(redis, fast.namespace, ACCOUNT)
    assert all(_sign_matches(secret, r.headers, r.body) for r in got)
    attempts = await attempts_of(redis, fast.namespace, done["id"])
    assert [a["status_code"] for a in attempts] == [500, 429, 503, 307, None, None, 200]
    assert "reset" in attempts[4]["error"] or "connect" in attempts[4]["error"]
    assert attempts[5]["error"] == "timeout"
    assert all(a["latency_ms"] is not None for a in attempts)


async def test_last_attempt_dead_then_redeliverable(
    settings: WebhooksSettings, receiver: Receiver, clock: ManualClock, redis: Redis
) -> None:
    short = settings.model_copy(update={"retry_schedule_s": [0, 5, 60]})
    receiver.default["/dead"] = status(500)
    snap = snapshot(receiver.url("/dead"))
    async with (
        running(short, clock) as svc,
        event_producer(short.kafka_bootstrap_servers, short.namespace) as send,
    ):
        await send(created_event(snap))
        for n in (1, 2):
            await wait_delivery(
                redis, short.namespace, snap.id, lambda r, n=n: r["attempts"] == str(n) and r["lease"] == ""
            )
            clock.advance(70)
        row = await wait_delivery(redis, short.namespace, snap.id, lambda r: r["status"] == "dead")
        assert row["attempts"] == "3"
        clock.advance(100_000)
        await asyncio.sleep(0.3)
        assert len(receiver.at("/dead")) == 3  # dead means no more scheduled attempts
        receiver.default["/dead"] = status(200)
        assert await svc.service.store.redeliver(row["id"], clock.now_ms()) == "requeued"
        svc.service.dispatcher.wake()
        row = await wait_delivery(redis, short.namespace, snap.id, lambda r: r["status"] == "succeeded")
    assert len(receiver.at("/dead")) == 4


async def test_410_disables_the_endpoint(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis
) -> None:
    receiver.default["/gone"] = status(410)
    endpoints = EndpointStore(redis, settings.namespace)
    record = await endpoints.create(
        account_id=ACCOUNT,
        livemode=True,
        url=receiver.url("/gone"),
        description=None,
        event_types=[],
        rate_limit_per_s=None,
        max_concurrency=None,
        at_ms=0,
    )
    snap = snapshot(None)
    async with (
        running(settings),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await send(created_event(snap))
        row = await wait_delivery(redis, settings.namespace, snap.id, lambda r: r["status"] == "dead")
        later = snapshot(None)
        await send(created_event(later))
        await asyncio.sleep(0.5)
    assert row["last_code"] == "410"
    disabled = await endpoints.get(record.id)
    assert disabled is not None
    assert disabled.disabled
    assert "410" in (disabled.disabled_reason or "")
    assert len(receiver.at("/gone")) == 1


async def test_restart_mid_schedule_loses_nothing(
    settings: WebhooksSettings, receiver: Receiver, clock: ManualClock, redis: Redis
) -> None:
    receiver.then("/restart", status(500), status(502))
    snap = snapshot(receiver.url("/restart"))
    async with (
        running(settings, clock),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await send(created_event(snap))
        await wait_delivery(
            redis, settings.namespace, snap.id, lambda r: r["attempts"] == "1" and r["lease"] == ""
        )
    clock.advance(10)  # the retry fell due while no worker ran
    async with running(settings, clock):
        row = await wait_delivery(
            redis, settings.namespace, snap.id, lambda r: r["attempts"] == "2" and r["lease"] == ""
        )
    clock.advance(400)
    async with running(settings, clock):
        row = await wait_delivery(redis, settings.namespace, snap.id, lambda r: r["status"] == "succeeded")
    assert row["attempts"] == "3"
    assert len(receiver.at("/restart")) == 3


async def test_worker_killed_mid_delivery_is_retried(
    settings: WebhooksSettings, receiver: Receiver, clock: ManualClock, redis: Redis
) -> None:
    leased = settings.model_copy(update={"lease_s": 2.0, "total_timeout_s": 30.0})
    receiver.then("/killed", sleep_then_ok(30))
    snap = snapshot(receiver.url("/killed"))
    async with (
        running(leased, clock),
        event_producer(leased.kafka_bootstrap_servers, leased.namespace) as send,
    ):
        await send(created_event(snap))
        await receiver.wait_for("/killed", 1)
    # the first worker is gone with the attempt in flight; its lease is still in Redis
    assert (await wait_delivery(redis, leased.namespace, snap.id, lambda r: True))["lease"] != ""
    async with running(leased, clock):
        clock.advance(3)
        row = await wait_delivery(redis, leased.namespace, snap.id, lambda r: r["status"] == "succeeded")
    attempts = await attempts_of(redis, leased.namespace, row["id"])
    assert attempts[0]["error"].startswith("worker_lost")
    assert attempts[-1]["status_code"] == 200
    assert len(receiver.at("/killed")) == 2


async def test_breaker_opens_probes_and_closes(
    settings: WebhooksSettings, receiver: Receiver, clock: ManualClock, redis: Redis
) -> None:
    breaker = settings.model_copy(
        update={"retry_schedule_s": [0], "breaker_failure_threshold": 3, "breaker_cooldown_s": 30.0}
    )
    receiver.default["/brk"] = status(500)
    url = receiver.url("/brk")
    async with (
        running(breaker, clock),
        event_producer(breaker.kafka_bootstrap_servers, breaker.namespace) as send,
    ):
        first = [snapshot(url) for _ in range(3)]
        for snap in first:
            await send(created_event(snap))
        await receiver.wait_for("/brk", 3)
        for snap in first:
            await wait_delivery(redis, breaker.namespace, snap.id, lambda r: r["status"] == "dead")
        held = [snapshot(url) for _ in range(3)]
        for snap in held:
            await send(created_event(snap))
        await wait_delivery(redis, breaker.namespace, held[-1].id, lambda r: r["status"] == "pending")
        await asyncio.sleep(0.5)
        assert len(receiver.at("/brk")) == 3  # open: nothing is sent
        receiver.default["/brk"] = status(200)
        clock.advance(31)
        for snap in held:
            await wait_delivery(redis, breaker.namespace, snap.id, lambda r: r["status"] == "succeeded")
    assert len(receiver.at("/brk")) == 6


async def test_concurrency_cap_and_rate_limit_per_destination(
    settings: WebhooksSettings, receiver: Receiver
) -> None:
    capped = settings.model_copy(
        update={"endpoint_max_concurrency": 2, "endpoint_rate_per_s": 1000.0, "defer_ms": 20}
    )
    receiver.default["/cap"] = sleep_then_ok(0.2)
    async with running(capped), event_producer(capped.kafka_bootstrap_servers, capped.namespace) as send:
        for _ in range(8):
            await send(created_event(snapshot(receiver.url("/cap"))))
        await receiver.wait_for("/cap", 8)
    assert receiver.max_in_flight == 2


async def test_rate_limit_per_destination(settings: WebhooksSettings, receiver: Receiver) -> None:
    limited = settings.model_copy(update={"endpoint_rate_per_s": 5.0, "endpoint_burst": 2.0, "defer_ms": 20})
    async with running(limited), event_producer(limited.kafka_bootstrap_servers, limited.namespace) as send:
        for _ in range(7):
            await send(created_event(snapshot(receiver.url("/rate"))))
        got = await receiver.wait_for("/rate", 7)
    span = got[-1].at - got[0].at
    assert span >= 0.8  # 2 at once, then 5 more at 5/s: about a second, never all at once
