"""Forwarded management paths reach the owning service exactly as one resource path: ids keep their
characters (percent-encoded again), dot segments never climb to another internal path, and an owner's
framework error (an unknown method) comes back as a problem document with its `Allow` header."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from hub_devtools.brokers import free_port
from hub_gateway.settings import GatewaySettings

from gateway_support import Account

pytestmark = pytest.mark.kafka


class RecordingOwner:
    """Stands in for the webhooks service: records the raw path of every request."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.raw_paths: list[str] = []

    async def _get(self, request: web.Request) -> web.Response:
        self.raw_paths.append(request.raw_path)
        return web.json_response({"id": request.match_info["id"]})

    async def _not_allowed(self, request: web.Request) -> web.Response:
        self.raw_paths.append(request.raw_path)
        raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH"], text='{"detail":"Method Not Allowed"}',
                                       content_type="application/json")


@pytest.fixture
async def owner() -> AsyncIterator[RecordingOwner]:
    server = RecordingOwner()
    app = web.Application()
    app.router.add_get("/internal/v1/webhook-endpoints/{id}", server._get)
    app.router.add_put("/internal/v1/webhook-endpoints/{id}", server._not_allowed)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", server.port).start()
    yield server
    await runner.cleanup()


@pytest.fixture
def gateway_settings(gateway_settings: GatewaySettings, owner: RecordingOwner) -> GatewaySettings:
    return gateway_settings.model_copy(update={"webhooks_internal_url": owner.url})


@pytest.mark.parametrize("segment", ["we_abc", "a%3Fb", "a%23b", "a%25b", "caf%C3%A9"])
async def test_an_id_stays_one_encoded_segment(gateway: httpx.AsyncClient, account: Account,
                                               owner: RecordingOwner, segment: str) -> None:
    response = await gateway.get(f"/v1/webhook-endpoints/{segment}", headers=account.headers())
    assert response.status_code == 200, response.text
    assert owner.raw_paths == [f"/internal/v1/webhook-endpoints/{segment}"]
    assert response.json()["id"] == httpx.URL(f"http://x/{segment}").path[1:]


@pytest.mark.parametrize("path", ["/v1/webhook-endpoints/%2E%2E/health", "/v1/webhook-endpoints/x/%2e",
                                  "/v1/webhook-endpoints/x//y"])
async def test_dot_and_empty_segments_are_404_and_never_forwarded(gateway: httpx.AsyncClient, account: Account,
                                                                  owner: RecordingOwner, path: str) -> None:
    response = await gateway.get(path, headers=account.headers())
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert owner.raw_paths == []


async def test_an_owner_framework_error_becomes_a_problem_with_allow(gateway: httpx.AsyncClient, account: Account,
                                                                    owner: RecordingOwner) -> None:
    response = await gateway.put("/v1/webhook-endpoints/we_abc", headers=account.headers(), json={})
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET,PATCH"
