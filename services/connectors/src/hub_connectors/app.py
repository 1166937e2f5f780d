"""The connectors service: one process with the inbound FastAPI app and every connector's consumer.

`create_app(settings)` builds everything and connects nothing; the FastAPI lifespan opens Redis,
the HTTP session and the Kafka broker (whose subscribers are the per-connector consumers).
Run: `hub-connectors` (uvicorn on `HUB_HTTP_HOST:HUB_HTTP_PORT`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic_settings import BaseSettings

from hub_connectors.framework.clock import Clock, SystemClock
from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.consumer import EventConsumer
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.management_api import management_router
from hub_connectors.framework.problems import ProblemError, bad_request, problem_response
from hub_connectors.framework.registry import build_connectors, consumer_group
from hub_connectors.settings import ConnectorsSettings
from hub_contracts.cloudevents import KafkaHeaders
from hub_contracts.runtime import configure_logging
from hub_contracts.topics import ASSESSMENT_COMMANDS, ASSESSMENT_EVENTS


async def keep_raw_body(message: StreamMessage[Any]) -> bytes:
    """Raw bytes to the handler, so undecodable records reach our dead-letter path."""
    return message.body


def create_broker(settings: ConnectorsSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id="hub-connectors",
        ack_policy=AckPolicy.MANUAL,
        graceful_timeout=5.0,
        log_level=logging.DEBUG,  # per-message "Received/Processed" lines only at DEBUG
        **settings.producer_options(),
    )


def subscribe_connector(
    broker: KafkaBroker, connector: ConnectorBase[Any], consumer: EventConsumer, settings: ConnectorsSettings
) -> None:
    ns = settings.namespace
    # A handler may wait out a vendor outage for up to retry_budget_s: stay in the group meanwhile.
    poll_interval_ms = int((settings.retry_budget_s + settings.retry_max_s + 60) * 1000)

    @broker.subscriber(
        ASSESSMENT_EVENTS.full_name(ns),
        group_id=f"{ns}{consumer_group(connector.name)}",
        decoder=keep_raw_body,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        max_poll_interval_ms=poll_interval_ms,
        description=f"Assessment events → {connector.display_name}",
        title=f"{consumer_group(connector.name)}:events",
    )
    async def on_event(message: KafkaMessage) -> None:
        await consumer.process(message)


def create_app(
    settings: ConnectorsSettings | None = None,
    *,
    clock: Clock | None = None,
    vendor_settings: dict[str, BaseSettings] | None = None,
    enabled: list[str] | None = None,
) -> FastAPI:
    """`vendor_settings` and `clock` are for tests (fake vendor URLs, injected time)."""
    settings = settings or ConnectorsSettings()
    configure_logging("connectors", settings.log_level, settings.log_format)
    ctx = ConnectorContext(settings, clock or SystemClock())
    connectors = build_connectors(ctx, vendor_settings, enabled)
    broker = create_broker(settings)
    commands_topic = ASSESSMENT_COMMANDS.full_name(settings.namespace)

    async def publish_command(body: bytes, key: str, headers: KafkaHeaders) -> None:
        await broker.publish(
            body, commands_topic, key=key.encode(), headers={k: v.decode() for k, v in headers}
        )

    async def publish_dead_letter(
        body: bytes, topic: str, key: bytes | None, headers: dict[str, str]
    ) -> None:
        await broker.publish(body, topic, key=key, headers=headers)

    for connector in connectors.values():
        subscribe_connector(broker, connector, EventConsumer(connector, ctx, publish_dead_letter), settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ctx.start(publish_command)
        try:
            await broker.start()
            yield
        finally:
            await broker.stop()
            await ctx.stop()

    app = FastAPI(title="LexTalent connectors", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.ctx = ctx
    app.state.connectors = connectors
    app.state.broker = broker

    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return problem_response(bad_request("The request is not valid.", errors), request)

    app.include_router(management_router(ctx, connectors))
    for connector in connectors.values():
        app.include_router(connector.router(), prefix=f"/connectors/{connector.name}")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "connectors": sorted(connectors)}

    return app


def main() -> None:
    settings = ConnectorsSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )


def rotate_keys_main() -> None:
    """`hub-connectors-rotate-keys`: re-encrypt stored secrets under the first HUB_CREDENTIALS_KEYS key."""
    import asyncio

    import orjson

    async def run() -> dict[str, int]:
        ctx = ConnectorContext(ConnectorsSettings(), SystemClock())

        async def no_publish(body: bytes, key: str, headers: KafkaHeaders) -> None:
            raise RuntimeError("rotation publishes nothing")

        await ctx.start(no_publish)
        try:
            return await ctx.rotate_keys()
        finally:
            await ctx.stop()

    print(orjson.dumps(asyncio.run(run())).decode())  # noqa: T201 (CLI output)
