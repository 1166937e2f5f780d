"""Running the real assessments service in-process for gateway tests that need state changes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from hub_assessments.app import create_app
from hub_assessments.settings import AssessmentsSettings
from hub_gateway.settings import GatewaySettings


@contextlib.asynccontextmanager
async def running_assessments(settings: GatewaySettings) -> AsyncIterator[None]:
    app = create_app(AssessmentsSettings(kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
                                         redis_url=settings.redis_url, namespace=settings.namespace))
    task = asyncio.create_task(app.run())
    await asyncio.sleep(0)
    await _wait_until_consuming(settings)
    try:
        yield
    finally:
        app.exit()
        await asyncio.wait_for(task, 30)


async def _wait_until_consuming(settings: GatewaySettings, timeout_s: float = 60) -> None:
    """Until the service's consumers joined their group: a probe command gets its outcome."""
    from redis.asyncio import Redis

    from hub_contracts.base import new_id, utcnow
    from hub_contracts.commands import CancelAssessment
    from hub_contracts.read_model import AssessmentKeys
    from hub_gateway.publisher import CommandPublisher

    publisher = CommandPublisher(settings)
    await publisher.start()
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    try:
        probe = CancelAssessment(command_id=new_id("cmd"), assessment_id="asmt_probe0000000",
                                 account_id="acct_probe0000", livemode=False, issued_at=utcnow())
        await publisher.publish(probe, None)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await redis.exists(AssessmentKeys(settings.namespace).command_outcome(probe.command_id)):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the assessments service did not start consuming")
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()
        await publisher.stop()
