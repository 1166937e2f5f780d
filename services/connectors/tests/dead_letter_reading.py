"""Reading a dead-letter topic in tests."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from hub_contracts.topics import dead_letter_topic


async def first_dead_letter(
    bootstrap: str, namespace: str, group: str, within_s: float = 20.0
) -> ConsumerRecord:
    consumer = AIOKafkaConsumer(
        dead_letter_topic(group).full_name(namespace),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{namespace}dlq-reader-{uuid.uuid4().hex}",
    )
    await consumer.start()
    try:
        return await asyncio.wait_for(consumer.getone(), within_s)
    finally:
        await consumer.stop()
