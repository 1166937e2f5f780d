"""The whole loop with the four services as separate processes over real Kafka and Redis:

POST /v1/assessments → command on Kafka → assessments stores it and emits AssessmentCreated →
GET returns it → a scoring result completes it → the webhooks service POSTs a Standard Webhooks
signed event to the callback_url, which the `standardwebhooks` library verifies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook

from hub_contracts.accounts import Plan
from hub_contracts.runtime import ServiceSettings
from hub_devtools.brokers import free_port
from hub_devtools.runner import ServiceGroup, wait_http_ok
from hub_devtools.simulate import publish_activity, publish_scoring_result
from hub_gateway.accounts import AccountAdmin
from hub_webhooks.secrets import account_signing_secret

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

API_KEY_SECRET = "e2e-api-key-secret"


class Receiver:
    """A customer's ATS endpoint on loopback: records every webhook with its headers."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/webhooks/lextalent", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield rec, f"http://127.0.0.1:{port}/webhooks/lextalent"
    await runner.cleanup()


@pytest.fixture
def services(hub_env: dict[str, str], topics: str, tmp_path: Path) -> Iterator[tuple[ServiceGroup, str]]:
    gateway_port, webhooks_port, connectors_port = free_port(), free_port(), free_port()
    env = {
        **hub_env,
        "HUB_API_KEY_SECRET": API_KEY_SECRET,
        "HUB_ALLOW_HTTP_LOOPBACK_CALLBACKS": "true",
        "HUB_ALLOWED_HOSTS": '["127.0.0.1"]',
        "HUB_WEBHOOKS_INTERNAL_URL": f"http://127.0.0.1:{webhooks_port}",
        "HUB_CONNECTORS_INTERNAL_URL": f"http://127.0.0.1:{connectors_port}",
    }
    group = ServiceGroup(env, tmp_path / "logs")
    group.start("assessments")
    group.start("webhooks", {"HUB_HTTP_PORT": str(webhooks_port), "HUB_HTTP_HOST": "127.0.0.1"})
    group.start("connectors", {"HUB_HTTP_PORT": str(connectors_port), "HUB_HTTP_HOST": "127.0.0.1"})
    group.start("gateway", {"HUB_HTTP_PORT": str(gateway_port)})
    try:
        wait_http_ok(f"http://127.0.0.1:{gateway_port}/healthz", 60, group)
        wait_http_ok(f"http://127.0.0.1:{webhooks_port}/internal/health", 60, group)
        wait_http_ok(f"http://127.0.0.1:{connectors_port}/healthz", 60, group)
        yield group, f"http://127.0.0.1:{gateway_port}"
    except BaseException:
        for process in group.processes.values():
            print(f"--- {process.name} ---\n{process.tail()}")
        raise
    finally:
        group.stop_all()


async def test_create_read_complete_and_signed_webhook(
    services: tuple[ServiceGroup, str], receiver: tuple[Receiver, str], redis: Redis, topics: str,
    kafka_bootstrap: str, redis_url: str,
) -> None:
    group, gateway_url = services
    rec, callback_url = receiver
    admin = AccountAdmin(redis, API_KEY_SECRET, topics)
    account = await admin.create_account("Example LLP", Plan.ENTERPRISE)
    key, _ = await admin.create_key(account.id, "live")
    headers = {"Authorization": f"Bearer {key}"}
    body = {
        "candidate_email": "jane.doe@lawfirm.com", "candidate_name": "Jane Doe",
        "scenario_id": "ma-due-diligence-v2", "callback_url": callback_url,
        "metadata": {"requisition_id": "REQ-2026-0142", "hiring_manager": "john.smith@lawfirm.com"},
    }
    async with httpx.AsyncClient(base_url=gateway_url, timeout=20) as client:
        created = await client.post("/v1/assessments", json=body, headers=headers)
        assert created.status_code == 201, created.text
        assert set(created.json()) == {"id", "status", "candidate_url", "expires_at", "created_at"}
        aid = created.json()["id"]
        read = await client.get(f"/v1/assessments/{aid}", headers=headers)
        assert read.status_code == 200
        assert read.json()["status"] == "pending"

        # the assessments service stores it (version 1) and the created webhook arrives
        await asyncio.wait_for(rec.arrived.wait(), 30)
        settings = ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap, redis_url=redis_url, namespace=topics)

        async def reaches(status: str) -> dict:
            while True:
                got = (await client.get(f"/v1/assessments/{aid}", headers=headers)).json()
                if got["status"] == status:
                    return got
                await asyncio.sleep(0.1)

        # activity and results come on different topics, so the test orders them as the real
        # producers do (a candidate starts before the scoring engine can score)
        await publish_activity(settings, aid, "started")
        await asyncio.wait_for(reaches("in_progress"), 30)
        await publish_scoring_result(settings, aid, 88)
        final = await asyncio.wait_for(reaches("completed"), 30)
        assert final["results"]["overall_score"] == 88
        assert final["results"]["band"] == "advanced"
        assert final["version"] == 3

    async def all_three() -> None:
        while len(rec.received) < 3:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(all_three(), 30)
    group.check_alive()
    verifier = Webhook(await account_signing_secret(redis, topics, account.id))
    types = []
    for wh_headers, raw in rec.received:
        lowered = {k.lower(): v for k, v in wh_headers.items()}
        payload = verifier.verify(raw, lowered)
        assert lowered["webhook-id"]
        types.append(payload["type"])
        assert payload["data"]["id"] == aid
    assert types == ["assessment.created", "assessment.started", "assessment.completed"]
    completed_payload = json.loads(rec.received[-1][1])
    assert completed_payload["data"]["results"]["overall_score"] == 88


