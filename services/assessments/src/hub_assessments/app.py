"""The assessments service: a FastStream app over Kafka with its state in Redis.

`create_app(settings)` builds everything and connects nothing; FastStream's lifespan connects.
Run: `faststream run hub_assessments.app:create_app --factory` or `hub-assessments`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from redis.asyncio import Redis

from hub_assessments.consumer import InputConsumer
from hub_assessments.expiry import ExpiryScheduler, OutboxSweeper
from hub_assessments.service import AssessmentService
from hub_assessments.settings import AssessmentsSettings
from hub_assessments.store import AssessmentStore, OutboxEntry
from hub_contracts.codec import ACTIVITY_ADAPTER, COMMAND_ADAPTER, SCORING_ADAPTER
from hub_contracts.runtime import configure_logging
from hub_contracts.topics import ASSESSMENT_COMMANDS, ASSESSMENT_EVENTS, CANDIDATE_ACTIVITY, SCORING_RESULTS


async def keep_raw_body(message: StreamMessage[Any]) -> bytes:
    """Hand the handler the raw bytes: decoding and validation failures must reach our dead-letter
    path, not FastStream's default JSON decoder (which would log and skip the record)."""
    return message.body


def create_broker(settings: AssessmentsSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id="hub-assessments",
        ack_policy=AckPolicy.MANUAL,
        graceful_timeout=15.0,
        **settings.producer_options(),
    )


def create_app(settings: AssessmentsSettings | None = None) -> FastStream:
    settings = settings or AssessmentsSettings()
    configure_logging("assessments", settings.log_level, settings.log_format)
    broker = create_broker(settings)
    ns = settings.namespace
    events_topic = ASSESSMENT_EVENTS.full_name(ns)
    state: dict[str, InputConsumer] = {}

    subscriber_options = {
        "decoder": keep_raw_body,
        "group_id": f"{ns}{settings.group_id}",
        "ack_policy": AckPolicy.MANUAL,
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": 120_000,
    }

    @broker.subscriber(ASSESSMENT_COMMANDS.full_name(ns), **subscriber_options,  # type: ignore[call-overload]
                       description="Assessment commands (hub_contracts.commands)")
    async def on_command(message: KafkaMessage) -> None:
        await state["consumer"].process(message, COMMAND_ADAPTER)

    @broker.subscriber(CANDIDATE_ACTIVITY.full_name(ns), **subscriber_options,  # type: ignore[call-overload]
                       description="Candidate activity (hub_contracts.activity)")
    async def on_activity(message: KafkaMessage) -> None:
        await state["consumer"].process(message, ACTIVITY_ADAPTER)

    @broker.subscriber(SCORING_RESULTS.full_name(ns), **subscriber_options,  # type: ignore[call-overload]
                       description="Scoring results (hub_contracts.scoring)")
    async def on_scoring(message: KafkaMessage) -> None:
        await state["consumer"].process(message, SCORING_ADAPTER)

    events_publisher = broker.publisher(events_topic, description="Assessment events (hub_contracts.events)")

    async def publish(entry: OutboxEntry) -> None:
        await events_publisher.publish(entry.body, key=entry.key.encode(), headers=dict(entry.headers))

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url.get_secret_value())
        service = AssessmentService(AssessmentStore(redis, ns), publish)
        state["consumer"] = InputConsumer(service, broker, settings)
        try:
            yield
        finally:
            await redis.aclose()

    app = FastStream(broker, lifespan=lifespan)

    @app.after_startup
    async def start_background() -> None:
        service = state["consumer"].service
        loop = asyncio.get_running_loop()
        background = [
            loop.create_task(ExpiryScheduler(service, settings.expiry_poll_interval_s, settings.expiry_lease_s).run()),
            loop.create_task(OutboxSweeper(service, settings.outbox_sweep_interval_s,
                                           settings.outbox_stale_after_s).run()),
        ]
        app_state["tasks"] = background

    @app.on_shutdown
    async def stop_background() -> None:
        for task in app_state.get("tasks", []):
            task.cancel()

    app_state: dict[str, list[asyncio.Task[None]]] = {}
    return app


def main() -> None:
    asyncio.run(create_app().run())
