"""Crash test: two service processes, one SIGKILLed at random points several times, while N
assessments go create → start → complete (even) or cancel (odd). Afterwards every assessment is
in its expected state and every transition has exactly one event, by event id and by version.

Size: HUB_TEST_CRASH_ASSESSMENTS (default 5,000, the issue's figure); kills: HUB_TEST_CRASH_KILLS.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Callable

import orjson
import pytest
from assessments_helpers import (
    Producer,
    ServiceProcess,
    all_at_version,
    cancel,
    create_command,
    events_topic,
    read_topic,
    scored,
    size_from_env,
    started,
    wait_until,
)
from redis.asyncio import Redis

from hub_assessments.store import AssessmentStore
from hub_contracts.read_model import AssessmentKeys
from hub_contracts.topics import dead_letter_topic

pytestmark = pytest.mark.kafka

N = size_from_env("HUB_TEST_CRASH_ASSESSMENTS", 5000)
KILLS = size_from_env("HUB_TEST_CRASH_KILLS", 6)  # spread over the three phases


async def killer(victims: list[ServiceProcess], kills: int, rng: random.Random, log: list[str]) -> None:
    for number in range(kills):
        await asyncio.sleep(rng.uniform(0.3, 2.5))
        victim = rng.choice(victims)
        victim.kill()
        log.append(f"kill {number + 1}: {victim.instance_id}")
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        victim.start()


async def test_sigkill_during_lifecycle_loses_and_doubles_nothing(
    kafka_bootstrap: str,
    topics: str,
    redis: Redis,
    producer: Producer,
    services: Callable[..., ServiceProcess],
) -> None:
    rng = random.Random()
    a, b = services("crash-a"), services("crash-b")
    creates = [create_command() for _ in range(N)]
    ids = [c.assessment_id for c in creates]
    kill_log: list[str] = []
    timeout = 60 + N / 50

    async def phase(messages: list[object], version: int, what: str) -> None:
        chaos = asyncio.create_task(killer([a, b], max(1, -(-KILLS // 3)), rng, kill_log))
        await producer.send_many(messages)
        await wait_until(lambda: all_at_version(redis, topics, ids, version), timeout, what, interval_s=1.0)
        await chaos

    try:
        await phase(list(creates), 1, "every assessment created")
        await phase([started(aid) for aid in ids], 2, "every assessment started")
        await phase(
            [scored(aid) if i % 2 == 0 else cancel(aid) for i, aid in enumerate(ids)],
            3,
            "every assessment completed or cancelled",
        )
        store = AssessmentStore(redis, topics)

        async def outbox_empty() -> bool:
            return await store.pending_count() == 0

        await wait_until(outbox_empty, 60, "the outbox to drain")
    except AssertionError:
        raise AssertionError(f"{kill_log}\n--- a:\n{a.tail()}\n--- b:\n{b.tail()}") from None
    assert len(kill_log) >= min(KILLS, 3), kill_log

    events = await read_topic(kafka_bootstrap, events_topic(topics))
    bodies = [e.json() for e in events]
    by_id = Counter(body["event_id"] for body in bodies)
    assert [eid for eid, n in by_id.items() if n > 1] == [], f"duplicate event ids ({kill_log})"
    assert all(
        e.headers["ce_id"].decode() == body["event_id"] for e, body in zip(events, bodies, strict=True)
    )
    per_assessment: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for body in bodies:
        per_assessment[body["assessment_id"]].append((body["version"], body["type"]))
    assert set(per_assessment) == set(ids)
    for i, aid in enumerate(ids):
        final = "completed" if i % 2 == 0 else "cancelled"
        expected = [
            (1, "ai.lextalent.assessment.created.v1"),
            (2, "ai.lextalent.assessment.started.v1"),
            (3, f"ai.lextalent.assessment.{final}.v1"),
        ]
        assert per_assessment[aid] == expected, (aid, per_assessment[aid], kill_log)
    assert len(events) == 3 * N

    keys = AssessmentKeys(topics)
    async with redis.pipeline(transaction=False) as pipe:
        for aid in ids:
            pipe.hget(keys.record(aid), "snapshot")
        snapshots = [orjson.loads(raw) for raw in await pipe.execute()]
    for i, snapshot in enumerate(snapshots):
        assert snapshot["status"] == ("completed" if i % 2 == 0 else "cancelled")
        assert snapshot["version"] == 3
    assert await read_topic(kafka_bootstrap, dead_letter_topic("assessments").full_name(topics)) == []
