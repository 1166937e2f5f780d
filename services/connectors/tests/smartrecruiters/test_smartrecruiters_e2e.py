"""SmartRecruiters end to end: real Kafka and Redis, the real assessments service, the strict fake.

Consent binds the company to the account; SmartRecruiters takes our token, lists packages and orders;
the order creates an assessment through the command path; start and completion PATCH the results (and
attach the PDF); a 429 and an expired token on the way are handled; an unknown order at SmartRecruiters
(404) is dead-lettered; removing the company disables the integration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from dead_letter_reading import first_dead_letter
from fake_smartrecruiters import FakeSmartRecruiters
from polling import eventually
from redis.asyncio import Redis
from running_assessments import InternalProducers, running_assessments
from test_smartrecruiters_contract import INBOUND, sr_settings, sr_vendor_settings

from hub_connectors.framework.read_model import AssessmentReader
from hub_connectors.framework.testing.events import sample_results
from hub_connectors.framework.testing.fake_vendor import Fault
from hub_connectors.framework.testing.harness import (
    InternalApi,
    RunningConnectors,
    running_connectors,
    seed_account,
    settings_for_test,
)
from hub_contracts.assessment import AssessmentStatus

pytestmark = pytest.mark.kafka


@dataclass
class Env:
    fake: FakeSmartRecruiters
    running: RunningConnectors
    session: aiohttp.ClientSession
    api: InternalApi
    reader: AssessmentReader
    producers: InternalProducers
    integration: dict[str, Any]
    api_key: str
    kafka: str
    namespace: str

    def url(self, path: str) -> str:
        return self.running.url(f"/connectors/smartrecruiters{path}")

    async def as_smartrecruiters(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        token = await self.fake.our_token(self.session, self.url("/oauth/token"), *INBOUND)
        async with self.session.request(
            method, self.url(path), json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            return resp.status, await resp.json(content_type=None) if resp.status != 204 else None


@pytest.fixture
async def env(kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis) -> AsyncIterator[Env]:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    account_id, api_key = await seed_account(redis, topics, settings.api_key_secret.get_secret_value())
    async with (
        FakeSmartRecruiters() as fake,
        running_assessments(kafka_bootstrap, redis_url, topics),
        running_connectors(
            settings,
            vendor_settings={"smartrecruiters": sr_vendor_settings(fake)},
            enabled=["smartrecruiters"],
        ) as running,
        aiohttp.ClientSession() as session,
        InternalProducers(kafka_bootstrap, topics) as producers,
    ):
        api = InternalApi(session, running, account_id)
        integration = await api.create("smartrecruiters", sr_settings())
        yield Env(
            fake,
            running,
            session,
            api,
            AssessmentReader(redis, topics),
            producers,
            integration,
            api_key,
            kafka_bootstrap,
            topics,
        )
        fake.assert_clean()


async def consent(env: Env) -> None:
    async with env.session.get(env.integration["connect"]["consent_url"]) as resp:
        assert resp.status == 200
        assert "company <strong>ACME</strong>" in (await resp.text()).replace("company\n", "company ")
    async with env.session.post(
        env.url("/integration"), data={"company_id": "ACME", "api_key": env.api_key}
    ) as resp:
        assert resp.status == 200, await resp.text()


async def test_consent_order_start_and_completion_with_429_and_expired_token(env: Env) -> None:
    fake = env.fake
    assert env.integration["status"] == "pending_authorization"
    status, _ = await env.as_smartrecruiters("POST", "/packages/orders", fake.order())
    assert status == 403  # the company has not connected yet
    await consent(env)
    assert fake.enabled_companies == ["ACME"]
    _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert view["status"] == "active"

    status, packages = await env.as_smartrecruiters("GET", "/packages?company_id=ACME")
    assert status == 200
    assert "ma-due-diligence-v2" in {p["id"] for p in packages["content"]}
    status, accepted = await env.as_smartrecruiters("POST", "/packages/orders", fake.order("ord-1"))
    assert status == 201, accepted
    assert accepted["orderId"] == "ord-1"
    assert accepted["status"] == "ACCEPTED"
    again = await env.as_smartrecruiters("POST", "/packages/orders", fake.order("ord-1"))
    assert again == (200, accepted)  # SmartRecruiters retrying the order

    assessment_id = accepted["externalId"]
    snap = await eventually(lambda: env.reader.get(assessment_id))
    assert (snap.source, snap.candidate.name, snap.candidate.email) == (
        "smartrecruiters",
        "Jane Doe",
        "jane@example.com",
    )
    assert accepted["assessmentUrl"] == snap.candidate_url

    await env.producers.started(assessment_id)
    started = await eventually(lambda: _async(fake.results.get("ord-1")))
    assert started == [{"status": "IN_PROGRESS"}]

    fake.revoke_tokens()  # our cached token expires
    fake.inject("results", Fault(status=429, headers={"Retry-After": "1"}))
    results = sample_results(93)
    await env.producers.scored(assessment_id, results)
    await eventually(lambda: _async(fake.attachments.get("ord-1")))
    completed = fake.results["ord-1"][-1]
    assert completed["status"] == "COMPLETED"
    assert completed["score"] == 93
    assert completed["scoreLabel"] == "Expert"
    assert completed["resultUrl"] == str(results.report_url)
    assert b"Overall score: 93/100" in fake.attachments["ord-1"][0]
    answered = [c.answered for c in fake.calls_to("results")]
    assert answered == [
        204,
        429,
        401,
        204,
    ]  # throttled (the fake faults before auth), token refreshed, through
    assert (await env.reader.get(assessment_id)).status is AssessmentStatus.COMPLETED  # type: ignore[union-attr]

    status, _ = await env.as_smartrecruiters("DELETE", "/integrations/companies/ACME")
    assert status == 204
    _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert view["status"] == "disabled"
    assert (await env.as_smartrecruiters("POST", "/packages/orders", fake.order("ord-2")))[0] == 403


async def test_an_order_unknown_to_smartrecruiters_is_dead_lettered(env: Env) -> None:
    await consent(env)
    order = env.fake.order("ord-gone")
    status, accepted = await env.as_smartrecruiters("POST", "/packages/orders", order)
    assert status == 201
    env.fake.orders.discard("ord-gone")  # SmartRecruiters no longer knows the order: PATCH answers 404
    await eventually(lambda: env.reader.get(accepted["externalId"]))  # created before the candidate starts
    await env.producers.started(accepted["externalId"])
    letter = await first_dead_letter(env.kafka, env.namespace, "connectors.smartrecruiters")
    headers = {k: v.decode() for k, v in letter.headers}
    assert letter.key == accepted["externalId"].encode()
    assert headers["ce_type"] == "ai.lextalent.assessment.started.v1"
    _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert "404" in view["last_error"]["message"]


async def test_partner_endpoints_refuse_without_our_token(env: Env) -> None:
    async with env.session.get(env.url("/packages")) as resp:
        assert resp.status == 401
    async with env.session.post(
        env.url("/oauth/token"),
        data={"grant_type": "client_credentials", "client_id": INBOUND[0], "client_secret": "x"},
    ) as resp:
        assert resp.status == 401
    async with env.session.post(
        env.url("/integration"), data={"company_id": "ACME", "api_key": "bad"}
    ) as resp:
        assert resp.status == 401


async def _async(value: Any) -> Any:
    return value
