"""iCIMS integration events (Status Flow Update, Application Complete), as they arrive.

Bodies may be gzip-compressed JSON (ats-formats.md §4.2). iCIMS asks consumers to treat payloads as
maps that may gain keys, so unknown keys are ignored; the keys we need are checked. The `eventType`
value is uncertain (the docs say `AssessmentEvent`, a fixture says `ApplicationCompletedEvent`), so the
kind is read from the payload's shape: `newStatus` means Status Flow Update, `returnUrl` Application
Complete.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

MAX_EVENT_BYTES = 256 * 1024


class EventKind(StrEnum):
    STATUS_FLOW_UPDATE = "status_flow_update"
    APPLICATION_COMPLETE = "application_complete"


class InvalidEventError(ValueError):
    """The POST is not an event we can act on; the message is safe to answer with 400."""


@dataclass(frozen=True)
class IcimsEvent:
    kind: EventKind
    event_type: str
    customer_id: str
    workflow_id: str  # systemId: the Recruiting Workflow (applicant workflow) id
    user_id: str | None
    job_id: str | None
    person_id: str | None
    new_status: str | None
    old_status: str | None
    return_url: str | None
    links: dict[str, str]  # rel → url

    @property
    def workflow_url(self) -> str | None:
        return self.links.get("applicantWorkflow")

    def vendor_ref(self) -> str:
        """One assessment per customer and workflow: a retried or repeated event finds the first."""
        return f"{self.customer_id}:{self.workflow_id}"


def decompress(body: bytes, content_encoding: str | None) -> bytes:
    """Undo gzip (by header or magic bytes), refusing anything that inflates past MAX_EVENT_BYTES."""
    if (content_encoding or "").lower() != "gzip" and not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_EVENT_BYTES + 1)
    except zlib.error:
        raise InvalidEventError("body is not valid gzip") from None
    if len(out) > MAX_EVENT_BYTES or inflater.unconsumed_tail:
        raise InvalidEventError(f"event larger than {MAX_EVENT_BYTES} bytes")
    return out


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def parse_event(body: bytes, content_encoding: str | None = None) -> IcimsEvent:
    raw = decompress(body, content_encoding)
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidEventError("body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidEventError("event must be a JSON object")
    missing = [k for k in ("customerId", "systemId") if _text(payload, k) is None]
    if missing:
        raise InvalidEventError(f"event without {', '.join(missing)}")
    links: dict[str, str] = {}
    for item in payload.get("links") or []:
        if isinstance(item, dict) and isinstance(item.get("rel"), str) and isinstance(item.get("url"), str):
            links.setdefault(item["rel"], item["url"])
    if "newStatus" in payload:
        kind = EventKind.STATUS_FLOW_UPDATE
    elif "returnUrl" in payload:
        kind = EventKind.APPLICATION_COMPLETE
    else:
        raise InvalidEventError(
            "neither a Status Flow Update (newStatus) nor an Application Complete (returnUrl)"
        )
    if "applicantWorkflow" not in links:
        raise InvalidEventError("event without an applicantWorkflow link")
    return IcimsEvent(
        kind=kind,
        event_type=_text(payload, "eventType") or "",
        customer_id=_text(payload, "customerId") or "",
        workflow_id=_text(payload, "systemId") or "",
        user_id=_text(payload, "userId"),
        job_id=_text(payload, "jobId"),
        person_id=_text(payload, "personId"),
        new_status=_text(payload, "newStatus"),
        old_status=_text(payload, "oldStatus"),
        return_url=_text(payload, "returnUrl"),
        links=links,
    )


def gzip_json(payload: Any) -> bytes:
    """How iCIMS sends events (used by the fake iCIMS in tests)."""
    return gzip.compress(orjson.dumps(payload))
