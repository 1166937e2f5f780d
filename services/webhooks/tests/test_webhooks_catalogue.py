"""The webhook catalogue names exactly the events the service can send."""

from __future__ import annotations

from hub_contracts.events import EVENT_CLASSES, public_event_name
from hub_contracts.webhook_catalogue import (
    TEST_EVENT,
    WebhookTestPayload,
    webhook_catalogue,
    webhook_event_names,
)


def test_catalogue_covers_every_assessment_event_and_the_test_event() -> None:
    assessment_events = {public_event_name(t) for t in EVENT_CLASSES}
    names = webhook_event_names()
    assert set(names) == assessment_events | {TEST_EVENT}
    assert len(names) == len(set(names)) == 7
    assert all(e.description for e in webhook_catalogue())
    assert {e.name for e in webhook_catalogue() if e.payload == "test"} == {TEST_EVENT}


def test_test_payload_shape() -> None:
    body = WebhookTestPayload.model_validate(
        {"id": "evt_x1234567", "timestamp": "2026-03-02T00:00:00Z", "data": {"endpoint_id": "we_1"}}
    )
    assert body.type == "webhook.test"
    assert body.data.object == "webhook_test"
