"""Fixtures of the gateway tests: the real gateway over real Kafka and Redis, an enterprise account."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from hub_devtools.brokers import free_port
from hub_gateway.settings import GatewaySettings

from gateway_support import SECRET, Account, make_account, serve_gateway


@pytest.fixture
def gateway_settings(kafka_bootstrap: str, redis_url: str, topics: str) -> GatewaySettings:
    return GatewaySettings(kafka_bootstrap_servers=kafka_bootstrap, redis_url=redis_url, namespace=topics,
                           http_port=free_port(), api_key_secret=SECRET, command_wait_s=5.0,
                           key_cache_ttl_s=1.0)


@pytest.fixture
async def gateway(gateway_settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_gateway(gateway_settings) as url, httpx.AsyncClient(base_url=url, timeout=20) as client:
        yield client


@pytest.fixture
async def account(redis: Redis, topics: str) -> Account:
    return await make_account(redis, topics)


