"""The state machine as the pure function it is: every allowed transition, every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from assessments_helpers import ACCOUNT, cancel, create_command, extend, opened, results, scored, started

from hub_assessments.state_machine import Expire, NoChange, Refusal, Transition, decide, message_id
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.commands import SimulateAssessment
from hub_contracts.events import (
    AssessmentCancelled,
    AssessmentCompleted,
    AssessmentCreated,
    AssessmentExpired,
    AssessmentExtended,
    AssessmentStarted,
)


def snapshot_in(status: AssessmentStatus, livemode: bool = True) -> AssessmentSnapshot:
    cmd = create_command(livemode=livemode)
    created = decide(cmd, None, utcnow())
    assert isinstance(created, Transition)
    current = created.snapshot
    steps = {
        AssessmentStatus.PENDING: [],
        AssessmentStatus.IN_PROGRESS: [started(cmd.assessment_id)],
        AssessmentStatus.COMPLETED: [started(cmd.assessment_id), scored(cmd.assessment_id)],
        AssessmentStatus.CANCELLED: [cancel(cmd.assessment_id)],
        AssessmentStatus.EXPIRED: [Expire(cmd.assessment_id, current.expires_at)],
    }[status]
    for step in steps:
        now = current.expires_at + timedelta(seconds=1) if isinstance(step, Expire) else utcnow()
        decision = decide(step, current, now)
        assert isinstance(decision, Transition), decision
        current = decision.snapshot
    assert current.status is status
    return current


def test_happy_path_bumps_the_version_by_one_per_change() -> None:
    cmd = create_command()
    created = decide(cmd, None, utcnow())
    assert isinstance(created, Transition)
    assert created.event_type is AssessmentCreated
    assert created.snapshot.version == 1
    begun = decide(started(cmd.assessment_id), created.snapshot, utcnow())
    assert isinstance(begun, Transition)
    assert begun.event_type is AssessmentStarted
    assert (begun.snapshot.version, begun.snapshot.status) == (2, AssessmentStatus.IN_PROGRESS)
    done = decide(scored(cmd.assessment_id, 91), begun.snapshot, utcnow())
    assert isinstance(done, Transition)
    assert done.event_type is AssessmentCompleted
    assert done.snapshot.version == 3
    assert done.snapshot.results is not None
    assert done.snapshot.results.overall_score == 91


@pytest.mark.parametrize("status", [AssessmentStatus.PENDING, AssessmentStatus.IN_PROGRESS])
def test_non_terminal_can_be_cancelled_extended_and_expired(status: AssessmentStatus) -> None:
    current = snapshot_in(status)
    cancelled = decide(cancel(current.id), current, utcnow())
    assert isinstance(cancelled, Transition)
    assert cancelled.event_type is AssessmentCancelled
    later = current.expires_at + timedelta(days=3)
    extended = decide(extend(current.id, later), current, utcnow())
    assert isinstance(extended, Transition)
    assert extended.event_type is AssessmentExtended
    assert extended.snapshot.expires_at == later
    expired = decide(
        Expire(current.id, current.expires_at), current, current.expires_at + timedelta(seconds=1)
    )
    assert isinstance(expired, Transition)
    assert expired.event_type is AssessmentExpired


@pytest.mark.parametrize(
    "status", [AssessmentStatus.COMPLETED, AssessmentStatus.CANCELLED, AssessmentStatus.EXPIRED]
)
def test_terminal_refuses_with_invalid_state(status: AssessmentStatus) -> None:
    current = snapshot_in(status)
    for message in (started(current.id), extend(current.id, utcnow() + timedelta(days=1))):
        decision = decide(message, current, utcnow())
        assert isinstance(decision, Refusal)
        assert decision.code == "invalid_state"
        assert status.value in decision.reason
    if status is not AssessmentStatus.CANCELLED:
        refused = decide(cancel(current.id), current, utcnow())
        assert isinstance(refused, Refusal)
        assert refused.code == "invalid_state"
    if status is not AssessmentStatus.COMPLETED:
        refused = decide(scored(current.id), current, utcnow())
        assert isinstance(refused, Refusal)
        assert refused.code == "invalid_state"


def test_already_reflected_inputs_change_nothing() -> None:
    current = snapshot_in(AssessmentStatus.IN_PROGRESS)
    assert isinstance(decide(started(current.id), current, utcnow()), NoChange)
    assert isinstance(decide(opened(current.id), current, utcnow()), NoChange)
    again = create_command(assessment_id=current.id, candidate_url=current.candidate_url)
    assert isinstance(decide(again, current, utcnow()), NoChange)
    not_due = decide(
        Expire(current.id, current.expires_at), current, current.expires_at - timedelta(seconds=1)
    )
    assert isinstance(not_due, NoChange)


def test_unknown_or_foreign_assessment_is_not_found() -> None:
    current = snapshot_in(AssessmentStatus.PENDING)
    assert decide(started(current.id), None, utcnow()) == Refusal("not_found", "no such assessment")
    foreign = cancel(current.id).model_copy(update={"account_id": "acct_SomeoneElse01"})
    assert isinstance(decide(foreign, current, utcnow()), Refusal)
    assert foreign.account_id != ACCOUNT


def test_extend_into_the_past_and_simulate_on_live_are_refused() -> None:
    current = snapshot_in(AssessmentStatus.PENDING)
    past = decide(extend(current.id, utcnow() - timedelta(minutes=1)), current, utcnow())
    assert isinstance(past, Refusal)
    assert past.code == "invalid_expiry"
    simulate = SimulateAssessment(
        command_id="cmd_simulate0001",
        assessment_id=current.id,
        account_id=ACCOUNT,
        livemode=True,
        issued_at=utcnow(),
        outcome="completed",
        results=results(),
    )
    refused = decide(simulate, current, utcnow())
    assert isinstance(refused, Refusal)
    assert refused.code == "test_mode_only"


def test_message_ids_are_stable_per_input() -> None:
    message = scored("asmt_AAAAAAAAAAAA")
    assert message_id(message) == message_id(message.model_copy()) == f"res:{message.result_id}"
    due = utcnow()
    assert message_id(Expire("asmt_AAAAAAAAAAAA", due)) == f"exp:asmt_AAAAAAAAAAAA:{int(due.timestamp())}"
