"""The Redis layout of the assessment read model (a contract between assessments and gateway).

Written only by the assessments service; read by the gateway. All keys start with
`{namespace}asmt:`.

| key | type | content |
| --- | --- | --- |
| `asmt:rec:{assessment_id}` | hash | `version` (the snapshot's version) and `snapshot` (JSON of `AssessmentSnapshot`) |
| `asmt:idx:{account_id}:{live|test}` | sorted set | member assessment id, score `created_at` in ms |
| `asmt:cmd:{command_id}` | string | JSON `CommandOutcome` of a handled command (kept 7 days) |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from hub_contracts.base import ContractModel


def mode_name(livemode: bool) -> str:
    return "live" if livemode else "test"


@dataclass(frozen=True)
class AssessmentKeys:
    namespace: str = ""

    @property
    def prefix(self) -> str:
        return f"{self.namespace}asmt:"

    def record(self, assessment_id: str) -> str:
        return f"{self.prefix}rec:{assessment_id}"

    def account_index(self, account_id: str, livemode: bool) -> str:
        return f"{self.prefix}idx:{account_id}:{mode_name(livemode)}"

    def command_outcome(self, command_id: str) -> str:
        return f"{self.prefix}cmd:{command_id}"


class CommandOutcome(ContractModel):
    """What became of a command: applied (with the new version) or refused (with a reason)."""

    command_id: str
    assessment_id: str
    outcome: Literal["applied", "refused", "duplicate"]
    code: str | None = Field(default=None, description="Stable refusal code such as invalid_state")
    reason: str | None = None
    version: int | None = None
