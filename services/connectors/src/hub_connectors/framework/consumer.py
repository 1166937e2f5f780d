"""One consumer per connector: its own group, its own retries, its own dead-letter topic.

A vendor that is down only holds back its own consumer group; every other connector reads the
assessment events on its own offsets. Events are handled in order per partition (so per
assessment), retried with exponential backoff (honouring Retry-After) for up to `retry_budget_s`
of clock time, then dead-lettered. Offsets are committed (manual ack) only after the push
succeeded, was skipped, or was dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from faststream.kafka.message import KafkaMessage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.framework.integrations import IntegrationStatus
from hub_connectors.framework.registry import consumer_group
from hub_contracts.codec import EVENT_ADAPTER, UndecodableMessage, decode
from hub_contracts.dead_letters import dead_letter_headers
from hub_contracts.events import EventBase
from hub_contracts.topics import dead_letter_topic

log = structlog.get_logger(__name__)

DeadLetterPublish = Callable[[bytes, str, bytes | None, dict[str, str]], Awaitable[None]]
TRANSIENT_INFRA = (RedisConnectionError, RedisTimeoutError)


class EventConsumer:
    def __init__(
        self, connector: ConnectorBase[Any], ctx: ConnectorContext, publish_dead_letter: DeadLetterPublish
    ):
        self.connector = connector
        self.ctx = ctx
        self.group = consumer_group(connector.name)
        self.dlq_topic = dead_letter_topic(self.group).full_name(ctx.namespace)
        self._publish_dead_letter = publish_dead_letter

    async def process(self, message: KafkaMessage) -> None:
        headers = dict(message.headers)
        try:
            event = decode(EVENT_ADAPTER, message.body, headers.get("ce_type"))
        except UndecodableMessage as exc:
            await self._dead_letter_and_ack(message, headers, exc.reason, 0)
            return
        try:
            outcome = await self._deliver(event)
        except asyncio.CancelledError:
            raise
        except _GiveUpError as exc:
            await self._dead_letter_and_ack(message, headers, exc.reason, exc.attempts)
            return
        log.debug(
            "connector.event",
            connector=self.connector.name,
            event_type=event_type(event),
            assessment_id=event.assessment_id,
            version=event.version,
            outcome=outcome,
        )
        await message.ack()

    async def _deliver(self, event: EventBase) -> str:
        name = self.connector.name
        if event.snapshot.source != name:
            return "not_ours"
        links = self.ctx.links
        link = await links.get(event.assessment_id)
        if link is None or link.connector != name:
            return "no_link"
        if event.version <= await links.pushed_version(name, event.assessment_id):
            return "stale"
        settings = self.ctx.settings
        started = self.ctx.clock.now()
        attempts = unexpected = 0
        while True:
            attempts += 1
            integration = await self.ctx.integrations.get(link.integration_id)
            if integration is None or not self.connector.handles_events_of(integration):
                return "integration_inactive"
            link = await links.get(event.assessment_id) or link
            try:
                await self.connector.handle_event(event, integration, link)
                break
            except RetryableError as exc:
                elapsed = self.ctx.clock.now() - started
                if attempts == 1:
                    await self.ctx.integrations.record_error(
                        integration, "outbound", exc.detail, {"event": event_type(event), "retrying": True}
                    )
                if elapsed >= settings.retry_budget_s:
                    await self.ctx.integrations.record_error(
                        integration, "outbound", exc.detail, {"event": event_type(event), "gave_up": True}
                    )
                    raise _GiveUpError(f"retry budget exhausted: {exc.detail}", attempts) from None
                backoff = min(settings.retry_max_s, settings.retry_initial_s * 2 ** min(attempts - 1, 30))
                delay = max(backoff, exc.retry_after or 0.0)
                log.warning(
                    "connector.retry",
                    connector=name,
                    assessment_id=event.assessment_id,
                    attempt=attempts,
                    delay_s=delay,
                    error=exc.detail[:200],
                )
                await self.ctx.clock.sleep(delay)
            except PermanentError as exc:
                status = IntegrationStatus.ERROR if isinstance(exc, VendorAuthError) else None
                await self.ctx.integrations.record_error(
                    integration, "outbound", exc.detail, {"event": event_type(event)}, status=status
                )
                raise _GiveUpError(f"permanent: {exc.detail}", attempts) from None
            except TRANSIENT_INFRA as exc:
                log.warning("connector.infra_retry", connector=name, error=repr(exc))
                await asyncio.sleep(settings.retry_initial_s)
            except Exception as exc:
                unexpected += 1
                log.exception("connector.unexpected", connector=name, assessment_id=event.assessment_id)
                if unexpected >= settings.unexpected_error_retries:
                    raise _GiveUpError(f"{type(exc).__name__}: {exc}", attempts) from None
                await asyncio.sleep(settings.retry_initial_s)
        await links.mark_pushed(name, event.assessment_id, event.version)
        return "pushed"

    async def _dead_letter_and_ack(
        self, message: KafkaMessage, headers: dict[str, str], reason: str, attempts: int
    ) -> None:
        record: Any = message.raw_message
        log.warning(
            "connector.dead_lettered",
            connector=self.connector.name,
            offset=record.offset,
            reason=reason[:300],
        )
        try:
            await self._publish_dead_letter(
                message.body,
                self.dlq_topic,
                record.key,
                dead_letter_headers(record, headers, self.group, reason, attempts),
            )
        except Exception:
            log.exception("connector.dead_letter_failed", connector=self.connector.name)
            await message.nack()  # not stored anywhere: come back to it
            await asyncio.sleep(1.0)
            return
        await message.ack()


def event_type(event: EventBase) -> str:
    return str(getattr(event, "type", "unknown"))


class _GiveUpError(Exception):
    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
