"""One endpoint sleeping 10 s per request does not delay a healthy one (real Kafka and Redis).

Every event goes to two endpoints of one account. In the baseline run both answer at once; in the
second run one of them sleeps 10 s per request. The healthy endpoint's p99 latency (event produced
to request received) must stay within 20 % of the baseline's.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from redis.asyncio import Redis
from webhook_harness import Receiver, created_event, event_producer, running, sleep_then_ok, snapshot

from hub_webhooks.endpoints import EndpointStore
from hub_webhooks.settings import WebhooksSettings

pytestmark = pytest.mark.kafka

EVENTS = 100
INTERVAL_S = 0.02


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def healthy_latencies(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis, account_id: str, other_path: str
) -> list[float]:
    endpoints = EndpointStore(redis, settings.namespace)
    for path in ("/healthy-" + account_id, other_path):
        await endpoints.create(
            account_id=account_id,
            livemode=True,
            url=receiver.url(path),
            description=None,
            event_types=[],
            rate_limit_per_s=None,
            max_concurrency=None,
            at_ms=0,
        )
    healthy = "/healthy-" + account_id
    sent: dict[str, float] = {}
    async with (
        running(settings),
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        await send(created_event(snapshot(None, account_id=account_id)))  # warm-up
        await receiver.wait_for(healthy, 1)
        for _ in range(EVENTS):
            event = created_event(snapshot(None, account_id=account_id))
            sent[event.event_id] = time.monotonic()
            await send(event)
            await asyncio.sleep(INTERVAL_S)
        got = await receiver.wait_for(healthy, EVENTS + 1, within_s=30)
    return [(r.at - sent[r.headers["webhook-id"]]) * 1000 for r in got if r.headers["webhook-id"] in sent]


# A latency comparison on a shared 2-core machine: a neighbour's burst can spoil one run, so the
# comparison gets up to two more tries; a real regression fails all three.
@pytest.mark.flaky(reruns=2)
async def test_slow_endpoint_does_not_delay_healthy_one(
    settings: WebhooksSettings, receiver: Receiver, redis: Redis
) -> None:
    """Runs alternate (fast, slow, fast, slow) and the best p99 of each kind is compared, so that a
    burst of load from elsewhere on the shared machine does not decide the outcome."""
    receiver.default["/slow"] = sleep_then_ok(10.0)
    runs: dict[str, list[list[float]]] = {"fast": [], "slow": []}
    for round_ in range(2):
        for kind in ("fast", "slow"):
            account = f"acct_Isolation{kind}{round_}"
            runs[kind].append(await healthy_latencies(settings, receiver, redis, account, f"/{kind}"))
    base_p99 = min(p99(r) for r in runs["fast"])
    slow_p99 = min(p99(r) for r in runs["slow"])
    print(
        f"healthy endpoint p99 {base_p99:.1f} ms beside a fast one, {slow_p99:.1f} ms beside a 10 s one "
        f"(p50 {statistics.median(runs['fast'][0]):.1f} / {statistics.median(runs['slow'][0]):.1f} ms); "
        f"the slow one got {len(receiver.at('/slow'))} requests"
    )
    assert all(len(r) == EVENTS for rs in runs.values() for r in rs)
    assert len(receiver.at("/slow")) <= 2 * (settings.endpoint_max_concurrency + 1)
    # within 20 %, plus 3 ms for the scheduling noise of a shared 2-core machine
    assert slow_p99 <= base_p99 * 1.2 + 3.0
