"""Rebuild: N assessments through their lifecycle, then `hub-assessments rebuild` wipes the store
and restores it from the event topic; the restored store equals the original, field by field.

Size: HUB_TEST_REBUILD_ASSESSMENTS (default 10,000, the issue's figure).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable
from datetime import timedelta

import pytest
from assessments_helpers import (
    SERVICE_BIN,
    Producer,
    ServiceProcess,
    cancel,
    create_command,
    diff_stores,
    dump_store,
    extend,
    run_in_phases,
    scored,
    size_from_env,
    started,
    wait_ready,
    wait_until,
)
from redis.asyncio import Redis

from hub_assessments.store import AssessmentStore
from hub_contracts.base import utcnow

pytestmark = pytest.mark.kafka

N = size_from_env("HUB_TEST_REBUILD_ASSESSMENTS", 10_000)


async def test_rebuild_restores_the_store_field_by_field(
    topics: str,
    redis: Redis,
    producer: Producer,
    services: Callable[..., ServiceProcess],
    hub_env: dict[str, str],
) -> None:
    service = services("rebuild-a")
    await wait_ready(redis, topics, producer, service)
    creates = [create_command() for _ in range(N)]
    ids = [c.assessment_id for c in creates]
    later = utcnow() + timedelta(days=30)
    finals = []
    for i, aid in enumerate(ids):
        if i % 4 == 0:
            finals.append(scored(aid, score=i % 101))
        elif i % 4 == 1:
            finals.append(cancel(aid))
        else:
            finals.append(extend(aid, later + timedelta(seconds=i)))  # stays in progress, scheduled
    try:
        await run_in_phases(
            producer,
            redis,
            topics,
            [
                (list(creates), 1),
                ([started(aid) for aid in ids], 2),
                (finals, 3),
            ],
            ids,
            timeout_s=60 + N / 50,
        )
        store = AssessmentStore(redis, topics)

        async def drained() -> bool:
            return await store.pending_count() == 0

        await wait_until(drained, 30, "the outbox to drain")
    except AssertionError:
        raise AssertionError(service.tail()) from None
    service.stop()
    before = await dump_store(redis, topics)
    assert len([k for k in before if ":rec:" in k]) == N + 1  # and the readiness probe

    done = await asyncio.to_thread(
        subprocess.run,
        [str(SERVICE_BIN), "rebuild"],
        env={**os.environ, **hub_env, "HUB_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"restored {N + 1} assessments from {3 * N + 1} events" in " ".join(done.stdout.split()), (
        done.stdout
    )
    after = await dump_store(redis, topics)
    assert diff_stores(before, after) == []
    assert len(after) == len(before)
