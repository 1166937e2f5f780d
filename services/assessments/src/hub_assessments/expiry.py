"""The expiry scheduler: a Redis sorted set of `expires_at`, claimed with a lease by any instance.

Each tick atomically claims the due assessments (pushing their score a lease ahead), then runs
an `Expire` input through the normal service path. The state machine refuses to expire twice
and the version check serialises instances, so N instances give exactly one expiry event.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from hub_assessments.service import AssessmentService
from hub_assessments.state_machine import Expire

log = structlog.get_logger(__name__)


class ExpiryScheduler:
    def __init__(self, service: AssessmentService, poll_interval_s: float, lease_s: float) -> None:
        self.service = service
        self.poll_interval_s = poll_interval_s
        self.lease_ms = int(lease_s * 1000)

    async def tick(self) -> int:
        now = self.service.clock()
        due = await self.service.store.claim_due_expiries(int(now.timestamp() * 1000), self.lease_ms)
        for assessment_id in due:
            stored = await self.service.store.load(assessment_id)
            if stored is None:
                await self.service.store.redis.zrem(self.service.store.expiry_key, assessment_id)
                continue
            await self.service.handle(Expire(assessment_id, stored.snapshot.expires_at))
        return len(due)

    async def run(self) -> None:
        while True:
            try:
                claimed = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("expiry.tick_failed")
                claimed = 0
            if claimed == 0:
                await asyncio.sleep(self.poll_interval_s)


class OutboxSweeper:
    """Publishes outbox entries that a crashed instance stored but never sent (same event ids)."""

    def __init__(self, service: AssessmentService, interval_s: float, stale_after_s: float) -> None:
        self.service = service
        self.interval_s = interval_s
        self.stale_after_ms = int(stale_after_s * 1000)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                now_ms = int(self.service.clock().timestamp() * 1000)
                sent = await self.service.flush_outbox(now_ms - self.stale_after_ms)
                if sent:
                    log.info("outbox.swept", published=sent)
            await asyncio.sleep(self.interval_s)
