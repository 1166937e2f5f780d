"""Reading a consumer group's dead-letter topic in a test (from the start, bounded in time)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from hub_contracts.topics import dead_letter_topic


@dataclass
class DeadLetter:
    key: bytes | None
    value: bytes
    headers: dict[str, str]


async def read_dead_letters(
    kafka_bootstrap: str, namespace: str, group: str, count: int = 1, within_s: float = 20.0
) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(
        dead_letter_topic(group).full_name(namespace),
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[DeadLetter] = []
    try:
        async with asyncio.timeout(within_s):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    found.extend(
                        DeadLetter(r.key, r.value, {k: v.decode() for k, v in r.headers}) for r in records
                    )
    finally:
        await consumer.stop()
    return found
