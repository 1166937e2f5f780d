"""The on-demand `webhook.test` event for one endpoint."""

from __future__ import annotations

from hub_contracts.base import isoformat_z, new_id, utcnow
from hub_contracts.webhook_catalogue import TEST_EVENT, WebhookTestData, WebhookTestPayload
from hub_webhooks.destinations import delivery_id
from hub_webhooks.endpoints import EndpointRecord
from hub_webhooks.store import NewDelivery


def test_delivery(endpoint: EndpointRecord) -> NewDelivery:
    event_id = new_id("evt")
    payload = WebhookTestPayload(
        id=event_id, timestamp=isoformat_z(utcnow()), data=WebhookTestData(endpoint_id=endpoint.id)
    )
    return NewDelivery(
        id=delivery_id(event_id, endpoint.id),
        msg_id=event_id,
        event_type=TEST_EVENT,
        account_id=endpoint.account_id,
        livemode=endpoint.livemode,
        assessment_id="",
        dest=endpoint.id,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        body=payload.to_json(),
    )
