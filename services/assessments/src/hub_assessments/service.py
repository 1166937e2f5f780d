"""Applying one input to the store: decide, commit atomically, publish the outbox entry.

The Kafka offset of the input is committed only after this returns, so a crash anywhere here
is retried from the input; the seen-set and version check make the retry change nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

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
from hub_assessments.store import AssessmentStore, OutboxEntry
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CancelAssessment, CreateAssessment, ExtendAssessment, SimulateAssessment
from hub_contracts.read_model import CommandOutcome

log = structlog.get_logger(__name__)

SOURCE = "//lextalent.ai/hub/assessments"
MAX_CONFLICT_RETRIES = 10

Publish = Callable[[OutboxEntry], Awaitable[None]]


@dataclass(frozen=True)
class Handled:
    decision: Decision | None  # None: the input was a duplicate
    event_id: str | None = None


class UnknownAssessment(LookupError):
    """An input names an assessment that does not exist (goes to the dead-letter topic)."""


class AssessmentService:
    def __init__(self, store: AssessmentStore, publish: Publish, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.publish = publish
        self.clock = clock

    async def handle(self, message: Input | Expire, traceparent: str | None = None) -> Handled:
        assessment_id = message.assessment_id
        msg_id = message_id(message)
        for _ in range(MAX_CONFLICT_RETRIES):
            stored = await self.store.load(assessment_id)
            if stored is not None and await self.store.has_seen(assessment_id, msg_id):
                await self.flush_pending_for(assessment_id)
                return Handled(None)
            now = self.clock()
            decision = decide(message, stored.snapshot if stored else None, now)
            expected = stored.version if stored else 0
            outcome = _outcome(message, decision)
            entry: OutboxEntry | None = None
            snapshot = None
            if isinstance(decision, Transition):
                snapshot = decision.snapshot
                event = decision.event_type(
                    event_id=new_id("evt"),
                    assessment_id=assessment_id,
                    account_id=snapshot.account_id,
                    livemode=snapshot.livemode,
                    version=snapshot.version,
                    occurred_at=snapshot.updated_at,
                    caused_by=msg_id,
                    snapshot=snapshot,
                )
                ce_type: str = type(event).model_fields["type"].default
                headers = make_headers(
                    id=event.event_id, type=ce_type, source=SOURCE, subject=assessment_id,
                    traceparent=traceparent, time=event.occurred_at,
                )
                entry = OutboxEntry(event.event_id, assessment_id, [(k, v.decode()) for k, v in headers],
                                    event.to_json())
            result = await self.store.commit(
                assessment_id=assessment_id, message_id=msg_id, expected_version=expected,
                snapshot=snapshot, outbox=entry, outcome=outcome,
            )
            if result == "conflict":
                continue
            if result == "duplicate":
                return Handled(None)
            if entry is not None:
                await self.publish(entry)
                await self.store.outbox_done([entry.event_id])
            _log_decision(assessment_id, msg_id, decision)
            if isinstance(decision, Refusal) and decision.code == "not_found":
                raise UnknownAssessment(f"assessment {assessment_id} does not exist")
            return Handled(decision, entry.event_id if entry else None)
        raise RuntimeError(f"gave up on {assessment_id} after {MAX_CONFLICT_RETRIES} version conflicts")

    async def flush_pending_for(self, assessment_id: str) -> None:
        """Publish any outbox entry left by a crash for this assessment (the same event ids)."""
        pending = [e for e in await self.store.pending_outbox(older_than_ms=2**62) if e.key == assessment_id]
        for entry in pending:
            await self.publish(entry)
        await self.store.outbox_done([e.event_id for e in pending])

    async def flush_outbox(self, older_than_ms: int) -> int:
        """Publish outbox entries older than the given time (left by a crashed instance)."""
        pending = await self.store.pending_outbox(older_than_ms)
        for entry in pending:
            await self.publish(entry)
        await self.store.outbox_done([e.event_id for e in pending])
        return len(pending)


def _outcome(message: Input | Expire, decision: Decision) -> CommandOutcome | None:
    if not isinstance(message, CreateAssessment | CancelAssessment | ExtendAssessment | SimulateAssessment):
        return None
    match decision:
        case Transition():
            return CommandOutcome(command_id=message.command_id, assessment_id=message.assessment_id,
                                  outcome="applied", version=decision.snapshot.version)
        case Refusal():
            return CommandOutcome(command_id=message.command_id, assessment_id=message.assessment_id,
                                  outcome="refused", code=decision.code, reason=decision.reason)
        case NoChange():
            return CommandOutcome(command_id=message.command_id, assessment_id=message.assessment_id,
                                  outcome="duplicate", reason=decision.reason)
    return None


def _log_decision(assessment_id: str, msg_id: str, decision: Decision) -> None:
    match decision:
        case Transition():
            log.info("assessment.transition", assessment_id=assessment_id, input=msg_id,
                     status=decision.snapshot.status.value, version=decision.snapshot.version)
        case Refusal():
            log.info("assessment.refused", assessment_id=assessment_id, input=msg_id, code=decision.code,
                     reason=decision.reason)
        case NoChange():
            log.debug("assessment.no_change", assessment_id=assessment_id, input=msg_id, reason=decision.reason)
