"""Assessments created or cancelled by a vendor go through the normal command path (Kafka, acks=all)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from hub_contracts.assessment import Candidate, Metadata
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import KafkaHeaders, make_headers
from hub_contracts.commands import CancelAssessment, CommandBase, CreateAssessment
from hub_contracts.ids import challenge_token, new_assessment_id

Publish = Callable[[bytes, str, KafkaHeaders], Awaitable[None]]
"""Publish (body, key, headers) to the assessment commands topic; returns once Kafka acknowledged."""


class CommandPublisher:
    def __init__(self, publish: Publish, candidate_app_base_url: str, ttl_days: int) -> None:
        self._publish = publish
        self.candidate_app_base_url = candidate_app_base_url
        self.ttl = timedelta(days=ttl_days)

    def new_create(
        self,
        *,
        account_id: str,
        livemode: bool,
        connector: str,
        candidate: Candidate,
        scenario_id: str,
        metadata: Metadata | None = None,
    ) -> CreateAssessment:
        """A create command with a fresh id; publish it with `send` (the id is known before it is sent)."""
        now = utcnow()
        assessment_id = new_assessment_id()
        return CreateAssessment(
            command_id=new_id("cmd"),
            assessment_id=assessment_id,
            account_id=account_id,
            livemode=livemode,
            issued_at=now,
            source=connector,
            candidate=candidate,
            scenario_id=scenario_id,
            metadata=metadata or {},
            candidate_url=f"{self.candidate_app_base_url}{challenge_token(assessment_id)}",
            created_at=now,
            expires_at=now + self.ttl,
        )

    def new_cancel(
        self, *, assessment_id: str, account_id: str, livemode: bool, connector: str, reason: str
    ) -> CancelAssessment:
        return CancelAssessment(
            command_id=new_id("cmd"),
            assessment_id=assessment_id,
            account_id=account_id,
            livemode=livemode,
            issued_at=utcnow(),
            source=connector,
            reason=reason,
        )

    async def send(self, command: CommandBase, traceparent: str | None = None) -> None:
        ce_type = str(command.type)  # type: ignore[attr-defined]
        headers = make_headers(
            id=command.command_id,
            type=ce_type,
            source=f"//connectors/{command.source}",
            subject=command.assessment_id,
            traceparent=traceparent,
        )
        await self._publish(command.to_json(), command.assessment_id, headers)
