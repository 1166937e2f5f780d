"""CloudEvents 1.0 binary content mode over Kafka headers, plus a W3C `traceparent`.

Every message the hub produces carries `ce_specversion`, `ce_id`, `ce_type`, `ce_source`, `ce_time`,
`ce_subject`, `content-type` and `traceparent`; the body is the JSON of the contract model.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hub_contracts.base import isoformat_z, utcnow

CONTENT_TYPE = "application/json"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

KafkaHeaders = list[tuple[str, bytes]]


def new_traceparent(parent: str | None = None) -> str:
    """A child span id in the caller's trace, or a fresh trace when there is no valid parent."""
    match = _TRACEPARENT.match(parent or "")
    trace_id = match.group(1) if match else secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


@dataclass(frozen=True)
class CloudEventAttributes:
    id: str
    type: str
    source: str
    subject: str
    time: datetime
    traceparent: str

    def to_headers(self, extra: Mapping[str, str] | None = None) -> KafkaHeaders:
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", self.id.encode()),
            ("ce_type", self.type.encode()),
            ("ce_source", self.source.encode()),
            ("ce_time", isoformat_z(self.time).encode()),
            ("ce_subject", self.subject.encode()),
            ("content-type", CONTENT_TYPE.encode()),
            ("traceparent", self.traceparent.encode()),
        ]
        headers.extend((k, v.encode()) for k, v in (extra or {}).items())
        return headers


def make_headers(
    *, id: str, type: str, source: str, subject: str, traceparent: str | None = None,
    time: datetime | None = None, extra: Mapping[str, str] | None = None,
) -> KafkaHeaders:
    return CloudEventAttributes(
        id=id, type=type, source=source, subject=subject, time=time or utcnow(),
        traceparent=new_traceparent(traceparent),
    ).to_headers(extra)


def headers_to_dict(headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes | str] | None) -> dict[str, str]:
    """Kafka headers (aiokafka's tuples or FastStream's mapping) as a str → str dict."""
    if headers is None:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for key, value in items:
        out[key] = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return out
