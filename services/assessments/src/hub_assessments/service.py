"""Applying one input to the store: decide, commit atomically, publish the outbox entry.

The Kafka offset of the input is committed only after this returns, so a crash anywhere here
is retried from the input; the seen-set and version check make the retry change nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from hub_assessments.ids import fast_id
from hub_assessments.outbox import HeldEntries, OutboxPublisher
from hub_assessments.state_machine import (
    Decision,
    Expire,
    Input,
    NoChange,
    Refusal,
    Transition,
    decide,
    message_id,
)
from hub_assessments.store import AssessmentStore, CommitPlan, CommitResult, OutboxEntry, StoredAssessment
from hub_contracts.base import utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CancelAssessment, CreateAssessment, ExtendAssessment, SimulateAssessment
from hub_contracts.read_model import CommandOutcome

log = structlog.get_logger(__name__)

SOURCE = "//lextalent.ai/hub/assessments"
MAX_CONFLICT_RETRIES = 10


@dataclass(frozen=True)
class Planned:
    msg_id: str
    decision: Decision
    commit: CommitPlan
    entry: OutboxEntry | None


@dataclass(frozen=True)
class Handled:
    decision: Decision | None  # None: the input was a duplicate
    event_id: str | None = None


class UnknownAssessmentError(LookupError):
    """An input names an assessment that does not exist (goes to the dead-letter topic)."""


class AssessmentService:
    def __init__(
        self, store: AssessmentStore, outbox: OutboxPublisher, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock

    def now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    def plan(
        self, message: Input | Expire, stored: StoredAssessment | None, traceparent: str | None
    ) -> Planned:
        """Decide on `message` against `stored` and prepare the commit (no I/O)."""
        msg_id = message_id(message)
        decision = decide(message, stored.snapshot if stored else None, self.clock())
        entry = (
            _outbox_entry(decision, msg_id, traceparent, self.now_ms())
            if isinstance(decision, Transition)
            else None
        )
        commit = CommitPlan(
            assessment_id=message.assessment_id,
            message_id=msg_id,
            expected_version=stored.version if stored else 0,
            snapshot=decision.snapshot if isinstance(decision, Transition) else None,
            outbox=entry,
            outcome=_outcome(message, decision),
            lock_token=self.outbox.new_token(),
            lock_lease_ms=self.outbox.lease_ms,
        )
        return Planned(msg_id, decision, commit, entry)

    async def settle(
        self,
        planned: Planned,
        result: CommitResult,
        held: list[HeldEntries] | None,
        lease_started: float,
    ) -> Handled | None:
        """After the commit: publish, log, report. None on a version conflict (decide again).
        `lease_started`: loop time just before the commit call (which may have taken the lock)."""
        assessment_id = planned.commit.assessment_id
        if result.status == "conflict":
            return None
        if result.status == "duplicate":
            if result.outbox_pending:
                await self._publish_safely(assessment_id, self.outbox.flush(assessment_id))
            return Handled(None)
        token = planned.commit.lock_token
        if result.to_publish and held is not None:
            if await self._publish_safely(
                assessment_id, self.outbox.send(assessment_id, result.to_publish, lease_started)
            ):
                held.append(
                    HeldEntries(assessment_id, token, tuple(p.entry.version for p in result.to_publish))
                )
        elif result.to_publish:
            await self._publish_safely(
                assessment_id, self.outbox.drain(assessment_id, token, result.to_publish, lease_started)
            )
        decision = planned.decision
        _log_decision(assessment_id, planned.msg_id, decision)
        if isinstance(decision, Refusal) and decision.code == "not_found":
            raise UnknownAssessmentError(f"assessment {assessment_id} does not exist")
        return Handled(decision, planned.entry.event_id if planned.entry else None)

    async def handle(
        self,
        message: Input | Expire,
        traceparent: str | None = None,
        *,
        held: list[HeldEntries] | None = None,
    ) -> Handled:
        """Apply one input. `held`: publish but leave the drop of the outbox entries to the caller
        (`finish`, once per batch)."""
        for _ in range(MAX_CONFLICT_RETRIES):
            stored = await self.store.load(message.assessment_id)
            planned = self.plan(message, stored, traceparent)
            lease_started = self.outbox.clock()
            handled = await self.settle(planned, await self.store.commit(planned.commit), held, lease_started)
            if handled is not None:
                return handled
        raise RuntimeError(
            f"gave up on {message.assessment_id} after {MAX_CONFLICT_RETRIES} version conflicts"
        )

    async def handle_many(
        self,
        items: Sequence[tuple[Input, str | None, StoredAssessment | None]],
        held: list[HeldEntries],
    ) -> list[Handled | BaseException | None]:
        """Inputs on distinct assessments, each with its record as just read: decided, committed in
        one pipeline, published side by side. Per input: Handled, the exception it raised, or None
        (version conflict: run it through `handle`)."""
        planned = [self.plan(message, stored, traceparent) for message, traceparent, stored in items]
        lease_started = self.outbox.clock()
        results = await self.store.commit_many([p.commit for p in planned])
        return await asyncio.gather(
            *(self.settle(p, r, held, lease_started) for p, r in zip(planned, results, strict=True)),
            return_exceptions=True,
        )

    async def _publish_safely(self, assessment_id: str, publishing: Awaitable[int]) -> bool:
        """The change is stored: a failed publish is the sweeper's to retry, not the input's."""
        try:
            await publishing
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("outbox.publish_failed", assessment_id=assessment_id, error=repr(exc))
            return False
        return True

    async def finish(self, held: list[HeldEntries]) -> None:
        """Drop what a batch published (one round trip), and publish what arrived meanwhile."""
        await self._publish_safely("(batch)", self.outbox.finish(held))


def _outbox_entry(decision: Transition, msg_id: str, traceparent: str | None, now_ms: int) -> OutboxEntry:
    snapshot = decision.snapshot
    event = decision.event_type.of(snapshot, event_id=fast_id("evt"), caused_by=msg_id)
    ce_type: str = type(event).model_fields["type"].default
    headers = make_headers(
        id=event.event_id,
        type=ce_type,
        source=SOURCE,
        subject=snapshot.id,
        traceparent=traceparent,
        time=event.occurred_at,
    )
    return OutboxEntry(
        event.event_id,
        snapshot.id,
        snapshot.version,
        now_ms,
        [(k, v.decode()) for k, v in headers],
        event.to_json(),
    )


def _outcome(message: Input | Expire, decision: Decision) -> CommandOutcome | None:
    if not isinstance(message, CreateAssessment | CancelAssessment | ExtendAssessment | SimulateAssessment):
        return None
    match decision:
        case Transition():
            return CommandOutcome(
                command_id=message.command_id,
                assessment_id=message.assessment_id,
                outcome="applied",
                version=decision.snapshot.version,
            )
        case Refusal():
            return CommandOutcome(
                command_id=message.command_id,
                assessment_id=message.assessment_id,
                outcome="refused",
                code=decision.code,
                reason=decision.reason,
            )
        case NoChange():
            return CommandOutcome(
                command_id=message.command_id,
                assessment_id=message.assessment_id,
                outcome="duplicate",
                reason=decision.reason,
            )
    return None


def _log_decision(assessment_id: str, msg_id: str, decision: Decision) -> None:
    match decision:
        case Transition():
            log.info(
                "assessment.transition",
                assessment_id=assessment_id,
                input=msg_id,
                status=decision.snapshot.status.value,
                version=decision.snapshot.version,
            )
        case Refusal():
            log.info(
                "assessment.refused",
                assessment_id=assessment_id,
                input=msg_id,
                code=decision.code,
                reason=decision.reason,
            )
        case NoChange():
            log.debug(
                "assessment.no_change", assessment_id=assessment_id, input=msg_id, reason=decision.reason
            )
