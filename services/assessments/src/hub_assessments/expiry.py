"""The expiry scheduler: a Redis sorted set of `expires_at`, claimed with a lease by any instance.

Each tick atomically claims the due assessments (pushing their score a lease ahead), then runs
an `Expire` input through the normal service path, several at a time. The claim keeps
instances off each other's work; the seen-set (`exp:{id}:{expires_at}`), the state machine and
the version check make a second attempt (after a crash, or a lease that ran out) change nothing.
"""

from __future__ import annotations

import asyncio

import structlog

from hub_assessments.service import AssessmentService
from hub_assessments.state_machine import Expire, NoChange

log = structlog.get_logger(__name__)


class ExpiryScheduler:
    def __init__(
        self,
        service: AssessmentService,
        poll_interval_s: float,
        lease_s: float,
        concurrency: int = 64,
        batch: int = 500,
    ) -> None:
        self.service = service
        self.poll_interval_s = poll_interval_s
        self.lease_ms = int(lease_s * 1000)
        self.concurrency = concurrency
        self.batch = batch

    async def _expire(self, assessment_id: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            store = self.service.store
            stored = await store.load(assessment_id)
            if stored is None or stored.snapshot.status.is_terminal:
                await store.unschedule(assessment_id)
                return
            handled = await self.service.handle(Expire(assessment_id, stored.snapshot.expires_at))
            if isinstance(handled.decision, NoChange):
                log.debug("expiry.no_change", assessment_id=assessment_id, reason=handled.decision.reason)

    async def tick(self) -> int:
        due = await self.service.store.claim_due_expiries(self.service.now_ms(), self.lease_ms, self.batch)
        if due:
            gate = asyncio.Semaphore(self.concurrency)
            results = await asyncio.gather(*(self._expire(aid, gate) for aid in due), return_exceptions=True)
            for aid, result in zip(due, results, strict=True):
                if isinstance(result, BaseException):
                    # the claim's lease runs out and the assessment comes due again
                    log.warning("expiry.failed", assessment_id=aid, error=repr(result))
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
            if claimed < self.batch:
                await asyncio.sleep(self.poll_interval_s)