async def test_account_endpoint_managed_through_the_gateway(
    services: tuple[ServiceGroup, str], receiver: tuple[Receiver, str], redis: Redis, topics: str,
) -> None:
    """Webhook endpoints are created through the public API (forwarded to the webhooks service);
    a test-mode simulation through the API then reaches the endpoint, signed with its own secret."""
    _group, gateway_url = services
    rec, url = receiver
    admin = AccountAdmin(redis, API_KEY_SECRET, topics)
    account = await admin.create_account("Example LLP", Plan.ENTERPRISE)
    other = await admin.create_account("Other LLP", Plan.ENTERPRISE)
    key, _ = await admin.create_key(account.id, "test")
    other_key, _ = await admin.create_key(other.id, "test")
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=gateway_url, timeout=20) as client:
        created = await client.post("/v1/webhook-endpoints", headers=headers,
                                    json={"url": url, "event_types": ["assessment.completed"],
                                          "description": "ATS middleware"})
        assert created.status_code == 201, created.text
        endpoint = created.json()
        assert endpoint["secret"].startswith("whsec_")
        assert "x-request-id" in created.headers and "ratelimit" in created.headers
        listed = await client.get("/v1/webhook-endpoints", headers=headers)
        assert [e["id"] for e in listed.json()["data"]] == [endpoint["id"]]
        assert "secret" not in listed.json()["data"][0]
        foreign = await client.get(f"/v1/webhook-endpoints/{endpoint['id']}",
                                   headers={"Authorization": f"Bearer {other_key}"})
        assert foreign.status_code == 404
        body = {"candidate_email": "jane.doe@lawfirm.com", "candidate_name": "Jane Doe",
                "scenario_id": "ma-due-diligence-v2"}
        aid = (await client.post("/v1/assessments", json=body, headers=headers)).json()["id"]

        async def simulate(outcome: dict) -> httpx.Response:
            while True:  # until the assessments service has stored the create (a 202 means still pending)
                response = await client.post(f"/v1/assessments/{aid}/simulate", json=outcome, headers=headers)
                if response.status_code == 200:
                    return response
                await asyncio.sleep(0.2)

        await asyncio.wait_for(simulate({"outcome": "started"}), 30)
        done = await asyncio.wait_for(simulate({"outcome": "completed", "overall_score": 64}), 30)
        assert done.json()["results"]["band"] == "proficient"
        await asyncio.wait_for(rec.arrived.wait(), 30)
        await asyncio.sleep(0.5)  # nothing else (created, started) may arrive: the filter says completed only
        assert len(rec.received) == 1
        wh_headers, raw = rec.received[0]
        payload = Webhook(endpoint["secret"]).verify(raw, {k.lower(): v for k, v in wh_headers.items()})
        assert payload["type"] == "assessment.completed"
        assert payload["data"]["livemode"] is False
        deliveries = await client.get("/v1/webhook-deliveries", params={"assessment_id": aid}, headers=headers)
        assert deliveries.status_code == 200, deliveries.text
