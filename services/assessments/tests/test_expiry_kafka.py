"""Expiry with two service processes: N assessments expiring in the same second give N expiry
events, one each, every one within 5 s of `expires_at`.

Size: HUB_TEST_EXPIRY_ASSESSMENTS (default 1,000, the issue's figure).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from assessments_helpers import (
    Producer,
    ServiceProcess,
    all_at_version,
    create_command,
    events_topic,
    read_topic,
    size_from_env,
    wait_ready,
    wait_until,
)
from redis.asyncio import Redis

from hub_contracts.base import utcnow

pytestmark = pytest.mark.kafka

N = size_from_env("HUB_TEST_EXPIRY_ASSESSMENTS", 1000)
EXPIRED = "ai.lextalent.assessment.expired.v1"


async def test_same_second_expiry_on_two_instances(
    kafka_bootstrap: str,
    topics: str,
    redis: Redis,
    producer: Producer,
    services: Callable[..., ServiceProcess],
) -> None:
    a, b = services("expiry-a"), services("expiry-b")
    await wait_ready(redis, topics, producer, a, b)
    due = datetime.fromtimestamp(math.ceil(utcnow().timestamp()) + 8, UTC)
    creates = [create_command(expires_at=due + timedelta(milliseconds=i % 1000)) for i in range(N)]
    ids = [c.assessment_id for c in creates]
    await producer.send_many(list(creates))
    try:
        await wait_until(lambda: all_at_version(redis, topics, ids, 1), 8, "every assessment created")
        assert utcnow() < due, "creating took too long for this test's schedule"
        await wait_until(lambda: all_at_version(redis, topics, ids, 2), 30, "every assessment expired")
    except AssertionError:
        raise AssertionError(f"--- a:\n{a.tail()}\n--- b:\n{b.tail()}") from None
    events = [
        e
        for e in await read_topic(kafka_bootstrap, events_topic(topics))
        if e.headers["ce_type"].decode() == EXPIRED
    ]
    per_assessment = Counter(e.json()["assessment_id"] for e in events)
    assert len(events) == N
    assert set(per_assessment) == set(ids)
    assert max(per_assessment.values()) == 1
    expires = {c.assessment_id: c.expires_at for c in creates}
    lateness = []
    for event in events:
        body = event.json()
        expires_at = expires[body["assessment_id"]]
        published = datetime.fromtimestamp(event.timestamp / 1000, UTC)
        assert body["snapshot"]["status"] == "expired"
        lateness.append((published - expires_at).total_seconds())
    assert min(lateness) >= 0
    assert max(lateness) <= 5.0, f"slowest expiry {max(lateness):.2f}s after expires_at"
    print(f"\nexpiry lateness: max {max(lateness):.2f}s, mean {sum(lateness) / len(lateness):.2f}s")
