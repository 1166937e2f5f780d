"""Decoding Kafka records into contract models, with reasons fit for a dead-letter header."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from hub_contracts.activity import CandidateActivity
from hub_contracts.commands import AssessmentCommand
from hub_contracts.events import AssessmentEvent
from hub_contracts.scoring import ScoringResultReported

COMMAND_ADAPTER: TypeAdapter[Any] = TypeAdapter(AssessmentCommand)
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AssessmentEvent)
ACTIVITY_ADAPTER: TypeAdapter[CandidateActivity] = TypeAdapter(CandidateActivity)
SCORING_ADAPTER: TypeAdapter[ScoringResultReported] = TypeAdapter(ScoringResultReported)


class UndecodableMessage(ValueError):
    """The record is not a valid message of its topic; `reason` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode(adapter: TypeAdapter[Any], body: bytes, ce_type: str | None = None) -> Any:
    try:
        message = adapter.validate_json(body)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<body>'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise UndecodableMessage(f"invalid message: {errors}") from None
    body_type = getattr(message, "type", None)
    if ce_type is not None and body_type is not None and ce_type != body_type:
        raise UndecodableMessage(f"ce_type {ce_type!r} does not match body type {body_type!r}")
    return message
