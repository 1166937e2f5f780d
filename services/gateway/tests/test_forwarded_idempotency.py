"""`Idempotency-Key` on the forwarded management POSTs, against the real gateway with a real upstream
(a small aiohttp server standing in for the webhooks service) that counts what reaches it."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from aiohttp import web

from hub_devtools.brokers import free_port
from hub_gateway.settings import GatewaySettings

from gateway_support import Account

pytestmark = pytest.mark.kafka

PATH = "/v1/webhook-endpoints"


class Upstream:
    """Answers POST /internal/v1/webhook-endpoints with 201 (or the status in the body's `fail`)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.posts: collections.Counter[bytes] = collections.Counter()
        self.runner: web.AppRunner | None = None

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.posts[body] += 1
        await asyncio.sleep(0.2)  # long enough for concurrent duplicates to overlap
        fail = orjson.loads(body).get("fail")
        if fail is not None:
            return web.json_response({"code": "upstream_says_no"}, status=fail)
        created = {"id": f"we_{sum(self.posts.values()):06d}", "url": "https://example.com/hook"}
        return web.json_response(created, status=201, headers={"Location": f"{PATH}/{created['id']}"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/internal/v1/webhook-endpoints", self._create)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def gateway_settings(gateway_settings: GatewaySettings, upstream: Upstream) -> GatewaySettings:
    return gateway_settings.model_copy(update={"webhooks_internal_url": upstream.url})


def _headers(account: Account, key: str) -> dict[str, str]:
    return {**account.headers(), "Idempotency-Key": key}


async def test_same_key_and_body_reaches_upstream_once_and_replays(
        gateway: httpx.AsyncClient, account: Account, upstream: Upstream) -> None:
    body = {"url": "https://example.com/hook", "n": 1}
    first = await gateway.post(PATH, json=body, headers=_headers(account, "we-create-1"))
    second = await gateway.post(PATH, json=body, headers=_headers(account, "we-create-1"))
    assert first.status_code == second.status_code == 201, first.text
    assert sum(upstream.posts.values()) == 1
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"] == f"{PATH}/{first.json()['id']}"
    assert second.headers["content-type"] == first.headers["content-type"]

    conflict = await gateway.post(PATH, json={**body, "n": 2}, headers=_headers(account, "we-create-1"))
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert conflict.json()["code"] == "idempotency_conflict"
    assert sum(upstream.posts.values()) == 1

    without_key = [await gateway.post(PATH, json=body, headers=account.headers()) for _ in range(2)]
    assert [r.status_code for r in without_key] == [201, 201]
    assert sum(upstream.posts.values()) == 3


async def test_concurrent_duplicates_reach_upstream_once(
        gateway: httpx.AsyncClient, account: Account, upstream: Upstream) -> None:
    body = {"url": "https://example.com/hook", "n": 3}
    responses = await asyncio.gather(*(gateway.post(PATH, json=body, headers=_headers(account, "we-concurrent"))
                                       for _ in range(20)))
    assert {r.status_code for r in responses} == {201}
    assert sum(upstream.posts.values()) == 1
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19


@pytest.mark.parametrize(("status", "stored"), [(400, True), (409, True), (500, False), (502, False)])
async def test_upstream_4xx_is_stored_and_5xx_is_not(
        gateway: httpx.AsyncClient, account: Account, upstream: Upstream, status: int, stored: bool) -> None:
    body = {"url": "https://example.com/hook", "fail": status}
    first = await gateway.post(PATH, json=body, headers=_headers(account, f"we-fail-{status}"))
    again = await gateway.post(PATH, json=body, headers=_headers(account, f"we-fail-{status}"))
    assert first.status_code == again.status_code == status
    assert first.headers["content-type"].startswith("application/problem+json")  # the owner's plain JSON, wrapped
    if stored:
        assert again.content == first.content
    else:  # answered afresh each time: same problem, its own request_id
        assert again.json()["code"] == first.json()["code"]
        assert again.json()["request_id"] != first.json()["request_id"]
    assert sum(upstream.posts.values()) == (1 if stored else 2)
    assert (again.headers.get("idempotent-replayed") == "true") is stored


async def test_unreachable_upstream_is_503_and_not_stored(
        gateway: httpx.AsyncClient, account: Account, upstream: Upstream) -> None:
    body = {"url": "https://example.com/hook", "n": 4}
    await upstream.stop()
    down = await gateway.post(PATH, json=body, headers=_headers(account, "we-retry"))
    assert down.status_code == 503, down.text
    assert down.json()["code"] == "service_unavailable"
    assert "idempotent-replayed" not in down.headers

    await upstream.start()
    retried = await gateway.post(PATH, json=body, headers=_headers(account, "we-retry"))
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert sum(upstream.posts.values()) == 1
    replayed = await gateway.post(PATH, json=body, headers=_headers(account, "we-retry"))
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == retried.content
    assert sum(upstream.posts.values()) == 1
