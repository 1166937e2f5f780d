"""The internal management API over real HTTP, with real Kafka, Redis and a real receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_harness import (
    Receiver,
    completed_event,
    created_event,
    event_producer,
    running,
    snapshot,
    status,
)

from hub_webhooks.settings import WebhooksSettings

pytestmark = pytest.mark.kafka


async def call(
    http: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any, str]:
    async with http.request(method, url, json=body, headers=headers) as response:
        text = await response.text()
        payload = await response.json(content_type=None) if text else None
        return response.status, payload, response.headers.get("content-type", "")


async def test_endpoint_lifecycle_and_errors(settings: WebhooksSettings, receiver: Receiver) -> None:
    async with running(settings) as svc, aiohttp.ClientSession() as http:
        base = f"{svc.base_url}/internal/v1/webhook-endpoints"
        auth = svc.auth()
        code, body, ctype = await call(http, "POST", base, auth, {"url": "http://169.254.169.254/latest/"})
        assert code == 400
        assert ctype.startswith("application/problem+json")
        assert body["code"] == "invalid_url"
        assert body["errors"][0]["field"] == "url"
        assert body["request_id"] == auth["X-Request-Id"]
        code, body, _ = await call(http, "POST", base, auth, {"url": receiver.url(), "colour": "red"})
        assert (code, body["code"]) == (400, "invalid_request")
        code, body, _ = await call(http, "POST", base, auth, {})
        assert code == 400
        assert body["errors"][0]["field"] == "url"
        code, body, _ = await call(http, "POST", base, auth, {"url": receiver.url(), "event_types": ["nope"]})
        assert code == 400
        code, _, _ = await call(http, "GET", base, {**auth, "Authorization": "Bearer wrong"})
        assert code == 401

        code, created, _ = await call(
            http,
            "POST",
            base,
            auth,
            {"url": receiver.url(), "description": "ATS", "event_types": ["assessment.completed"]},
        )
        assert code == 201
        assert created["secret"].startswith("whsec_")
        eid = created["id"]
        code, got, _ = await call(http, "GET", f"{base}/{eid}", auth)
        assert code == 200
        assert "secret" not in got
        assert got["event_types"] == ["assessment.completed"]
        code, listed, _ = await call(http, "GET", base, auth)
        assert [e["id"] for e in listed["data"]] == [eid]
        other = svc.auth("acct_SomeoneElse01")
        code_other, body_other, _ = await call(http, "GET", f"{base}/{eid}", other)
        code_missing, body_missing, _ = await call(http, "GET", f"{base}/we_doesnotexist", auth)
        assert code_other == code_missing == 404
        body_other.pop("request_id")
        body_missing.pop("request_id")
        assert body_other == body_missing
        code, _, _ = await call(http, "GET", f"{base}/{eid}", svc.auth(livemode=False))
        assert code == 404  # test-mode keys do not see live endpoints

        code, patched, _ = await call(http, "PATCH", f"{base}/{eid}", auth, {"description": "Greenhouse"})
        assert (code, patched["description"]) == (200, "Greenhouse")
        code, disabled, _ = await call(http, "POST", f"{base}/{eid}/disable", auth)
        assert disabled["disabled"] is True
        code, _, _ = await call(http, "POST", f"{base}/{eid}/test", auth)
        assert code == 409
        code, enabled, _ = await call(http, "POST", f"{base}/{eid}/enable", auth)
        assert enabled["disabled"] is False
        code, _, _ = await call(http, "DELETE", f"{base}/{eid}", auth)
        assert code == 204
        code, _, _ = await call(http, "GET", f"{base}/{eid}", auth)
        assert code == 404


async def test_endpoints_receive_filtered_events_and_test_event(
    settings: WebhooksSettings, receiver: Receiver
) -> None:
    async with (
        running(settings) as svc,
        aiohttp.ClientSession() as http,
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        base = f"{svc.base_url}/internal/v1/webhook-endpoints"
        auth = svc.auth()
        _, only_done, _ = await call(
            http, "POST", base, auth, {"url": receiver.url("/done"), "event_types": ["assessment.completed"]}
        )
        _, everything, _ = await call(http, "POST", base, auth, {"url": receiver.url("/all")})
        snap = snapshot(None)
        await send(created_event(snap))
        await send(completed_event(snap))
        all_got = await receiver.wait_for("/all", 2)
        [done_got] = await receiver.wait_for("/done", 1)
        assert sorted(Webhook(everything["secret"]).verify(r.body, r.headers)["type"] for r in all_got) == [
            "assessment.completed",
            "assessment.created",
        ]
        assert (
            Webhook(only_done["secret"]).verify(done_got.body, done_got.headers)["type"]
            == "assessment.completed"
        )
        with pytest.raises(WebhookVerificationError):
            Webhook(everything["secret"]).verify(done_got.body, done_got.headers)

        code, test_delivery, _ = await call(http, "POST", f"{base}/{only_done['id']}/test", auth)
        assert code == 202
        [_, ping] = await receiver.wait_for("/done", 2)
        verified = Webhook(only_done["secret"]).verify(ping.body, ping.headers)
        assert verified["type"] == "webhook.test"
        assert verified["data"]["endpoint_id"] == only_done["id"]
        assert ping.headers["webhook-id"] == test_delivery["webhook_id"]

        deliveries = f"{svc.base_url}/internal/v1/webhook-deliveries"
        code, page, _ = await call(http, "GET", f"{deliveries}?assessment_id={snap.id}", auth)
        assert code == 200
        assert len(page["data"]) == 3
        assert {d["status"] for d in page["data"]} == {"succeeded"}
        assert all(d["attempts"][0]["status_code"] == 200 for d in page["data"])
        code, page, _ = await call(http, "GET", f"{deliveries}?endpoint_id={only_done['id']}&limit=1", auth)
        assert len(page["data"]) == 1
        assert page["has_more"] is True
        code, page2, _ = await call(
            http,
            "GET",
            f"{deliveries}?endpoint_id={only_done['id']}&starting_after={page['data'][0]['id']}",
            auth,
        )
        assert len(page2["data"]) == 1
        assert page2["data"][0]["id"] != page["data"][0]["id"]
        code, _, _ = await call(http, "GET", f"{deliveries}?status=bogus", auth)
        assert code == 400
        code, _, _ = await call(
            http, "GET", f"{deliveries}/{page['data'][0]['id']}", svc.auth("acct_SomeoneElse01")
        )
        assert code == 404

        # redelivery: the same webhook-id again
        target = page2["data"][0]
        code, _, _ = await call(http, "POST", f"{deliveries}/{target['id']}/redeliver", auth)
        assert code == 202
        got = await receiver.wait_for("/done", 3)
        assert got[-1].headers["webhook-id"] == target["webhook_id"]


async def test_rotation_signs_with_old_and_new_during_grace(
    settings: WebhooksSettings, receiver: Receiver
) -> None:
    async with running(settings) as svc, aiohttp.ClientSession() as http:
        base = f"{svc.base_url}/internal/v1/webhook-endpoints"
        auth = svc.auth()
        _, ep, _ = await call(http, "POST", base, auth, {"url": receiver.url("/rot")})
        code, rotated, _ = await call(
            http, "POST", f"{base}/{ep['id']}/rotate-secret", auth, {"grace_period_seconds": 3600}
        )
        assert code == 200
        assert rotated["secret"] != ep["secret"]
        assert rotated["secret_rotations_pending"] == 1
        await call(http, "POST", f"{base}/{ep['id']}/test", auth)
        [during] = await receiver.wait_for("/rot", 1)
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        for secret in (ep["secret"], rotated["secret"]):
            Webhook(secret).verify(during.body, during.headers)
        code, revoked, _ = await call(
            http, "POST", f"{base}/{ep['id']}/rotate-secret", auth, {"grace_period_seconds": 0}
        )
        await call(http, "POST", f"{base}/{ep['id']}/test", auth)
        [_, after] = await receiver.wait_for("/rot", 2)
        Webhook(revoked["secret"]).verify(after.body, after.headers)
        for stale in (ep["secret"], rotated["secret"]):
            with pytest.raises(WebhookVerificationError):
                Webhook(stale).verify(after.body, after.headers)
        code, body, _ = await call(
            http, "POST", f"{base}/{ep['id']}/rotate-secret", auth, {"grace_period_seconds": 10**9}
        )
        assert (code, body["errors"][0]["field"]) == (400, "grace_period_seconds")


async def test_dead_messages_recovered_since(settings: WebhooksSettings, receiver: Receiver) -> None:
    one_try = settings.model_copy(update={"retry_schedule_s": [0.0]})
    async with (
        running(one_try) as svc,
        aiohttp.ClientSession() as http,
        event_producer(settings.kafka_bootstrap_servers, settings.namespace) as send,
    ):
        base = f"{svc.base_url}/internal/v1/webhook-endpoints"
        auth = svc.auth()
        receiver.default["/down"] = status(500)
        _, ep, _ = await call(http, "POST", base, auth, {"url": receiver.url("/down")})
        _, off, _ = await call(http, "POST", base, auth, {"url": receiver.url("/off")})
        await call(http, "POST", f"{base}/{off['id']}/disable", auth)
        for _ in range(3):
            await send(created_event(snapshot(None)))
        deliveries = f"{svc.base_url}/internal/v1/webhook-deliveries?endpoint_id={ep['id']}&status=dead"
        for _ in range(100):
            _, page, _ = await call(http, "GET", deliveries, auth)
            if len(page["data"]) == 3:
                break
            await asyncio.sleep(0.1)
        assert len(page["data"]) == 3
        assert page["data"][0]["last_status_code"] == 500
        assert page["data"][0]["attempts"][0]["error"] is None
        assert len(receiver.at("/down")) == 3
        assert receiver.at("/off") == []  # a disabled endpoint gets no new messages
        receiver.default["/down"] = status(204)
        code, recovery, _ = await call(
            http, "POST", f"{base}/{ep['id']}/recover", auth, {"since": "2020-01-01T00:00:00Z"}
        )
        assert (code, recovery["recovered"]) == (202, 3)
        await receiver.wait_for("/down", 6)
        for _ in range(100):
            _, page, _ = await call(http, "GET", deliveries.replace("dead", "succeeded"), auth)
            if len(page["data"]) == 3:
                break
            await asyncio.sleep(0.1)
        assert [d["attempts"][-1]["trigger"] for d in page["data"]] == ["manual"] * 3
