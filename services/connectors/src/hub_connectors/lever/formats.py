"""Lever's formats and the pure translations to and from ours.

Source: https://hire.lever.co/developer/documentation (reference §2): webhooks (signature over
`token + triggeredAt`, in the body), notes (`score` 1-4), tags, links; camelCase JSON, epoch ms.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus
from hub_contracts.results import AgenticReadinessResults, ReadinessBand

STAGE_CHANGE = "candidateStageChange"
ARCHIVE_CHANGE = "candidateArchiveChange"


class LeverWebhook(BaseModel):
    """A delivery as Lever POSTs it (unknown properties allowed: Lever may add some)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    triggeredAt: int  # noqa: N815 (Lever's name)
    event: str
    data: dict[str, Any]
    signature: str
    token: str


def webhook_signature(signature_token: str, token: str, triggered_at: int) -> str:
    """Lever's definition: hex HMAC-SHA256 of the string `token + triggeredAt`, keyed with the
    webhook's signature token. It does not cover the body."""
    message = f"{token}{triggered_at}".encode()
    return hmac.new(signature_token.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(webhook: LeverWebhook, signature_tokens: list[str]) -> bool:
    return any(
        hmac.compare_digest(
            webhook_signature(key, webhook.token, webhook.triggeredAt), webhook.signature.lower()
        )
        for key in signature_tokens
    )


class StageChange(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    opportunityId: str  # noqa: N815
    candidateId: str | None = None  # noqa: N815
    contactId: str | None = None  # noqa: N815
    toStageId: str  # noqa: N815
    fromStageId: str | None = None  # noqa: N815


class ArchiveChange(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    opportunityId: str  # noqa: N815
    toArchived: dict[str, Any] | None = None  # noqa: N815
    fromArchived: dict[str, Any] | None = None  # noqa: N815


class Opportunity(BaseModel):
    """The part of `GET /opportunities/{id}` we use: the candidate's name and emails."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    name: str = Field(min_length=1)
    emails: list[str] = Field(default_factory=list)
    archived: dict[str, Any] | None = None


# Lever's note score is a thumbs value: 1 Strong No, 2 No, 3 Yes, 4 Strong Yes. Our bands map so:
NOTE_SCORE: dict[ReadinessBand, int] = {
    ReadinessBand.EMERGING: 1,  # 0-39   → Strong No
    ReadinessBand.DEVELOPING: 2,  # 40-59 → No
    ReadinessBand.PROFICIENT: 3,  # 60-74 → Yes
    ReadinessBand.ADVANCED: 4,  # 75-89   → Strong Yes
    ReadinessBand.EXPERT: 4,  # 90-100    → Strong Yes
}


def note_score(results: AgenticReadinessResults) -> int:
    return NOTE_SCORE[results.band]


def note_value(snapshot: AssessmentSnapshot, results: AgenticReadinessResults, scenario_name: str) -> str:
    lines = [
        f"LexTalent Agentic Readiness Score: {results.overall_score}/100 ({results.band.value.title()}), "
        f"percentile {results.percentile:g} — {scenario_name}",
        *(f"• {d.name}: {d.score}/100" for d in results.dimensions),
    ]
    if results.integrity.flagged:
        lines.append("Integrity: flagged (" + ", ".join(s.code for s in results.integrity.signals) + ")")
    lines.append(f"Report: {results.report_url}")
    return "\n".join(lines)


def note_body(
    snapshot: AssessmentSnapshot,
    results: AgenticReadinessResults,
    scenario_name: str,
    *,
    secret: bool,
    notify_followers: bool,
) -> dict[str, Any]:
    """`POST /opportunities/{id}/notes`: value (required), secret, score 1-4, notifyFollowers, createdAt."""
    return {
        "value": note_value(snapshot, results, scenario_name),
        "secret": secret,
        "score": note_score(results),
        "notifyFollowers": notify_followers,
        "createdAt": int(results.completed_at.timestamp() * 1000),
    }


DEFAULT_TAGS: dict[AssessmentStatus, str] = {
    AssessmentStatus.PENDING: "LexTalent: assessment sent",
    AssessmentStatus.IN_PROGRESS: "LexTalent: assessment in progress",
    AssessmentStatus.COMPLETED: "LexTalent: assessment completed",
    AssessmentStatus.EXPIRED: "LexTalent: assessment expired",
    AssessmentStatus.CANCELLED: "LexTalent: assessment cancelled",
}


def tag_changes(status: AssessmentStatus, tags: dict[AssessmentStatus, str]) -> tuple[list[str], list[str]]:
    """(tags to add, tags to remove) when the assessment reaches `status`: one state tag at a time."""
    current = tags[status]
    return [current], sorted({t for s, t in tags.items() if s != status and t != current})
