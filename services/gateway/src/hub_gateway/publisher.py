"""Publishing commands to Kafka: answered only once Kafka acknowledged (acks=all)."""

from __future__ import annotations

import asyncio

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CommandBase
from hub_contracts.topics import ASSESSMENT_COMMANDS
from hub_gateway.problems import ProblemError
from hub_gateway.settings import GatewaySettings

log = structlog.get_logger(__name__)

SOURCE = "//lextalent.ai/hub/gateway"


class CommandPublisher:
    def __init__(self, settings: GatewaySettings, send_timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.topic = ASSESSMENT_COMMANDS.full_name(settings.namespace)
        self.send_timeout_s = send_timeout_s
        self.producer: AIOKafkaProducer | None = None
        self._reconnect: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect now if Kafka answers; otherwise keep trying in the background. Until connected,
        commands get a 503 (the gateway still serves reads)."""
        if not await self._connect():
            self._reconnect = asyncio.create_task(self._keep_connecting())

    async def _connect(self) -> bool:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, client_id="hub-gateway",
            **self.settings.producer_options(),
        )
        try:
            await producer.start()
        except (KafkaError, OSError) as exc:
            log.warning("kafka.unavailable", error=type(exc).__name__)
            await producer.stop()
            return False
        self.producer = producer
        log.info("kafka.connected")
        return True

    async def _keep_connecting(self) -> None:
        delay = 1.0
        while not await self._connect():
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def stop(self) -> None:
        if self._reconnect is not None:
            self._reconnect.cancel()
        if self.producer is not None:
            await self.producer.stop()

    async def publish(self, command: CommandBase, traceparent: str | None) -> None:
        """Raises a 503 problem when Kafka does not acknowledge the command in time."""
        if self.producer is None:
            raise ProblemError(503, "service_unavailable", "Command bus not connected. Retry shortly.",
                               headers={"Retry-After": "2"})
        ce_type: str = type(command).model_fields["type"].default
        headers = make_headers(id=command.command_id, type=ce_type, source=SOURCE,
                               subject=command.assessment_id, traceparent=traceparent, time=command.issued_at)
        try:
            async with asyncio.timeout(self.send_timeout_s):  # no extra task per send, unlike wait_for
                await self.producer.send_and_wait(self.topic, command.to_json(), key=command.assessment_id.encode(),
                                                  headers=headers)
        except (KafkaError, TimeoutError) as exc:
            log.error("command.publish_failed", command_id=command.command_id, error=type(exc).__name__)
            raise ProblemError(503, "service_unavailable",
                               "We could not store the request. Nothing was created; retry with backoff.",
                               headers={"Retry-After": "5"}) from None
