"""The iCIMS intake queue on real Redis: done entries leave, transient failures come back, permanent ones
are kept with their reason, and a crashed worker's entries are taken over by another."""

from __future__ import annotations

import asyncio
import contextlib

from redis.asyncio import Redis

from hub_connectors.framework.errors import PermanentError, RetryableError
from hub_connectors.icims.intake import GROUP, IntakeEntry, IntakeQueue


def queue(redis: Redis, namespace: str, **options: float) -> IntakeQueue:
    values: dict[str, float] = {"block_ms": 50, "claim_idle_s": 0.2, "retry_delay_s": 0.01, "max_attempts": 3}
    values.update(options)
    return IntakeQueue(
        redis,
        namespace,
        block_ms=int(values["block_ms"]),
        claim_idle_s=values["claim_idle_s"],
        retry_delay_s=values["retry_delay_s"],
        max_attempts=int(values["max_attempts"]),
    )


async def test_done_retried_and_failed_entries(redis: Redis, namespace: str) -> None:
    q = queue(redis, namespace)
    await q.ensure_group()
    await q.put("int_1", "asmt_aaaaaaaaaaaa", {"workflow_id": "1"})
    await q.put("int_1", "asmt_bbbbbbbbbbbb", {"workflow_id": "2"})
    await q.put("int_1", "asmt_cccccccccccc", {"workflow_id": "3"})
    seen: list[tuple[str, int]] = []
    failures: list[tuple[str, str]] = []

    async def process(entry: IntakeEntry) -> None:
        seen.append((entry.assessment_id, entry.attempts))
        if entry.assessment_id.endswith("b") and entry.attempts == 0:
            raise RetryableError("iCIMS 503")
        if entry.assessment_id.endswith("c"):
            raise PermanentError("person profile has no email")

    async def on_failure(entry: IntakeEntry, reason: str) -> None:
        failures.append((entry.assessment_id, reason))

    for _ in range(4):
        await q.work_once(process, on_failure)
    assert ("asmt_bbbbbbbbbbbb", 1) in seen  # came back once, then done
    assert failures == [("asmt_cccccccccccc", "person profile has no email")]
    assert (await q.failures())[0]["event"] == {"workflow_id": "3"}
    assert await redis.xlen(q.stream) == 0


async def test_transient_failures_give_up_after_max_attempts(redis: Redis, namespace: str) -> None:
    q = queue(redis, namespace, max_attempts=2)
    await q.ensure_group()
    await q.put("int_1", "asmt_dddddddddddd", {"workflow_id": "4"})
    failures: list[str] = []

    async def process(entry: IntakeEntry) -> None:
        raise RetryableError("still down")

    async def on_failure(entry: IntakeEntry, reason: str) -> None:
        failures.append(reason)

    for _ in range(3):
        await q.work_once(process, on_failure)
    assert failures == ["gave up after 2 attempts: still down"]


async def test_a_crashed_workers_entries_are_taken_over(redis: Redis, namespace: str) -> None:
    crashed = queue(redis, namespace)
    await crashed.ensure_group()
    await crashed.put("int_1", "asmt_eeeeeeeeeeee", {"workflow_id": "5"})
    taken = await redis.xreadgroup(GROUP, crashed.consumer, {crashed.stream: ">"}, count=10)
    assert taken  # read, never acknowledged: the worker died here
    survivor = queue(redis, namespace)
    done: list[str] = []

    async def process(entry: IntakeEntry) -> None:
        done.append(entry.assessment_id)

    async def on_failure(entry: IntakeEntry, reason: str) -> None:
        raise AssertionError(reason)

    await survivor.work_once(process, on_failure)  # not idle long enough yet: nothing to claim
    assert done == []
    await asyncio.sleep(0.3)
    await survivor.work_once(process, on_failure)
    assert done == ["asmt_eeeeeeeeeeee"]
    assert await redis.xlen(survivor.stream) == 0


async def test_the_worker_survives_its_stream_being_removed(redis: Redis, namespace: str) -> None:
    q = queue(redis, namespace)
    done: list[str] = []

    async def process(entry: IntakeEntry) -> None:
        done.append(entry.assessment_id)

    async def on_failure(entry: IntakeEntry, reason: str) -> None:
        raise AssertionError(reason)

    worker = asyncio.create_task(q.run(process, on_failure))
    try:
        await q.put("int_1", "asmt_ffffffffffff", {"workflow_id": "6"})
        async with asyncio.timeout(5):
            while not done:
                await asyncio.sleep(0.02)
        await redis.delete(q.stream)  # e.g. a restore without the stream
        await asyncio.sleep(0.2)
        await q.put("int_1", "asmt_gggggggggggg", {"workflow_id": "7"})
        async with asyncio.timeout(5):
            while len(done) < 2:
                await asyncio.sleep(0.02)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert done == ["asmt_ffffffffffff", "asmt_gggggggggggg"]
