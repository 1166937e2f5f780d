"""The dead-letter record format shared by every consumer group (and read by the `dlq` commands).

A dead letter is the original record — same key, same body, same headers — plus `x-dlq-*`
headers saying where it came from and why it failed. One dead-letter topic per consumer group
(`hub_contracts.topics.dead_letter_topic`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from hub_contracts.base import isoformat_z, utcnow

DLQ_HEADER_PREFIX = "x-dlq-"
REASON, GROUP, TOPIC, PARTITION, OFFSET, ATTEMPTS, FAILED_AT, REPLAYED_FROM = (
    "x-dlq-reason", "x-dlq-group", "x-dlq-topic", "x-dlq-partition", "x-dlq-offset", "x-dlq-attempts",
    "x-dlq-failed-at", "x-dlq-replayed-from",
)
MAX_REASON_CHARS = 1000


class SourceRecord(Protocol):
    """What is needed of the failed record (an aiokafka ConsumerRecord has it)."""

    topic: str
    partition: int
    offset: int


def dead_letter_headers(
    record: SourceRecord, original_headers: Mapping[str, str], group_id: str, reason: str, attempts: int,
) -> dict[str, str]:
    """The original headers (minus any earlier `x-dlq-*`) plus where the record came from and why it failed."""
    headers = {k: v for k, v in original_headers.items() if not k.startswith(DLQ_HEADER_PREFIX)}
    headers.update({
        REASON: reason[:MAX_REASON_CHARS],
        GROUP: group_id,
        TOPIC: record.topic,
        PARTITION: str(record.partition),
        OFFSET: str(record.offset),
        ATTEMPTS: str(attempts),
        FAILED_AT: isoformat_z(utcnow()),
    })
    return headers


def original_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the record had before it was dead-lettered (for replays)."""
    return {k: v for k, v in headers.items() if not k.startswith(DLQ_HEADER_PREFIX)}
