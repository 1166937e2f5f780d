"""Publishing the outbox: every committed event reaches the event topic once, with its event id.

The entry is written by the same Lua script as the state change. Publishing one assessment's
entries is serialised by a publish lock (a lease in Redis): the lock holder sends them oldest
version first, then drops them. An entry a holder took but did not drop (the process died
between `send` and the drop, or the send failed) is flagged `attempted`; the next holder first
reads the event topic from that entry's commit time to find the ids that did go out, and sends
only the others. See the README for why this instead of Kafka transactions.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import structlog

from hub_assessments.event_log import Suspect, TopicLog
from hub_assessments.store import AssessmentStore, OutboxEntry, PendingEntry

log = structlog.get_logger(__name__)

LEASE_SAFETY_S = 1.0


class LeaseRunningOutError(RuntimeError):
    """Too little of the publish lease is left to start a send: the next holder takes over."""


Publish = Callable[[OutboxEntry], Awaitable[None]]


@dataclass(frozen=True)
class HeldEntries:
    """Entries sent under a publish lock but not dropped yet: the consumer drops a whole batch's
    worth in one round trip (the lock stays ours until then)."""

    assessment_id: str
    token: str
    versions: tuple[int, ...]


def suspects_of(pending: Iterable[PendingEntry]) -> list[Suspect]:
    return [Suspect(p.entry.event_id, p.entry.key, p.entry.committed_ms) for p in pending if p.attempted]


class OutboxPublisher:
    def __init__(
        self,
        store: AssessmentStore,
        publish: Publish,
        event_log: TopicLog,
        *,
        instance_id: str,
        lease_ms: int = 10_000,
        publish_timeout_s: float = 5.0,
        scan_margin_ms: int = 60_000,
        sweep_concurrency: int = 32,
    ) -> None:
        self.store = store
        self.publish = publish
        self.event_log = event_log
        self.instance_id = instance_id
        self.lease_ms = lease_ms
        self.publish_timeout_s = publish_timeout_s
        self.scan_margin_ms = scan_margin_ms
        self.sweep_concurrency = sweep_concurrency

    def new_token(self) -> str:
        return f"{self.instance_id}:{secrets.token_hex(6)}"

    def clock(self) -> float:
        return asyncio.get_running_loop().time()

    async def send(
        self,
        assessment_id: str,
        pending: tuple[PendingEntry, ...],
        lease_started: float,
        scanned: frozenset[str] = frozenset(),
        found: frozenset[str] = frozenset(),
    ) -> int:
        """Send entries we hold the lock for, oldest first, skipping attempted ones that are already
        in the topic. `scanned`/`found`: suspects the caller already looked up, and the hits."""
        published = set(found)
        suspects = [s for s in suspects_of(pending) if s.event_id not in scanned]
        if suspects:
            hits = await self.event_log.published_ids(suspects, self.scan_margin_ms)
            published |= hits
            log.info(
                "outbox.recovered",
                assessment_id=assessment_id,
                suspects=len(suspects),
                already_published=len(hits),
            )
        sent = 0
        for item in pending:
            if item.attempted and item.entry.event_id in published:
                continue
            # Never start a send that might still be in flight when the lease runs out: the next
            # holder's look into the topic would miss it and send the event again.
            remaining = lease_started + self.lease_ms / 1000 - self.clock()
            if remaining < self.publish_timeout_s + LEASE_SAFETY_S:
                raise LeaseRunningOutError(f"{remaining:.1f}s of the publish lease left for {assessment_id}")
            async with asyncio.timeout(self.publish_timeout_s):
                await self.publish(item.entry)
            sent += 1
        return sent

    async def drain(
        self,
        assessment_id: str,
        token: str,
        pending: tuple[PendingEntry, ...],
        lease_started: float,
        scanned: frozenset[str] = frozenset(),
        found: frozenset[str] = frozenset(),
    ) -> int:
        """Send what we hold the lock for and drop it, then whatever arrived meanwhile.
        `lease_started`: loop time taken just before the call that took the lock."""
        sent = 0
        while pending:
            sent += await self.send(assessment_id, pending, lease_started, scanned, found)
            more = await self.store.published(assessment_id, token, [p.entry.version for p in pending])
            if not more:
                break
            lease_started = self.clock()
            pending = await self.store.claim_pending(assessment_id, token, self.lease_ms) or ()
        return sent

    async def finish(self, held: list[HeldEntries]) -> int:
        """Drop the entries of a whole batch in one pipeline (see `HeldEntries`), then drain the
        assessments that got new entries meanwhile."""
        if not held:
            return 0
        mores = await self.store.published_many([(h.assessment_id, h.token, h.versions) for h in held])
        sent = 0
        for item, more in zip(held, mores, strict=True):
            if more:
                started = self.clock()
                pending = await self.store.claim_pending(item.assessment_id, item.token, self.lease_ms)
                if pending:
                    sent += await self.drain(item.assessment_id, item.token, pending, started)
        return sent

    async def flush(self, assessment_id: str) -> int:
        """Publish what a crashed or slow publisher left for one assessment, unless someone holds it."""
        token = self.new_token()
        started = self.clock()
        pending = await self.store.claim_pending(assessment_id, token, self.lease_ms)
        if not pending:
            return 0
        return await self.drain(assessment_id, token, pending, started)

    async def sweep(self, older_than_ms: int, limit: int = 500) -> int:
        """Publish entries pending since before `older_than_ms`, all suspects checked in one scan."""
        ids = await self.store.claim_due_outbox(older_than_ms, self.lease_ms, limit)
        if not ids:
            return 0
        claimed: dict[str, tuple[str, tuple[PendingEntry, ...]]] = {}
        started = self.clock()  # before the first claim: the earliest any of these leases began
        for assessment_id in ids:
            token = self.new_token()
            pending = await self.store.claim_pending(assessment_id, token, self.lease_ms)
            if pending:
                claimed[assessment_id] = (token, pending)
        suspects = [s for _, pending in claimed.values() for s in suspects_of(pending)]
        known = await self.event_log.published_ids(suspects, self.scan_margin_ms) if suspects else set()
        if suspects:
            log.info("outbox.sweep_scanned", suspects=len(suspects), already_published=len(known))
        gate = asyncio.Semaphore(self.sweep_concurrency)
        scanned = frozenset(s.event_id for s in suspects)
        found = frozenset(known)

        async def one(assessment_id: str, token: str, pending: tuple[PendingEntry, ...]) -> int:
            async with gate:
                return await self.drain(assessment_id, token, pending, started, scanned, found)

        results = await asyncio.gather(
            *(one(aid, token, pending) for aid, (token, pending) in claimed.items()), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            # their locks run out and a later sweep takes them again, with a fresh look at the topic
            log.warning("outbox.sweep_partly_failed", failed=len(failed), error=repr(failed[0]))
        return sum(r for r in results if isinstance(r, int))


class OutboxSweeper:
    """Runs `sweep` every few seconds (first at start-up) for entries left behind by a crash."""

    def __init__(
        self, outbox: OutboxPublisher, now_ms: Callable[[], int], interval_s: float, stale_after_s: float
    ) -> None:
        self.outbox = outbox
        self.now_ms = now_ms
        self.interval_s = interval_s
        self.stale_after_ms = int(stale_after_s * 1000)

    async def run(self) -> None:
        while True:
            try:
                sent = await self.outbox.sweep(self.now_ms() - self.stale_after_ms)
                if sent:
                    log.info("outbox.swept", published=sent)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.sweep_failed")
            await asyncio.sleep(self.interval_s)
