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
    try:
        yield
    finally:
        app.exit()
        await asyncio.wait_for(task, 30)
