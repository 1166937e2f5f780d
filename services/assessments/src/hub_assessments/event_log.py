"""Reading the assessment event topic back: which event ids are already published, and the whole
history for `rebuild`.

Uses a plain AIOKafkaConsumer without a group (assigned partitions, no offsets committed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.partitioner import DefaultPartitioner


@dataclass(frozen=True)
class Suspect:
    """An outbox entry an earlier publisher may have sent before it died."""

    event_id: str
    key: str
    not_before_ms: int


def record_event_id(record: ConsumerRecord[Any, Any]) -> str | None:
    for name, value in record.headers or ():
        if name == "ce_id":
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


class TopicLog:
    def __init__(self, bootstrap_servers: str, topic: str, *, fetch_max_records: int = 2000) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.fetch_max_records = fetch_max_records

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            client_id="hub-assessments-log",
        )

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        # aiokafka's consumer has no public awaitable "partitions of a topic I am not subscribed to"
        cluster = await consumer._client.fetch_all_metadata()
        numbers = sorted(cluster.partitions_for_topic(self.topic) or ())
        if not numbers:
            raise LookupError(f"topic {self.topic} not found")
        return [TopicPartition(self.topic, n) for n in numbers]

    async def published_ids(self, suspects: Iterable[Suspect], margin_ms: int) -> set[str]:
        """Which of the suspects' event ids are in the topic: each key's partition is read from the
        first record at or after (its oldest suspect's commit time - margin) to the current end."""
        wanted = list(suspects)
        if not wanted:
            return set()
        consumer = self._consumer()
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            numbers = [tp.partition for tp in partitions]
            start_ms: dict[TopicPartition, int] = {}
            ids: set[str] = set()
            for suspect in wanted:
                ids.add(suspect.event_id)
                partition = DefaultPartitioner()(suspect.key.encode(), numbers, numbers)
                tp = TopicPartition(self.topic, partition)
                start_ms[tp] = min(start_ms.get(tp, suspect.not_before_ms), suspect.not_before_ms)
            consumer.assign(list(start_ms))  # makes the consumer track the topic's metadata (leaders)
            starts = await consumer.offsets_for_times(
                {tp: max(0, ms - margin_ms) for tp, ms in start_ms.items()}
            )
            ends = await consumer.end_offsets(list(start_ms))
            ranges = {
                tp: (found.offset, ends[tp])
                for tp, found in starts.items()
                if found is not None and found.offset < ends[tp]
            }
            published: set[str] = set()
            async for record in self._read(consumer, ranges):
                event_id = record_event_id(record)
                if event_id in ids:
                    published.add(event_id)
            return published
        finally:
            await consumer.stop()

    async def history(
        self,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> AsyncIterator[ConsumerRecord[Any, Any]]:
        """Every record of the topic from the beginning to the end offsets taken at the start."""
        consumer = self._consumer()
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            consumer.assign(partitions)
            begins = await consumer.beginning_offsets(partitions)
            ends = await consumer.end_offsets(partitions)
            ranges = {tp: (begins[tp], ends[tp]) for tp in partitions if begins[tp] < ends[tp]}
            total = sum(end - begin for begin, end in ranges.values())
            done = 0
            if on_progress:
                on_progress(0, total)
            async for record in self._read(consumer, ranges):
                done += 1
                if on_progress and (done % 500 == 0 or done == total):
                    on_progress(done, total)
                yield record
            if on_progress:
                on_progress(total, total)
        finally:
            await consumer.stop()

    async def _read(
        self,
        consumer: AIOKafkaConsumer,
        ranges: dict[TopicPartition, tuple[int, int]],
    ) -> AsyncIterator[ConsumerRecord[Any, Any]]:
        """Records of each partition in [start, end), partition order kept."""
        if not ranges:
            return
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        remaining = dict(ranges)
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=self.fetch_max_records)
            by_partition: dict[TopicPartition, list[ConsumerRecord[Any, Any]]] = defaultdict(list)
            for tp, records in batch.items():
                by_partition[tp].extend(records)
            for tp, records in by_partition.items():
                end = remaining[tp][1]
                for record in records:
                    if record.offset < end:
                        yield record
                if await consumer.position(tp) >= end:
                    remaining.pop(tp, None)
                    consumer.pause(tp)
            for tp in list(remaining):
                # transaction markers and compaction gaps: the position may pass `end` without a record
                if await consumer.position(tp) >= remaining[tp][1]:
                    remaining.pop(tp)
                    consumer.pause(tp)
