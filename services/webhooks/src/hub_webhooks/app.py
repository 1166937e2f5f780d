"""The webhooks service: one process with the Kafka consumer, the delivery workers and the
internal management API (FastAPI; the broker and workers start in its lifespan).

Run: `hub-webhooks` (settings from `HUB_*` environment variables).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import uvicorn
from aiohttp.abc import AbstractResolver
from fastapi import FastAPI

from hub_contracts.runtime import configure_logging, tune_garbage_collector
from hub_webhooks.api import install_api
from hub_webhooks.clock import Clock, SystemClock
from hub_webhooks.service import WebhooksService
from hub_webhooks.settings import WebhooksSettings


def create_app(
    settings: WebhooksSettings | None = None,
    *,
    clock: Clock | None = None,
    resolver: AbstractResolver | None = None,
) -> FastAPI:
    """Builds the app; nothing connects until the lifespan runs."""
    settings = settings or WebhooksSettings()
    configure_logging("webhooks", settings.log_level, settings.log_format)
    chosen_clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Clients are created here, on the running loop.
        service = WebhooksService.build(settings, chosen_clock, resolver)
        await service.start()
        app.state.service = service
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="LexTalent hub webhooks (internal)", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    install_api(app)
    return app


def main() -> None:
    settings = WebhooksSettings()
    app = create_app(settings)
    tune_garbage_collector(settings.gc_gen0_threshold)  # the process's own (tests build apps in theirs)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )
