"""Turning Kafka records into service calls: decode, retry transient errors, dead-letter the rest.

Offsets are committed by hand (AckPolicy.MANUAL) only once the input is stored or dead-lettered.
If even the dead-letter topic cannot take it, the record is not committed and comes back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pydantic import TypeAdapter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub_assessments.dead_letters import dead_letter_headers
from hub_assessments.service import AssessmentService, UnknownAssessment
from hub_assessments.settings import AssessmentsSettings
from hub_contracts.codec import UndecodableMessage, decode
from hub_contracts.topics import dead_letter_topic

log = structlog.get_logger(__name__)

TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


class InputConsumer:
    def __init__(self, service: AssessmentService, broker: KafkaBroker, settings: AssessmentsSettings) -> None:
        self.service = service
        self.broker = broker
        self.settings = settings
        self.dlq_topic = dead_letter_topic(settings.group_id).full_name(settings.namespace)

    async def process(self, message: KafkaMessage, adapter: TypeAdapter[Any]) -> None:
        record = message.raw_message
        headers = dict(message.headers)
        attempts = 0
        try:
            decoded = decode(adapter, message.body, headers.get("ce_type"))
            while True:
                attempts += 1
                try:
                    await self.service.handle(decoded, traceparent=headers.get("traceparent"))
                    break
                except TRANSIENT as exc:
                    if attempts >= self.settings.transient_retries:
                        raise
                    log.warning("input.transient_error", error=repr(exc), attempt=attempts)
                    await asyncio.sleep(self.settings.transient_backoff_s * 2 ** (attempts - 1))
        except asyncio.CancelledError:
            raise
        except UndecodableMessage as exc:
            await self._dead_letter_or_rewind(message, headers, exc.reason, attempts)
            return
        except UnknownAssessment as exc:
            await self._dead_letter_or_rewind(message, headers, f"unknown_assessment: {exc}", attempts)
            return
        except Exception as exc:
            log.exception("input.failed", topic=record.topic, offset=record.offset)
            await self._dead_letter_or_rewind(message, headers, f"{type(exc).__name__}: {exc}", attempts)
            return
        await message.ack()

    async def _dead_letter_or_rewind(
        self, message: KafkaMessage, headers: dict[str, str], reason: str, attempts: int,
    ) -> None:
        try:
            await self._dead_letter(message, headers, reason, attempts)
        except Exception:
            # Not even the dead-letter topic took it: rewind to this record so nothing is skipped.
            log.exception("input.dead_letter_failed", offset=message.raw_message.offset)
            await message.nack()
            await asyncio.sleep(1.0)
            return
        await message.ack()

    async def _dead_letter(self, message: KafkaMessage, headers: dict[str, str], reason: str, attempts: int) -> None:
        record = message.raw_message
        log.warning("input.dead_lettered", topic=record.topic, partition=record.partition, offset=record.offset,
                    reason=reason[:300])
        await self.broker.publish(
            message.body, self.dlq_topic, key=record.key,
            headers=dead_letter_headers(record, headers, self.settings.group_id, reason, attempts),
        )
