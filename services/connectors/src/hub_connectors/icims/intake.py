"""Accepted iCIMS events, worked off after the 200/303 answer (iCIMS asks vendors to fail fast).

The event is written to a Redis stream before we answer, so an accepted event is never lost: a worker
in every instance reads the stream through one consumer group, fetches the linked profiles and sends
the create command; it acknowledges an entry only once that is done or has failed for good. Entries a
crashed worker held are claimed by another after `claim_idle_s`. Entries that fail for good are kept in
a capped list (`…:intake:failed`) and recorded on the integration.

| key | type | content |
| --- | --- | --- |
| `conn:icims:intake` | stream | `integration_id`, `assessment_id`, `event` (JSON), `attempts` |
| `conn:icims:intake:failed` | list | JSON of entries that failed for good, newest first, capped |
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from hub_connectors.framework.errors import PermanentError, RetryableError
from hub_connectors.framework.redis_values import as_text

log = structlog.get_logger(__name__)

GROUP = "icims-intake"
FAILED_KEEP = 500


@dataclass(frozen=True)
class IntakeEntry:
    entry_id: str
    integration_id: str
    assessment_id: str
    event: dict[str, object]
    attempts: int


Process = Callable[[IntakeEntry], Awaitable[None]]
OnFailure = Callable[[IntakeEntry, str], Awaitable[None]]


class IntakeQueue:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        *,
        block_ms: int = 500,
        claim_idle_s: float = 30.0,
        max_attempts: int = 8,
        retry_delay_s: float = 1.0,
    ) -> None:
        self.redis = redis
        self.stream = f"{namespace}conn:icims:intake"
        self.failed = f"{namespace}conn:icims:intake:failed"
        self.consumer = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.block_ms = block_ms
        self.claim_idle_ms = int(claim_idle_s * 1000)
        self.max_attempts = max_attempts
        self.retry_delay_s = retry_delay_s
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Asks `run` to return after the entry it is working on (within about `block_ms`)."""
        self._stopping.set()

    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)

    async def put(self, integration_id: str, assessment_id: str, event: dict[str, object]) -> str:
        entry_id = await self.redis.xadd(
            self.stream,
            {
                "integration_id": integration_id,
                "assessment_id": assessment_id,
                "event": orjson.dumps(event),
                "attempts": "0",
            },
        )
        return as_text(entry_id)

    @staticmethod
    def _entry(entry_id: Any, fields: dict[Any, Any]) -> IntakeEntry:
        text = {as_text(k): v for k, v in fields.items()}
        return IntakeEntry(
            entry_id=as_text(entry_id),
            integration_id=as_text(text["integration_id"]),
            assessment_id=as_text(text["assessment_id"]),
            event=orjson.loads(text["event"]),
            attempts=int(as_text(text.get("attempts", b"0"))),
        )

    async def _next(self) -> list[IntakeEntry]:
        claimed: Any = await self.redis.xautoclaim(
            self.stream, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=10
        )
        items: Any = claimed[1] if claimed else []
        if not items:
            answer: Any = await self.redis.xreadgroup(
                GROUP, self.consumer, {self.stream: ">"}, count=10, block=self.block_ms
            )
            items = answer[0][1] if answer else []
        return [self._entry(entry_id, fields) for entry_id, fields in items if fields]

    async def _done(self, entry: IntakeEntry) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, entry.entry_id)
            pipe.xdel(self.stream, entry.entry_id)
            await pipe.execute()

    async def _retry_later(self, entry: IntakeEntry) -> None:
        """Put it back with one more attempt counted (a new entry; the old one is acknowledged)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.stream,
                {
                    "integration_id": entry.integration_id,
                    "assessment_id": entry.assessment_id,
                    "event": orjson.dumps(entry.event),
                    "attempts": str(entry.attempts + 1),
                },
            )
            pipe.xack(self.stream, GROUP, entry.entry_id)
            pipe.xdel(self.stream, entry.entry_id)
            await pipe.execute()

    async def _give_up(self, entry: IntakeEntry, reason: str, on_failure: OnFailure) -> None:
        record = orjson.dumps(
            {
                "integration_id": entry.integration_id,
                "assessment_id": entry.assessment_id,
                "event": entry.event,
                "attempts": entry.attempts + 1,
                "reason": reason,
            }
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(self.failed, record)
            pipe.ltrim(self.failed, 0, FAILED_KEEP - 1)
            pipe.xack(self.stream, GROUP, entry.entry_id)
            pipe.xdel(self.stream, entry.entry_id)
            await pipe.execute()
        await on_failure(entry, reason)

    async def work_once(self, process: Process, on_failure: OnFailure) -> int:
        entries = await self._next()
        for entry in entries:
            try:
                await process(entry)
            except RetryableError as exc:
                if entry.attempts + 1 >= self.max_attempts:
                    await self._give_up(
                        entry, f"gave up after {entry.attempts + 1} attempts: {exc.detail}", on_failure
                    )
                    continue
                log.warning("icims.intake_retry", assessment_id=entry.assessment_id, error=exc.detail[:200])
                await asyncio.sleep(
                    min(30.0, max(self.retry_delay_s * 2**entry.attempts, exc.retry_after or 0.0))
                )
                await self._retry_later(entry)
                continue
            except PermanentError as exc:
                await self._give_up(entry, exc.detail, on_failure)
                continue
            await self._done(entry)
        return len(entries)

    async def run(self, process: Process, on_failure: OnFailure) -> None:
        """Work until stopped or cancelled; no error ends the loop (an unacknowledged entry stays pending)."""
        group_ready = False
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                if not group_ready:
                    await self.ensure_group()
                    group_ready = True
                await self.work_once(process, on_failure)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # the stream was removed (flush, restore): create it again
                    log.warning("icims.intake_group_missing")
                    group_ready = False
                else:
                    log.exception("icims.intake_error")
                    await asyncio.sleep(1.0)
            except Exception:
                log.exception("icims.intake_error")  # Redis down or a bug: the entry stays pending
                await asyncio.sleep(1.0)

    async def failures(self, limit: int = 50) -> list[dict[str, object]]:
        return [orjson.loads(r) for r in await self.redis.lrange(self.failed, 0, limit - 1)]
