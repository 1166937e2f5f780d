"""A verifying webhook receiver for people trying the hub by hand (`hub listen`)."""

from __future__ import annotations

import asyncio
import json

import typer
from aiohttp import web
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hub_contracts.runtime import ServiceSettings


async def serve_verifying_receiver(settings: ServiceSettings, account_id: str, port: int, path: str) -> None:
    from hub_webhooks.secrets import account_signing_secret

    redis = Redis.from_url(settings.redis_url.get_secret_value())
    try:
        secret = await account_signing_secret(redis, settings.namespace, account_id)
    finally:
        await redis.aclose()
    verifier = Webhook(secret)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            payload = verifier.verify(body, headers)
        except WebhookVerificationError as exc:
            typer.echo(f"REJECTED {headers.get('webhook-id')}: {exc}")
            return web.Response(status=400)
        typer.echo(f"verified {headers['webhook-id']} {payload['type']}: "
                   f"{json.dumps(payload['data'].get('status'))} v{payload['data'].get('version')}")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post(path, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    typer.echo(f"listening on http://127.0.0.1:{port}{path} (Ctrl-C stops)")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
