"""What the internal API returns: endpoints (never their secrets) and deliveries with attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from hub_webhooks.endpoints import EndpointRecord


def iso_ms(value_ms: int | str | None) -> str | None:
    if value_ms in (None, "", "0", 0):
        return None
    stamp = datetime.fromtimestamp(int(value_ms) / 1000, UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EndpointView(BaseModel):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    livemode: bool
    url: str
    description: str | None
    event_types: list[str]
    disabled: bool
    disabled_reason: str | None
    rate_limit_per_s: float | None
    max_concurrency: int | None
    secret_rotations_pending: int
    created_at: str | None
    updated_at: str | None


class EndpointWithSecret(EndpointView):
    secret: str


def endpoint_view(record: EndpointRecord, now_ms: int) -> EndpointView:
    return EndpointView(
        id=record.id,
        livemode=record.livemode,
        url=record.url,
        description=record.description,
        event_types=record.event_types,
        disabled=record.disabled,
        disabled_reason=record.disabled_reason,
        rate_limit_per_s=record.rate_limit_per_s,
        max_concurrency=record.max_concurrency,
        secret_rotations_pending=max(0, len(record.active_secrets(now_ms)) - 1),
        created_at=iso_ms(record.created_ms),
        updated_at=iso_ms(record.updated_ms),
    )


def with_secret(record: EndpointRecord, secret: str, now_ms: int) -> EndpointWithSecret:
    return EndpointWithSecret(**endpoint_view(record, now_ms).model_dump(), secret=secret)


def attempt_view(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "attempt": raw.get("attempt"),
        "attempted_at": iso_ms(raw.get("at_ms")),
        "status_code": raw.get("status_code"),
        "latency_ms": raw.get("latency_ms"),
        "error": raw.get("error"),
        "response_excerpt": raw.get("response"),
        "trigger": raw.get("trigger"),
        "outcome": raw.get("outcome"),
    }


def delivery_view(row: dict[str, str], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    status = row.get("status", "pending")
    return {
        "id": row["id"],
        "object": "webhook_delivery",
        "webhook_id": row.get("msg_id"),
        "event_type": row.get("event_type"),
        "livemode": row.get("livemode") == "1",
        "assessment_id": row.get("assessment_id") or None,
        "endpoint_id": row.get("endpoint_id") or None,
        "destination": "endpoint" if row.get("endpoint_id") else "callback_url",
        "url": row.get("url"),
        "status": status,
        "attempt_count": int(row.get("attempts") or 0),
        "next_attempt_at": iso_ms(row.get("next_ms")) if status == "pending" else None,
        "last_status_code": int(row["last_code"]) if row.get("last_code") else None,
        "last_error": row.get("last_error") or None,
        "created_at": iso_ms(row.get("created_ms")),
        "updated_at": iso_ms(row.get("updated_ms")),
        "attempts": [attempt_view(a) for a in attempts],
    }
