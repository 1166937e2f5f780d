"""Everything one webhooks process runs, wired together and started/stopped as a unit."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp.abc import AbstractResolver
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from redis.asyncio import Redis

from hub_contracts.topics import ASSESSMENT_EVENTS
from hub_webhooks.clock import Clock
from hub_webhooks.consumer import AccountEndpoints, EventConsumer
from hub_webhooks.dispatcher import Dispatcher
from hub_webhooks.endpoints import EndpointStore
from hub_webhooks.policy import RetryPolicy
from hub_webhooks.sender import Sender
from hub_webhooks.settings import WebhooksSettings
from hub_webhooks.signing_keys import SigningKeys
from hub_webhooks.ssrf import GuardedResolver, TargetPolicy
from hub_webhooks.store import DeliveryStore, Limits


async def keep_raw_body(message: object) -> object:
    """The handler reads the raw records: decoding failures must reach our dead-letter path."""
    return getattr(message, "body", None)


def target_policy(settings: WebhooksSettings) -> TargetPolicy:
    return TargetPolicy(
        allow_private=settings.allow_private_targets,
        allowed_hosts=tuple(settings.allowed_hosts),
        require_https=settings.require_https,
    )


def retry_policy(settings: WebhooksSettings) -> RetryPolicy:
    return RetryPolicy(
        schedule_s=tuple(settings.retry_schedule_s),
        jitter_fraction=settings.jitter_fraction,
        overload_floor_s=settings.overload_floor_s,
        retry_after_max_s=settings.retry_after_max_s,
    )


def limits(settings: WebhooksSettings) -> Limits:
    return Limits(
        lease_ms=int(settings.lease_s * 1000),
        defer_ms=settings.defer_ms,
        max_concurrency=settings.endpoint_max_concurrency,
        rate_per_s=settings.endpoint_rate_per_s,
        burst=settings.endpoint_burst,
        breaker_threshold=settings.breaker_failure_threshold,
        breaker_cooldown_ms=int(settings.breaker_cooldown_s * 1000),
        retention_s=settings.delivery_retention_s,
    )


@dataclass
class WebhooksService:
    settings: WebhooksSettings
    broker: KafkaBroker
    redis: Redis
    store: DeliveryStore
    endpoints: EndpointStore
    consumer: EventConsumer
    dispatcher: Dispatcher
    sender: Sender
    policy: TargetPolicy
    resolver: GuardedResolver
    clock: Clock

    @classmethod
    def build(
        cls,
        settings: WebhooksSettings,
        clock: Clock,
        resolver: AbstractResolver | None = None,
    ) -> WebhooksService:
        ns = settings.namespace
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            client_id="hub-webhooks",
            ack_policy=AckPolicy.MANUAL,
            graceful_timeout=10.0,
            **settings.producer_options(),
        )
        redis = Redis.from_url(settings.redis_url.get_secret_value(), max_connections=256)
        policy = target_policy(settings)
        guarded = GuardedResolver(policy, resolver)
        sender = Sender(
            policy,
            guarded,
            connect_timeout_s=settings.connect_timeout_s,
            total_timeout_s=settings.total_timeout_s,
            body_cap=settings.response_body_cap_bytes,
            user_agent=settings.user_agent,
        )
        store = DeliveryStore(redis, ns, limits(settings))
        endpoints = EndpointStore(redis, ns)
        keys = SigningKeys(redis, ns, endpoints, settings.secret_cache_s)
        dispatcher = Dispatcher(
            store,
            sender,
            keys,
            endpoints,
            retry_policy(settings),
            clock,
            concurrency=settings.delivery_concurrency,
            claim_batch=settings.claim_batch,
            poll_interval_s=settings.poll_interval_s,
            reap_interval_s=settings.reap_interval_s,
            claimers=settings.claimers,
        )
        consumer = EventConsumer(
            store,
            AccountEndpoints(endpoints, settings.secret_cache_s),
            broker,
            clock,
            namespace=ns,
            group_id=settings.group_id,
            dedupe_ttl_s=settings.event_dedupe_ttl_s,
            dispatcher=dispatcher,
        )

        @broker.subscriber(
            ASSESSMENT_EVENTS.full_name(ns),
            batch=True,
            max_records=settings.consumer_batch,
            batch_timeout_ms=settings.consumer_batch_timeout_ms,
            decoder=keep_raw_body,
            group_id=f"{ns}{settings.group_id}",
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            max_poll_interval_ms=120_000,
            description="Assessment events (hub_contracts.events), fanned out to webhooks",
        )
        async def on_events(message: KafkaMessage) -> None:
            await consumer.process_batch(message)

        return cls(
            settings=settings,
            broker=broker,
            redis=redis,
            store=store,
            endpoints=endpoints,
            consumer=consumer,
            dispatcher=dispatcher,
            sender=sender,
            policy=policy,
            resolver=guarded,
            clock=clock,
        )

    async def start(self) -> None:
        await self.sender.start()
        self.dispatcher.start()
        await self.broker.start()

    async def stop(self) -> None:
        try:
            await self.consumer.commits.flush()  # before the Kafka consumer closes
            await self.broker.stop()
        finally:
            await self.dispatcher.stop()
            await self.sender.close()
            await self.redis.aclose()
