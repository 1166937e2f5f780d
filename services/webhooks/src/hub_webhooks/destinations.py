"""Turning one assessment event into deliveries: its callback URL and the account's endpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from hub_contracts.events import EventBase, public_event_name
from hub_contracts.views import webhook_payload
from hub_webhooks.endpoints import EndpointRecord
from hub_webhooks.store import NewDelivery


def callback_destination(account_id: str, url: str) -> str:
    """The destination id of a callback URL: one per (account, URL), so limits apply per receiver."""
    return "cb_" + hashlib.sha256(f"{account_id}|{url}".encode()).hexdigest()[:20]


def delivery_id(msg_id: str, dest: str) -> str:
    """Deterministic, so re-consuming an event can never create a second delivery."""
    return "whd_" + hashlib.sha256(f"{msg_id}|{dest}".encode()).hexdigest()[:24]


def event_type_name(event: EventBase) -> str:
    return public_event_name(type(event).model_fields["type"].default)


def deliveries_for(event: EventBase, endpoints: Sequence[EndpointRecord]) -> list[NewDelivery]:
    name = event_type_name(event)
    body = webhook_payload(event).to_json()

    def to(dest: str, endpoint_id: str, url: str) -> NewDelivery:
        return NewDelivery(
            id=delivery_id(event.event_id, dest),
            msg_id=event.event_id,
            event_type=name,
            account_id=event.account_id,
            livemode=event.livemode,
            assessment_id=event.assessment_id,
            dest=dest,
            endpoint_id=endpoint_id,
            url=url,
            body=body,
        )

    out: list[NewDelivery] = []
    if event.snapshot.callback_url:
        url = event.snapshot.callback_url
        out.append(to(callback_destination(event.account_id, url), "", url))
    out.extend(to(e.id, e.id, e.url) for e in endpoints if e.wants(name, event.livemode))
    return out
