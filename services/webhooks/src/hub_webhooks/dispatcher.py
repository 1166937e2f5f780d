"""The delivery loop: attempt leased deliveries, record the outcome, take the next one.

A worker gets leases three ways, all from Redis scripts that pass the same destination gate
(concurrency cap, rate, breaker): the consumer's fan-out leases first attempts straight from the
Kafka batch (`reserve` / `launch`), a finishing attempt is handed the next delivery parked behind
its destination (it keeps its slot), and the claim loops take what is due (retries, released or
reaped deliveries). Any number of workers run against one Redis (in one process or many): a lease
belongs to exactly one of them, and a delivery whose worker died is put back by the reaper when
its lease expires. A slow endpoint holds at most its own concurrency cap of the worker's slots.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import structlog

from hub_contracts.runtime import stop_tasks
from hub_webhooks.clock import Clock
from hub_webhooks.endpoints import EndpointStore
from hub_webhooks.finisher import Finisher
from hub_webhooks.policy import AttemptResult, Decision, RetryPolicy, decide
from hub_webhooks.sender import Sender
from hub_webhooks.signing import webhook_headers
from hub_webhooks.signing_keys import SigningKeys
from hub_webhooks.store import Claimed, DeliveryStore, finish_entry

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(
        self,
        store: DeliveryStore,
        sender: Sender,
        keys: SigningKeys,
        endpoints: EndpointStore,
        policy: RetryPolicy,
        clock: Clock,
        *,
        concurrency: int,
        claim_batch: int,
        poll_interval_s: float,
        reap_interval_s: float,
        claimers: int = 4,
    ) -> None:
        self.store = store
        self.sender = sender
        self.keys = keys
        self.endpoints = endpoints
        self.policy = policy
        self.clock = clock
        self.concurrency = concurrency
        self.claim_batch = claim_batch
        self.poll_interval_s = poll_interval_s
        self.reap_interval_s = reap_interval_s
        self.claimers = claimers
        self.finisher = Finisher(store)
        self._wake = asyncio.Event()
        self._busy = 0
        self._slot_freed = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = True

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        claimers = [loop.create_task(self._claim_loop(), name=f"claim-loop-{n}") for n in range(self.claimers)]
        self._tasks = [*claimers, loop.create_task(self._reap_loop(), name="reap-loop")]

    async def stop(self) -> None:
        """Ends the claim and reap loops, then cancels the attempts in flight (their leases expire and
        the reaper puts them back, so an interrupted attempt is retried). No hand-over or fan-out
        lease is taken from here on."""
        self._accepting = False
        self._wake.set()
        self._slot_freed.set()
        # the loops see the flag and end on their own (a cancellation lost in a race with a timeout
        # cannot keep them running); attempts in flight are cancelled at once
        await stop_tasks(self._tasks, grace_s=0.5, what="webhook claim and reap loops")
        await stop_tasks(list(self._in_flight), what="webhook attempts")

    def reserve(self, wanted: int) -> int:
        """Reserve up to `wanted` free slots for first attempts leased by the fan-out (then `launch`)."""
        free = max(0, min(wanted, self.concurrency - self._busy)) if self._accepting else 0
        self._busy += free
        return free

    def launch(self, leased: list[Claimed], reserved: int) -> None:
        """Start the attempts leased on `reserved` slots; the unused slots are free again."""
        self._busy -= reserved - len(leased)
        self._start(leased)
        if reserved > len(leased):
            self._slot_freed.set()

    def _start(self, items: list[Claimed]) -> None:
        loop = asyncio.get_running_loop()
        for item in items:
            task = loop.create_task(self._attempt(item), name=f"attempt:{item.id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _claim_loop(self) -> None:
        while self._accepting:
            try:
                claimed = await self._claim_some()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch.claim_failed")
                await asyncio.sleep(1.0)
                continue
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval_s):
                        await self._wake.wait()

    async def _claim_some(self) -> int:
        while self._busy >= self.concurrency:
            if not self._accepting:
                return 0
            self._slot_freed.clear()
            await self._slot_freed.wait()
        free = min(self.claim_batch, self.concurrency - self._busy)
        self._busy += free  # reserved while the claim runs, so parallel claim loops never overshoot
        try:
            batch = await self.store.claim(self.clock.now_ms(), free)
        finally:
            self._busy -= free
        self._busy += len(batch)
        self._start(batch)
        return len(batch)

    async def _reap_loop(self) -> None:
        while self._accepting:
            await asyncio.sleep(self.reap_interval_s)
            try:
                if await self.store.reap(self.clock.now_ms()):
                    self.wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch.reap_failed")

    async def _attempt(self, first: Claimed) -> None:
        """One slot: this attempt, then each delivery its destination hands over as it finishes."""
        item: Claimed | None = first
        try:
            while item is not None:
                current, item = item, None
                try:
                    item = await self._attempt_once(current)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The lease stays; the reaper retries the attempt when it expires.
                    log.exception("dispatch.attempt_failed", delivery_id=current.id)
        finally:
            self._busy -= 1
            self._slot_freed.set()

    async def _attempt_once(self, item: Claimed) -> Claimed | None:
        """Attempt one delivery and record the outcome; the next delivery handed over, if any."""
        started_ms = self.clock.now_ms()
        secrets = await self._secrets_for(item, started_ms)
        if secrets is None:
            result = AttemptResult(None, 0.0, "blocked", "endpoint_disabled: not sent")
            decision = Decision("dead", None, "none", reason="endpoint disabled or deleted")
        else:
            headers = webhook_headers(secrets, item.msg_id, started_ms // 1000, item.body)
            result = await self.sender.send(item.url, item.body, headers)
            decision = decide(
                self.policy,
                result,
                item.attempt,
                manual=item.manual,
                now=datetime.fromtimestamp(started_ms / 1000, UTC),
            )
        finished_ms = self.clock.now_ms()
        next_ms = None if decision.delay_s is None else finished_ms + int(decision.delay_s * 1000)
        record: dict[str, Any] = {
            "attempt": item.attempt,
            "at_ms": started_ms,
            "status_code": result.status_code,
            "latency_ms": result.latency_ms,
            "error": result.error or None,
            "response": result.response_excerpt[:512] or None,
            "trigger": "manual" if item.manual else "scheduled",
            "outcome": decision.outcome,
            "next_attempt_ms": next_ms,
        }
        error = result.error or ("" if result.ok else f"HTTP {result.status_code}")
        if decision.reason:
            error = f"{error}; {decision.reason}" if error else decision.reason
        finished = await self.finisher.finish(
            finish_entry(
                item,
                finished_ms,
                outcome=decision.outcome,
                next_ms=next_ms,
                attempt=record,
                breaker=decision.breaker,
                status_code=result.status_code,
                error=error,
                handoff=self._accepting,
            )
        )
        if finished.made_due:
            self.wake()
        if not finished.stored:
            log.warning("dispatch.lease_lost", delivery_id=item.id, attempt=item.attempt)
        if decision.disable_endpoint and item.endpoint_id:
            await self.endpoints.disable(item.endpoint_id, "the endpoint answered 410 Gone", finished_ms)
        return finished.handed_over

    async def _secrets_for(self, item: Claimed, now_ms: int) -> list[str] | None:
        if not item.endpoint_id:
            return [await self.keys.account_secret(item.account_id)]
        record = await self.keys.endpoint(item.endpoint_id)
        if record is None or record.disabled:
            return None
        return record.active_secrets(now_ms)
