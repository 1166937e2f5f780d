"""The assessment lifecycle as pure functions: (current snapshot, input) → a transition or a refusal.

pending → in_progress → completed; pending | in_progress → expired | cancelled; extend moves
`expires_at` of a non-terminal assessment. Nothing else is allowed, and nothing is applied silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub_contracts.activity import CandidateActivity
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus
from hub_contracts.commands import (
    CancelAssessment,
    CreateAssessment,
    ExtendAssessment,
    SimulateAssessment,
)
from hub_contracts.events import (
    AssessmentCancelled,
    AssessmentCompleted,
    AssessmentCreated,
    AssessmentExpired,
    AssessmentExtended,
    AssessmentStarted,
    EventBase,
)
from hub_contracts.results import AgenticReadinessResults
from hub_contracts.scoring import ScoringResultReported

Input = (
    CreateAssessment
    | CancelAssessment
    | ExtendAssessment
    | SimulateAssessment
    | CandidateActivity
    | ScoringResultReported
)


@dataclass(frozen=True)
class Transition:
    snapshot: AssessmentSnapshot
    event_type: type[EventBase]


@dataclass(frozen=True)
class Refusal:
    code: str  # stable: invalid_state, not_found, test_mode_only, conflict
    reason: str


@dataclass(frozen=True)
class NoChange:
    """The input is already reflected (a redelivered create, a second `opened`)."""

    reason: str


Decision = Transition | Refusal | NoChange


@dataclass(frozen=True)
class Expire:
    """The expiry scheduler's input: expire if still non-terminal and past `expires_at`."""

    assessment_id: str
    due_at: datetime


def _bump(current: AssessmentSnapshot, now: datetime, **changes: object) -> AssessmentSnapshot:
    return current.model_copy(update={"version": current.version + 1, "updated_at": now, **changes})


def _refuse_state(current: AssessmentSnapshot, action: str) -> Refusal:
    return Refusal("invalid_state", f"cannot {action} an assessment that is {current.status.value}")


def create(cmd: CreateAssessment, current: AssessmentSnapshot | None) -> Decision:
    if current is not None:
        return NoChange("assessment already exists")
    snapshot = AssessmentSnapshot(
        id=cmd.assessment_id,
        account_id=cmd.account_id,
        livemode=cmd.livemode,
        status=AssessmentStatus.PENDING,
        version=1,
        candidate=cmd.candidate,
        scenario_id=cmd.scenario_id,
        callback_url=cmd.callback_url,
        metadata=cmd.metadata,
        candidate_url=cmd.candidate_url,
        source=cmd.source,
        created_at=cmd.created_at,
        updated_at=cmd.created_at,
        expires_at=cmd.expires_at,
    )
    return Transition(snapshot, AssessmentCreated)


def start(current: AssessmentSnapshot, now: datetime) -> Decision:
    if current.status is AssessmentStatus.IN_PROGRESS:
        return NoChange("already started")
    if current.status is not AssessmentStatus.PENDING:
        return _refuse_state(current, "start")
    return Transition(
        _bump(current, now, status=AssessmentStatus.IN_PROGRESS, started_at=now), AssessmentStarted
    )


def complete(current: AssessmentSnapshot, results: AgenticReadinessResults, now: datetime) -> Decision:
    if current.status is AssessmentStatus.COMPLETED:
        return NoChange("already completed")
    if current.status.is_terminal:
        return _refuse_state(current, "complete")
    started_at = current.started_at or now
    return Transition(
        _bump(
            current,
            now,
            status=AssessmentStatus.COMPLETED,
            started_at=started_at,
            completed_at=results.completed_at,
            results=results,
        ),
        AssessmentCompleted,
    )


def cancel(current: AssessmentSnapshot, reason: str | None, now: datetime) -> Decision:
    if current.status is AssessmentStatus.CANCELLED:
        return NoChange("already cancelled")
    if current.status.is_terminal:
        return _refuse_state(current, "cancel")
    return Transition(
        _bump(current, now, status=AssessmentStatus.CANCELLED, cancelled_at=now, cancellation_reason=reason),
        AssessmentCancelled,
    )


def extend(current: AssessmentSnapshot, expires_at: datetime, now: datetime) -> Decision:
    if current.status.is_terminal:
        return _refuse_state(current, "extend")
    if expires_at <= now:
        return Refusal("invalid_expiry", "expires_at must be in the future")
    if expires_at == current.expires_at:
        return NoChange("expires_at unchanged")
    return Transition(_bump(current, now, expires_at=expires_at), AssessmentExtended)


def expire(current: AssessmentSnapshot, now: datetime) -> Decision:
    if current.status is AssessmentStatus.EXPIRED:
        return NoChange("already expired")
    if current.status.is_terminal:
        return NoChange(f"{current.status.value}: nothing to expire")
    if current.expires_at > now:
        return NoChange("not due: extended since it was scheduled")
    return Transition(_bump(current, now, status=AssessmentStatus.EXPIRED, expired_at=now), AssessmentExpired)


def simulate(cmd: SimulateAssessment, current: AssessmentSnapshot, now: datetime) -> Decision:
    if current.livemode or cmd.livemode:
        return Refusal("test_mode_only", "only test-mode assessments can be simulated")
    if cmd.outcome == "started":
        return start(current, now)
    if cmd.outcome == "expired":
        if current.status.is_terminal:
            return _refuse_state(current, "expire")
        return Transition(
            _bump(current, now, status=AssessmentStatus.EXPIRED, expired_at=now, expires_at=now),
            AssessmentExpired,
        )
    if cmd.results is None:
        return Refusal("invalid_request", "a completed simulation needs results")
    return complete(current, cmd.results, now)


def decide(message: Input | Expire, current: AssessmentSnapshot | None, now: datetime) -> Decision:
    """The single entry point: every input of the service goes through here."""
    if isinstance(message, CreateAssessment):
        return create(message, current)
    if current is None:
        return Refusal("not_found", "no such assessment")
    if isinstance(message, CommandWithAccount) and message.account_id != current.account_id:
        return Refusal("not_found", "no such assessment")
    match message:
        case CancelAssessment():
            return cancel(current, message.reason, now)
        case ExtendAssessment():
            return extend(current, message.expires_at, now)
        case SimulateAssessment():
            return simulate(message, current, now)
        case CandidateActivity(activity="opened"):
            return NoChange("opened is recorded only as activity")
        case CandidateActivity():
            return start(current, message.occurred_at)
        case ScoringResultReported():
            return complete(current, message.results, now)
        case Expire():
            return expire(current, now)
    raise TypeError(f"unhandled input {type(message).__name__}")


CommandWithAccount = (CancelAssessment, ExtendAssessment, SimulateAssessment)


def message_id(message: Input | Expire) -> str:
    """The idempotency key of an input: replaying it must change nothing."""
    match message:
        case CreateAssessment() | CancelAssessment() | ExtendAssessment() | SimulateAssessment():
            return f"cmd:{message.command_id}"
        case CandidateActivity():
            return f"act:{message.activity_id}"
        case ScoringResultReported():
            return f"res:{message.result_id}"
        case Expire():
            return f"exp:{message.assessment_id}:{int(message.due_at.timestamp())}"
    raise TypeError(type(message).__name__)
