"""Listing and replaying a consumer group's dead-letter topic (format: `hub_contracts.dead_letters`);
used by `hub-assessments dlq` and, for every group, by `hub dlq`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord

from hub_assessments.event_log import TopicLog
from hub_contracts.cloudevents import headers_to_dict


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic; `id` is `partition:offset` in that topic."""

    id: str
    key: str | None
    reason: str
    source_topic: str
    source_partition: str
    source_offset: str
    attempts: str
    failed_at: str
    headers: dict[str, str]
    body: bytes

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.headers.items() if not k.startswith("x-dlq-")]


def dead_letter_of(record: ConsumerRecord[Any, Any]) -> DeadLetter:
    headers = headers_to_dict(record.headers)
    key = record.key.decode(errors="replace") if isinstance(record.key, bytes) else record.key
    return DeadLetter(
        id=f"{record.partition}:{record.offset}",
        key=key,
        reason=headers.get("x-dlq-reason", ""),
        source_topic=headers.get("x-dlq-topic", ""),
        source_partition=headers.get("x-dlq-partition", ""),
        source_offset=headers.get("x-dlq-offset", ""),
        attempts=headers.get("x-dlq-attempts", ""),
        failed_at=headers.get("x-dlq-failed-at", ""),
        headers=headers,
        body=record.value or b"",
    )


async def list_dead_letters(log: TopicLog) -> list[DeadLetter]:
    return [dead_letter_of(record) async for record in log.history()]


async def replay_dead_letters(
    log: TopicLog, ids: Iterable[str], producer: AIOKafkaProducer
) -> list[DeadLetter]:
    """Send the chosen dead letters back to the topic they came from, with their original key and
    headers (plus `x-dlq-replayed-from`). Handlers are idempotent, so replaying twice is harmless."""
    wanted = set(ids)
    chosen = [letter for letter in await list_dead_letters(log) if letter.id in wanted]
    missing = wanted - {letter.id for letter in chosen}
    if missing:
        raise LookupError(f"no dead letter with id {', '.join(sorted(missing))}")
    for letter in chosen:
        if not letter.source_topic:
            raise ValueError(f"dead letter {letter.id} does not name its source topic")
        headers = [*letter.original_headers, ("x-dlq-replayed-from", letter.id.encode())]
        await producer.send_and_wait(
            letter.source_topic,
            letter.body,
            key=letter.key.encode() if letter.key is not None else None,
            headers=headers,
        )
    return chosen

