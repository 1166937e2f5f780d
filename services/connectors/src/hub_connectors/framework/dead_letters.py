"""A connector's dead-letter topic: the original record, with why it failed in headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from hub_contracts.base import isoformat_z, utcnow


class RawRecord(Protocol):
    topic: str
    partition: int
    offset: int


def dead_letter_headers(
    record: RawRecord,
    original_headers: Mapping[str, str],
    group_id: str,
    reason: str,
    attempts: int,
) -> dict[str, str]:
    headers = {k: v for k, v in original_headers.items() if not k.startswith("x-dlq-")}
    headers.update(
        {
            "x-dlq-reason": reason[:1000],
            "x-dlq-group": group_id,
            "x-dlq-topic": record.topic,
            "x-dlq-partition": str(record.partition),
            "x-dlq-offset": str(record.offset),
            "x-dlq-attempts": str(attempts),
            "x-dlq-failed-at": isoformat_z(utcnow()),
        }
    )
    return headers
