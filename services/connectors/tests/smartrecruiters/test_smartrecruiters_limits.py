"""The per-credential limits against real Redis and the fake: ≤ 8 concurrent calls, ≤ 10 requests/s,
a cooldown after 429 shared through Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_smartrecruiters import FakeSmartRecruiters
from redis.asyncio import Redis

from hub_connectors.framework.clock import SystemClock
from hub_connectors.framework.ratelimit import RateLimiter
from hub_connectors.smartrecruiters.throttle import RATE_LIMIT, CredentialThrottle, credential_key


@pytest.fixture
async def fake() -> AsyncIterator[FakeSmartRecruiters]:
    async with FakeSmartRecruiters() as server:
        yield server
        server.assert_clean()


async def _patch(session: aiohttp.ClientSession, fake: FakeSmartRecruiters, token: str) -> int:
    async with session.patch(
        f"{fake.base_url}/assessment-api/v202010/orders/ord-1/results",
        json={"status": "IN_PROGRESS"},
        headers={"Authorization": f"Bearer {token}"},
    ) as resp:
        return resp.status


async def test_never_more_than_eight_concurrent_calls_per_credential(
    redis: Redis, namespace: str, fake: FakeSmartRecruiters
) -> None:
    fake.order("ord-1")
    fake.tokens["t"] = "partner-client"
    fake.patch_delay_s = 0.1
    throttle = CredentialThrottle(redis, SystemClock(), namespace)
    credential = credential_key("partner-client")
    async with aiohttp.ClientSession() as session:

        async def one(i: int) -> int:
            async with throttle.slot(credential, f"call-{i}"):
                return await _patch(session, fake, "t")

        statuses = await asyncio.gather(*(one(i) for i in range(24)))
    assert statuses == [204] * 24
    assert fake.max_in_flight == 8
    assert await throttle.in_flight(credential) == 0


async def test_ten_requests_per_second_per_credential(redis: Redis, namespace: str) -> None:
    limiter = RateLimiter(redis, SystemClock(), namespace)
    started = time.monotonic()
    for _ in range(25):
        await limiter.acquire("smartrecruiters", RATE_LIMIT, credential_key("partner-client"))
    elapsed = time.monotonic() - started
    assert elapsed >= 1.4  # 10 at once (burst), then 10 per second: the 25th waits ~1.5 s
    other = time.monotonic()
    await limiter.acquire("smartrecruiters", RATE_LIMIT, credential_key("customer-client"))
    assert time.monotonic() - other < 0.2  # another credential has its own bucket


async def test_cooldown_after_429_is_shared_and_expires(redis: Redis, namespace: str) -> None:
    first = CredentialThrottle(redis, SystemClock(), namespace)
    second = CredentialThrottle(redis, SystemClock(), namespace)  # another instance of the service
    credential = credential_key("partner-client")
    await first.cool_down(credential, 0.3)
    started = time.monotonic()
    await second.wait_cooldown(credential)
    assert 0.2 <= time.monotonic() - started < 1.0
