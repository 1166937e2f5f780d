"""Two gateway processes over one Redis: one shared rate limit, revocation seen by both."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from hub_devtools.brokers import free_port
from hub_devtools.runner import ServiceGroup, wait_http_ok
from hub_gateway.accounts import AccountAdmin

from gateway_support import SECRET, make_account

pytestmark = pytest.mark.kafka

KEY_CACHE_TTL_S = 2.0


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"


@pytest.fixture
def two_gateways(hub_env: dict[str, str], topics: str, log_dir: Path) -> Iterator[list[str]]:
    group = ServiceGroup({**hub_env, "HUB_API_KEY_SECRET": SECRET, "HUB_KEY_CACHE_TTL_S": str(KEY_CACHE_TTL_S)},
                         log_dir)
    urls = []
    for i in range(2):
        port = free_port()
        group.start("gateway", {"HUB_HTTP_PORT": str(port)}, instance=str(i))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_http_ok(f"{url}/healthz", 60, group)
        yield urls
    finally:
        group.stop_all()


async def wait_for_fresh_window(redis: Redis, margin_s: int = 15) -> None:
    """Start a burst early in a rate-limit window so that it cannot straddle two windows."""
    seconds, _ = await redis.time()
    into_window = seconds % 60
    if into_window > 60 - margin_s:
        await asyncio.sleep(60 - into_window + 0.2)


async def test_two_instances_share_one_limit(two_gateways: list[str], redis: Redis, topics: str) -> None:
    account = await make_account(redis, topics, rate_limit=100)
    await wait_for_fresh_window(redis)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        requests = [client.get(f"{two_gateways[i % 2]}/v1/scenarios", headers=account.headers()) for i in range(160)]
        responses = await asyncio.gather(*requests)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}
    assert 99 <= statuses.count(200) <= 101
    served_by = {two_gateways[i % 2] for i, s in enumerate(statuses) if s == 200}
    assert len(served_by) == 2  # both instances took part


async def test_revocation_reaches_the_other_instance_within_the_bound(
    two_gateways: list[str], redis: Redis, topics: str,
) -> None:
    account = await make_account(redis, topics)
    admin = AccountAdmin(redis, SECRET, topics)
    key_id = next(r.key_id for _h, r in await admin.list_keys(account.id) if r.mode == "live")
    async with httpx.AsyncClient(timeout=10) as client:
        for url in two_gateways:  # warm both caches
            assert (await client.get(f"{url}/v1/scenarios", headers=account.headers())).status_code == 200
        await admin.revoke_key(account.id, key_id)
        revoked_at = time.monotonic()
        while True:
            response = await client.get(f"{two_gateways[1]}/v1/scenarios", headers=account.headers())
            if response.status_code == 401:
                break
            assert time.monotonic() - revoked_at < KEY_CACHE_TTL_S + 1.0, "revocation took too long"
            await asyncio.sleep(0.05)
        assert (await client.get(f"{two_gateways[0]}/v1/scenarios", headers=account.headers())).status_code == 401


async def test_rotation_grace_and_keys_never_logged(two_gateways: list[str], redis: Redis, topics: str,
                                                  log_dir: Path) -> None:
    account = await make_account(redis, topics)
    admin = AccountAdmin(redis, SECRET, topics)
    key_id = next(r.key_id for _h, r in await admin.list_keys(account.id) if r.mode == "live")
    new_key, _ = await admin.rotate_key(account.id, key_id, grace=timedelta(seconds=2))
    async with httpx.AsyncClient(timeout=10) as client:
        old = {"Authorization": f"Bearer {account.live_key}"}
        new = {"Authorization": f"Bearer {new_key}"}
        assert (await client.get(f"{two_gateways[0]}/v1/scenarios", headers=old)).status_code == 200
        assert (await client.get(f"{two_gateways[1]}/v1/scenarios", headers=new)).status_code == 200
        await client.get(f"{two_gateways[0]}/v1/assessments/asmt_000000000000", headers=old)
        await asyncio.sleep(2 + KEY_CACHE_TTL_S + 0.5)
        assert (await client.get(f"{two_gateways[0]}/v1/scenarios", headers=old)).status_code == 401
        assert (await client.get(f"{two_gateways[1]}/v1/scenarios", headers=new)).status_code == 200
    logs = "".join(p.read_text(errors="replace") for p in log_dir.glob("*.log"))
    assert account.live_key not in logs
    assert new_key not in logs
    assert account.live_key[-8:] not in logs
