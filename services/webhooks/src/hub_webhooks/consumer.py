"""From the assessment events topic to stored deliveries, then (only then) the Kafka offset.

Records come in batches; each event is fanned out in one Lua script (deliveries, schedule and
indexes at once, a marker making a re-consumed event change nothing). The same script leases the
first attempts this worker has free slots for, so they start without a claim round trip; the
rest are due or parked behind their destination. The batch's offsets are committed after all of it
is stored, in the background (`offsets.BackgroundCommits`: the next poll does not wait for the
commit); a record that is not a valid event goes to the dead-letter topic. If Redis stays
unreachable the batch is rewound and comes back.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import structlog
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from hub_contracts.cloudevents import headers_to_dict
from hub_contracts.codec import EVENT_ADAPTER, UndecodableMessage, decode
from hub_contracts.dead_letters import dead_letter_headers
from hub_contracts.events import EventBase
from hub_contracts.topics import dead_letter_topic
from hub_webhooks.cache import TtlCache
from hub_webhooks.clock import Clock
from hub_webhooks.destinations import deliveries_for
from hub_webhooks.dispatcher import Dispatcher
from hub_webhooks.endpoints import EndpointRecord, EndpointStore
from hub_webhooks.offsets import BackgroundCommits
from hub_webhooks.store import DeliveryStore

log = structlog.get_logger(__name__)

TRANSIENT_RETRIES = 5
FAN_OUT_CHUNK = 100


class AccountEndpoints:
    """The endpoints of an account, cached for a moment (the hot path reads them per event)."""

    def __init__(self, endpoints: EndpointStore, cache_s: float) -> None:
        self.endpoints = endpoints
        self._cache: TtlCache[list[EndpointRecord]] = TtlCache(cache_s)

    async def of(self, account_id: str) -> list[EndpointRecord]:
        return await self._cache.get(account_id, lambda: self.endpoints.list_for_account(account_id))


class EventConsumer:
    def __init__(
        self,
        store: DeliveryStore,
        endpoints: AccountEndpoints,
        broker: KafkaBroker,
        clock: Clock,
        *,
        namespace: str,
        group_id: str,
        dedupe_ttl_s: int,
        dispatcher: Dispatcher,
    ) -> None:
        self.store = store
        self.endpoints = endpoints
        self.broker = broker
        self.clock = clock
        self.group_id = group_id
        self.dedupe_ttl_s = dedupe_ttl_s
        self.dispatcher = dispatcher
        self.commits = BackgroundCommits()
        self.dlq_topic = dead_letter_topic(group_id).full_name(namespace)

    async def process_batch(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        records: Sequence[Any] = raw if isinstance(raw, tuple) else (raw,)
        try:
            events = []
            for record in records:
                event = await self._decode_or_dead_letter(record)
                if event is not None:
                    events.append(event)
            for start in range(0, len(events), FAN_OUT_CHUNK):
                chunk = events[start : start + FAN_OUT_CHUNK]
                await self._with_retries(functools.partial(self.fan_out, chunk))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("events.batch_failed", size=len(records))
            await message.nack()
            await asyncio.sleep(1.0)
            return
        self.commits.stored(cast(AIOKafkaConsumer, message.consumer), records)

    async def _with_retries(self, step: Callable[[], Awaitable[object]]) -> None:
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                await step()
                return
            except (ConnectionError, TimeoutError, OSError) as exc:
                if attempt == TRANSIENT_RETRIES:
                    raise
                log.warning("events.transient_error", error=repr(exc), attempt=attempt)
                await asyncio.sleep(0.2 * 2 ** (attempt - 1))

    async def _decode_or_dead_letter(self, record: Any) -> EventBase | None:
        headers = headers_to_dict(record.headers)
        try:
            event: EventBase = decode(EVENT_ADAPTER, record.value or b"", headers.get("ce_type"))
        except UndecodableMessage as exc:
            await self._dead_letter(record, headers, exc.reason)
            return None
        return event

    async def fan_out(self, events: Sequence[EventBase]) -> int:
        """Store the deliveries of these events in one step and start the first attempts this worker
        has slots for; the number of new deliveries."""
        planned = [(e.event_id, deliveries_for(e, await self.endpoints.of(e.account_id))) for e in events]
        reserved = self.dispatcher.reserve(sum(len(deliveries) for _, deliveries in planned))
        try:
            result = await self.store.fan_out_many(
                planned, self.clock.now_ms(), self.dedupe_ttl_s, lease_budget=reserved
            )
        except BaseException:
            self.dispatcher.launch([], reserved)
            raise
        self.dispatcher.launch(result.leased, reserved)
        created = sum(r for r in result.created if r > 0)
        if created > len(result.leased):
            self.dispatcher.wake()
        return created

    async def _dead_letter(self, record: Any, headers: dict[str, str], reason: str) -> None:
        log.warning(
            "events.dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason[:300],
        )
        out = dead_letter_headers(record, headers, self.group_id, reason, attempts=1)
        await self.broker.publish(record.value or b"", self.dlq_topic, key=record.key, headers=out)
