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

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, client_id="hub-gateway",
            **self.settings.producer_options(),
        )
        await self.producer.start()

    async def stop(self) -> None:
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
            await asyncio.wait_for(
                self.producer.send_and_wait(self.topic, command.to_json(), key=command.assessment_id.encode(),
                                            headers=headers),
                self.send_timeout_s,
            )
        except (KafkaError, TimeoutError) as exc:
            log.error("command.publish_failed", command_id=command.command_id, error=type(exc).__name__)
            raise ProblemError(503, "service_unavailable",
                               "We could not store the request. Nothing was created; retry with backoff.",
                               headers={"Retry-After": "5"}) from None
