"""Turning batches of Kafka records into service calls: decode, retry transient errors, dead-letter the rest.

Records of one batch are grouped by key (the assessment id): each group runs in order, groups run
side by side. Offsets are committed by hand (AckPolicy.MANUAL), once per batch, only after every
record of it is stored or dead-lettered. If even the dead-letter topic cannot take one, the batch
is rewound (every partition to its first record) and comes back: the seen-set makes the records
already applied change nothing the second time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pydantic import TypeAdapter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub_assessments.outbox import HeldEntries
from hub_assessments.service import AssessmentService, Handled, UnknownAssessmentError
from hub_assessments.settings import AssessmentsSettings
from hub_contracts.cloudevents import headers_to_dict
from hub_contracts.codec import UndecodableMessage, decode
from hub_contracts.dead_letters import dead_letter_headers
from hub_contracts.topics import dead_letter_topic

log = structlog.get_logger(__name__)

TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


@dataclass
class Prepared:
    """A record with its headers and what it decoded to (or why not)."""

    record: ConsumerRecord[Any, Any]
    headers: dict[str, str]
    decoded: Any
    outcome: Handled | BaseException | None = None  # of the batch path, when it took the record


def prepare(record: ConsumerRecord[Any, Any], adapter: TypeAdapter[Any]) -> Prepared:
    headers = headers_to_dict(record.headers)
    try:
        decoded = decode(adapter, record.value or b"", headers.get("ce_type"))
    except UndecodableMessage as exc:
        decoded = exc
    return Prepared(record, headers, decoded)


class DeadLetterUnavailableError(RuntimeError):
    """The dead-letter topic did not take a record: the batch must not be committed."""


class InputConsumer:
    def __init__(
        self, service: AssessmentService, broker: KafkaBroker, settings: AssessmentsSettings
    ) -> None:
        self.service = service
        self.broker = broker
        self.settings = settings
        self.dlq_topic = dead_letter_topic(settings.group_id).full_name(settings.namespace)
        self.gate = asyncio.Semaphore(settings.batch_concurrency)

    async def process_batch(self, message: KafkaMessage, adapter: TypeAdapter[Any]) -> None:
        raw = message.raw_message
        records: Sequence[ConsumerRecord[Any, Any]] = raw if isinstance(raw, tuple) else (raw,)
        groups: dict[bytes | None, list[Prepared]] = defaultdict(list)
        for record in records:
            groups[record.key].append(prepare(record, adapter))
        held: list[HeldEntries] = []
        await self._first_inputs_together(groups, held)
        rewind = False
        try:
            async with asyncio.TaskGroup() as tasks:
                for group in groups.values():
                    tasks.create_task(self._process_in_order(group, held))
        except* DeadLetterUnavailableError:
            rewind = True
        await self.service.finish(held)
        if rewind:
            log.error("input.batch_rewound", records=len(records))
            await message.nack()
            await asyncio.sleep(1.0)
        else:
            await message.ack()

    async def _first_inputs_together(
        self, groups: dict[bytes | None, list[Prepared]], held: list[HeldEntries]
    ) -> None:
        """The first input of every assessment of the batch: read, committed and published in
        bulk (one pipeline each way). Whatever does not come out of it cleanly (a version conflict,
        an error) goes through the one-by-one path with its retries and dead letters."""
        firsts: dict[str, Prepared] = {}
        for group in groups.values():
            first = group[0]
            if not isinstance(first.decoded, UndecodableMessage):
                firsts.setdefault(first.decoded.assessment_id, first)
        if not firsts:
            return
        chosen = list(firsts.values())
        try:
            stored = await self.service.store.load_many([p.decoded.assessment_id for p in chosen])
            outcomes = await self.service.handle_many(
                [(p.decoded, p.headers.get("traceparent"), s) for p, s in zip(chosen, stored, strict=True)],
                held,
            )
        except Exception as exc:
            log.warning("input.batch_path_failed", error=repr(exc), records=len(chosen))
            return
        for prepared, outcome in zip(chosen, outcomes, strict=True):
            prepared.outcome = outcome

    async def _process_in_order(self, group: list[Prepared], held: list[HeldEntries]) -> None:
        async with self.gate:
            for prepared in group:
                if isinstance(prepared.outcome, Handled):
                    continue
                if isinstance(prepared.outcome, UnknownAssessmentError):
                    await self._dead_letter(
                        prepared.record, prepared.headers, f"unknown_assessment: {prepared.outcome}", 1
                    )
                    continue
                await self.process_record(prepared, held)

    async def process_record(self, prepared: Prepared, held: list[HeldEntries] | None = None) -> None:
        """Apply one record, or dead-letter it with the reason; raises only DeadLetterUnavailableError."""
        record, headers, decoded = prepared.record, prepared.headers, prepared.decoded
        attempts = 0
        try:
            if isinstance(decoded, UndecodableMessage):
                raise decoded
            while True:
                attempts += 1
                try:
                    await self.service.handle(decoded, traceparent=headers.get("traceparent"), held=held)
                    return
                except TRANSIENT as exc:
                    if attempts >= self.settings.transient_retries:
                        raise
                    log.warning("input.transient_error", error=repr(exc), attempt=attempts)
                    await asyncio.sleep(self.settings.transient_backoff_s * 2 ** (attempts - 1))
        except asyncio.CancelledError:
            raise
        except UndecodableMessage as exc:
            reason = exc.reason
        except UnknownAssessmentError as exc:
            reason = f"unknown_assessment: {exc}"
        except Exception as exc:
            log.exception("input.failed", topic=record.topic, offset=record.offset)
            reason = f"{type(exc).__name__}: {exc}"
        await self._dead_letter(record, headers, reason, attempts)

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], headers: dict[str, str], reason: str, attempts: int
    ) -> None:
        log.warning(
            "input.dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason[:300],
        )
        try:
            await self.broker.publish(
                record.value,
                self.dlq_topic,
                key=record.key,
                headers=dead_letter_headers(record, headers, self.settings.group_id, reason, attempts),
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("input.dead_letter_failed", offset=record.offset)
            raise DeadLetterUnavailableError(str(exc)) from exc
