"""Connector figures on the shared dev brokers: pure costs, and the service end to end.

Run: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 REDIS_URL=redis://127.0.0.1:16379/0 \
     uv run python bench/connectors/bench_connectors.py [--events 300] [--orders 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "connectors" / "tests"))

from fake_greenhouse import FakeGreenhouse, doc_example

from hub_connectors.framework.clock import SystemClock
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.ratelimit import RateLimit, RateLimiter
from hub_connectors.framework.testing.events import event_for, snapshot
from hub_connectors.framework.testing.harness import (
    InternalApi,
    running_connectors,
    seed_account,
    settings_for_test,
)
from hub_connectors.greenhouse.connector import GreenhouseVendorSettings
from hub_connectors.lever import formats
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.ids import new_assessment_id
from hub_contracts.topics import ASSESSMENT_EVENTS
from hub_devtools.provision import create_topics


def bench_signature(n: int = 100_000) -> float:
    delivery = formats.LeverWebhook(
        triggeredAt=1431454330072,
        event="candidateStageChange",
        data={},
        signature=formats.webhook_signature("k" * 32, "t" * 40, 1431454330072),
        token="t" * 40,
    )
    began = time.perf_counter()
    for _ in range(n):
        formats.signature_valid(delivery, ["k" * 32])
    return n / (time.perf_counter() - began)


async def bench_token_bucket(redis: Redis, namespace: str, n: int = 5_000) -> float:
    limiter = RateLimiter(redis, SystemClock(), namespace)
    limit = RateLimit(rate_per_s=1e9, burst=10**9)
    began = time.perf_counter()
    for _ in range(n):
        await limiter.try_take("bench", limit, "int_bench")
    return n / (time.perf_counter() - began)


async def bench_service(bootstrap: str, redis_url: str, events: int, orders: int) -> dict[str, float]:
    from aiokafka import AIOKafkaProducer

    namespace = f"b{uuid.uuid4().hex[:8]}."
    await create_topics(bootstrap, namespace, partitions=3)
    redis = Redis.from_url(redis_url)
    settings = settings_for_test(bootstrap, redis_url, namespace, log_level="WARNING")
    account_id, api_key = await seed_account(redis, namespace, settings.api_key_secret.get_secret_value())
    figures: dict[str, float] = {}
    async with (
        FakeGreenhouse() as fake,
        running_connectors(
            settings,
            vendor_settings={
                "greenhouse": GreenhouseVendorSettings(callback_url_prefixes=[fake.take_home_test_url("")]),
            },
            enabled=["greenhouse"],
        ) as running,
        aiohttp.ClientSession() as session,
    ):
        fake.follow_up_status = False
        fake.api_key = api_key
        fake.partner_base_url = running.url("/connectors/greenhouse")
        integration = await InternalApi(session, running, account_id).create("greenhouse")

        latencies = []
        for i in range(orders):
            body = doc_example("send_test_request") | {
                "partner_test_id": "ma-due-diligence-v2",
                "url": fake.take_home_test_url(f"o{i}"),
            }
            began = time.perf_counter()
            status, _ = await fake.send_test(body)
            latencies.append(time.perf_counter() - began)
            assert status == 200
        figures["send_test p50 ms"] = statistics.median(latencies) * 1000
        figures["send_test p99 ms"] = sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000

        connector = running.connector("greenhouse")
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        await producer.start()
        try:
            records = []
            for i in range(events):
                assessment_id = new_assessment_id()
                url = fake.take_home_test_url(f"e{i}")
                await running.ctx.links.claim(
                    AssessmentLink(
                        assessment_id=assessment_id,
                        connector="greenhouse",
                        integration_id=integration["id"],
                        account_id=account_id,
                        livemode=True,
                        vendor_ref=url,
                        refs={"url": url, "sealed_patch_auth": connector._seal_patch_credential(api_key)},  # type: ignore[attr-defined]
                        created_at=utcnow(),
                    )
                )
                event = event_for(
                    snapshot(
                        assessment_id,
                        account_id,
                        source="greenhouse",
                        status=AssessmentStatus.COMPLETED,
                        version=3,
                    )
                )
                records.append((assessment_id, event))
            began = time.perf_counter()
            for assessment_id, event in records:
                await producer.send(
                    ASSESSMENT_EVENTS.full_name(namespace),
                    event.to_json(),
                    key=assessment_id.encode(),
                    headers=make_headers(
                        id=event.event_id,
                        type=event.type,
                        source="//bench",  # type: ignore[attr-defined]
                        subject=assessment_id,
                    ),
                )
            await producer.flush()
            await fake.wait_for_calls("mark_completed", events, within_s=300)
            elapsed = time.perf_counter() - began
        finally:
            await producer.stop()
        figures["events → PATCH per s"] = events / elapsed
    async for key in redis.scan_iter(match=f"{namespace}*"):
        await redis.delete(key)
    await redis.aclose()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--orders", type=int, default=100)
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:16379/0")
    print(f"lever signature checks per s: {bench_signature():,.0f}")
    redis = Redis.from_url(redis_url)
    takes = await bench_token_bucket(redis, "bench-rl.")
    print(f"token bucket takes per s (one client, sequential): {takes:,.0f}")
    await redis.delete("bench-rl.conn:rl:bench:int_bench")
    await redis.aclose()
    for name, value in (await bench_service(bootstrap, redis_url, args.events, args.orders)).items():
        print(f"{name}: {value:,.1f}")


if __name__ == "__main__":
    asyncio.run(main())
