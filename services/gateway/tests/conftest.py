"""The real gateway served by uvicorn on a loopback port, over real Kafka and Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_devtools.brokers import free_port
from hub_gateway.accounts import AccountAdmin
from hub_gateway.app import create_app
from hub_gateway.settings import GatewaySettings

SECRET = "test-api-key-secret"


@dataclass
class Account:
    id: str
    live_key: str
    test_key: str

    def headers(self, mode: str = "live") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.live_key if mode == 'live' else self.test_key}"}


@contextlib.asynccontextmanager
async def serve_gateway(settings: GatewaySettings) -> AsyncIterator[str]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.http_port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


@pytest.fixture
def gateway_settings(kafka_bootstrap: str, redis_url: str, topics: str) -> GatewaySettings:
    return GatewaySettings(kafka_bootstrap_servers=kafka_bootstrap, redis_url=redis_url, namespace=topics,
                           http_port=free_port(), api_key_secret=SECRET, command_wait_s=5.0,
                           key_cache_ttl_s=1.0)


@pytest.fixture
async def gateway(gateway_settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_gateway(gateway_settings) as url, httpx.AsyncClient(base_url=url, timeout=20) as client:
        yield client


async def make_account(redis: Redis, namespace: str, plan: Plan = Plan.ENTERPRISE, rate_limit: int = 100) -> Account:
    admin = AccountAdmin(redis, SECRET, namespace)
    account = await admin.create_account("Example LLP", plan, rate_limit)
    live, _ = await admin.create_key(account.id, "live")
    test, _ = await admin.create_key(account.id, "test")
    return Account(account.id, live, test)


@pytest.fixture
async def account(redis: Redis, topics: str) -> Account:
    return await make_account(redis, topics)


SEED_BODY = {
    "candidate_email": "jane.doe@lawfirm.com",
    "candidate_name": "Jane Doe",
    "scenario_id": "ma-due-diligence-v2",
    "callback_url": "https://your-ats.example.com/webhooks/lextalent",
    "metadata": {"requisition_id": "REQ-2026-0142", "hiring_manager": "john.smith@lawfirm.com"},
}
