"""The webhook event catalogue: every event type a webhook receiver can get, with a description.

Account endpoints subscribe to these names (an empty filter means all); callback URLs get all of
them. Assessment events carry `hub_contracts.views.WebhookPayload`; the test event carries
`WebhookTestPayload`. The gateway's OpenAPI `webhooks` section is built from `webhook_catalogue()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from hub_contracts.base import ContractModel

TEST_EVENT = "webhook.test"


@dataclass(frozen=True)
class WebhookEventType:
    name: str
    description: str
    payload: Literal["assessment", "test"]


_CATALOGUE: tuple[WebhookEventType, ...] = (
    WebhookEventType(
        "assessment.created", "An assessment was created; the candidate URL can be sent.", "assessment"
    ),
    WebhookEventType("assessment.started", "The candidate started the challenge.", "assessment"),
    WebhookEventType(
        "assessment.completed",
        "The candidate finished and the Agentic Readiness Score is in `data.results`.",
        "assessment",
    ),
    WebhookEventType(
        "assessment.expired", "The assessment passed `expires_at` without being completed.", "assessment"
    ),
    WebhookEventType(
        "assessment.cancelled", "The assessment was cancelled (see `data.cancellation_reason`).", "assessment"
    ),
    WebhookEventType("assessment.extended", "The assessment's `expires_at` was moved later.", "assessment"),
    WebhookEventType(
        TEST_EVENT, "Sent on demand (`POST /v1/webhook-endpoints/{id}/test`) to check an endpoint.", "test"
    ),
)


def webhook_catalogue() -> tuple[WebhookEventType, ...]:
    """Every webhook event type, assessment events first, the test event last."""
    return _CATALOGUE


def webhook_event_names() -> tuple[str, ...]:
    return tuple(e.name for e in _CATALOGUE)


class WebhookTestData(ContractModel):
    object: Literal["webhook_test"] = "webhook_test"
    endpoint_id: str
    message: str = "This is a test event from LexTalent.ai."


class WebhookTestPayload(ContractModel):
    """The body of a `webhook.test` event (same envelope as assessment events)."""

    id: str = Field(description="The event id; also the `webhook-id` header")
    type: Literal["webhook.test"] = "webhook.test"
    timestamp: str
    data: WebhookTestData
