"""Greenhouse end to end: real Kafka and Redis, the real assessments service, a strict fake Greenhouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from fake_greenhouse import FakeGreenhouse, doc_example
from polling import eventually
from redis.asyncio import Redis
from running_assessments import InternalProducers, running_assessments

from hub_connectors.framework.read_model import AssessmentReader
from hub_connectors.framework.testing.events import sample_results
from hub_connectors.framework.testing.fake_vendor import Fault
from hub_connectors.framework.testing.harness import (
    InternalApi,
    RunningConnectors,
    running_connectors,
    seed_account,
    settings_for_test,
    stored_values,
)
from hub_connectors.greenhouse.connector import GreenhouseVendorSettings
from hub_contracts.accounts import Plan
from hub_contracts.assessment import AssessmentStatus

pytestmark = pytest.mark.kafka


@dataclass
class Env:
    fake: FakeGreenhouse
    running: RunningConnectors
    api: InternalApi
    redis: Redis
    namespace: str
    account_id: str
    api_key: str
    integration: dict[str, Any]
    producers: InternalProducers


@pytest.fixture
async def env(kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis) -> AsyncIterator[Env]:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    secret = settings.api_key_secret.get_secret_value()
    account_id, api_key = await seed_account(redis, topics, secret)
    async with (
        FakeGreenhouse() as fake,
        running_assessments(kafka_bootstrap, redis_url, topics),
        running_connectors(
            settings,
            vendor_settings={
                "greenhouse": GreenhouseVendorSettings(callback_url_prefixes=[fake.take_home_test_url("")])
            },
            enabled=["greenhouse"],
        ) as running,
        aiohttp.ClientSession() as session,
        InternalProducers(kafka_bootstrap, topics) as producers,
    ):
        api = InternalApi(session, running, account_id)
        integration = await api.create("greenhouse", {"scenario_ids": []})
        fake.api_key = api_key
        fake.partner_base_url = running.url("/connectors/greenhouse")
        yield Env(fake, running, api, redis, topics, account_id, api_key, integration, producers)
        fake.assert_clean()


def order(
    fake: FakeGreenhouse, take_home_test_id: str = "12345", test_id: str = "ma-due-diligence-v2"
) -> Any:
    body = doc_example("send_test_request")
    body["partner_test_id"] = test_id
    body["url"] = fake.take_home_test_url(take_home_test_id)
    return body


async def test_send_test_creates_an_assessment_and_completion_pings_greenhouse(env: Env) -> None:
    fake = env.fake
    status, tests = await fake.list_tests()
    assert status == 200
    assert {
        "partner_test_id": "ma-due-diligence-v2",
        "partner_test_name": "M&A due diligence with an agent team",
    } in tests

    status, answer = await fake.send_test(order(fake))
    assert status == 200
    interview_id = answer["partner_interview_id"]
    assert interview_id.startswith("asmt_")
    status, again = await fake.send_test(order(fake))  # Greenhouse retrying the same order
    assert (status, again) == (200, answer)

    reader = AssessmentReader(env.redis, env.namespace)
    snap = await eventually(lambda: reader.get(interview_id))
    assert snap.source == "greenhouse"
    assert (snap.candidate.email, snap.candidate.name) == ("hpotter@hogwarts.edu", "Harry Potter")
    assert snap.scenario_id == "ma-due-diligence-v2"
    assert snap.candidate_url == f"https://app.lextalent.ai/challenge/{interview_id.removeprefix('asmt_')}"
    assert (snap.expires_at - snap.created_at).days == 7
    assert snap.metadata["greenhouse_sent_by"] == "test_sender@example.org"
    status, body = await fake.test_status(interview_id)
    assert (status, body["partner_status"], body["partner_score"]) == (200, "sent", None)

    await env.producers.started(interview_id)

    async def in_progress() -> bool:
        return (await fake.test_status(interview_id))[1]["partner_status"] == "in_progress"

    await eventually(in_progress)
    assert fake.calls_to("mark_completed") == []  # Greenhouse documents no ping before completion

    fake.inject("mark_completed", Fault(status=503), Fault(status=429, headers={"Retry-After": "0"}))
    results = sample_results(81)
    await env.producers.scored(interview_id, results)

    patches = await fake.wait_for_calls("mark_completed", 3)
    assert [c.answered for c in patches] == [503, 429, 200]
    assert all(c.body == b"" for c in patches)
    answers = await eventually(lambda: _async(fake.status_answers))
    assert answers[0]["status"] == 200
    final = answers[0]["body"]
    assert final["partner_status"] == "complete"
    assert final["partner_score"] == 81
    assert final["partner_profile_url"] == str(results.report_url)
    assert final["metadata"]["Band"] == "Advanced"
    assert (await reader.get(interview_id)).status == AssessmentStatus.COMPLETED  # type: ignore[union-attr]


async def _async(value: Any) -> Any:
    return value


async def test_basic_auth_uses_the_gateways_keys_plans_and_tenants(
    env: Env,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, secret = env.fake, env.running.settings.api_key_secret.get_secret_value()
    assert (await fake._call("GET", "list_tests", api_key=""))[0] == 401
    assert (await fake.list_tests(api_key="lt_sk_live_" + "x" * 32))[0] == 401
    for flags in ({"revoked": True}, {"expired": True}):
        _, key = await seed_account(env.redis, env.namespace, secret, **flags)  # type: ignore[arg-type]
        assert (await fake.list_tests(api_key=key))[0] == 401
    _, starter_key = await seed_account(env.redis, env.namespace, secret, plan=Plan.PROFESSIONAL)
    assert (await fake.list_tests(api_key=starter_key))[0] == 403
    other_account, other_key = await seed_account(env.redis, env.namespace, secret)
    assert (await fake.list_tests(api_key=other_key))[0] == 403  # no Greenhouse integration there

    _, answer = await fake.send_test(order(fake))
    interview_id = answer["partner_interview_id"]
    async with aiohttp.ClientSession() as session:
        await InternalApi(session, env.running, other_account).create("greenhouse")
    assert (await fake.test_status(interview_id, api_key=other_key))[0] == 404  # another tenant's order
    assert (await fake.test_status("asmt_000000000000"))[0] == 404

    stored = await stored_values(env.redis, f"{env.namespace}conn:*")
    assert env.api_key.encode() not in stored
    logs = capsys.readouterr()
    assert env.api_key not in logs.out + logs.err


async def test_test_mode_keys_reach_only_test_mode_integrations(env: Env) -> None:
    secret = env.running.settings.api_key_secret.get_secret_value()
    account_id, test_key = await seed_account(env.redis, env.namespace, secret, mode="test")
    assert (await env.fake.list_tests(api_key=test_key))[0] == 403
    async with aiohttp.ClientSession() as session:
        await InternalApi(session, env.running, account_id, livemode=False).create("greenhouse")
    env.fake.api_key = test_key
    _, answer = await env.fake.send_test(order(env.fake, "555"))
    snap = await eventually(
        lambda: AssessmentReader(env.redis, env.namespace).get(answer["partner_interview_id"])
    )
    assert snap.livemode is False


async def test_bad_orders_are_refused(env: Env) -> None:
    fake = env.fake
    status, _ = await fake.send_test(order(fake, test_id="not-a-test"))
    assert status == 404
    bad_url = order(fake) | {"url": "http://127.0.0.1:1/elsewhere"}
    assert (await fake.send_test(bad_url))[0] == 400
    broken = order(fake)
    del broken["candidate"]["email"]
    assert (await fake.send_test(broken))[0] == 400
    _, integration = None, env.integration
    status, _, _ = await env.api.call(
        "PATCH", f"/{integration['id']}", {"settings": {"scenario_ids": ["contract-review-v3"]}}
    )
    assert status == 200
    assert (await fake.send_test(order(fake)))[0] == 404  # no longer offered
    _, tests = await fake.list_tests()
    assert [t["partner_test_id"] for t in tests] == ["contract-review-v3"]


async def test_response_error_is_recorded_on_the_integration(env: Env) -> None:
    status, body = await env.fake.response_error(doc_example("response_error_request"))
    assert (status, body) == (200, {})
    _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert view["last_error"]["source"] == "response_error"
    assert "partner_profile url is missing" in view["last_error"]["message"]
    assert view["recent_errors"][0]["details"]["partner_interview_id"] == "299506"
    assert view["status"] == "active"
    assert set(view["inbound_urls"]) == {"list_tests", "send_test", "test_status", "response_error"}
