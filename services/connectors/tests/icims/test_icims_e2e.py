"""iCIMS end to end: real Kafka and Redis, the real assessments service, the strict fake iCIMS.

An event is answered at once and worked off by the intake worker (profiles fetched, assessment
created by the command path); the invite, start and completion become one assessmentresults row
(POSTed, then PATCHed by its group id); 5xx is retried, an expired OAuth token is refreshed, a
candidate without an email is recorded as a failure; nothing is lost.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from fake_icims import STATUS_NODES, FakeIcims, post_event
from polling import eventually
from redis.asyncio import Redis
from running_assessments import InternalProducers, running_assessments
from test_icims_contract import icims_credentials, icims_settings, icims_vendor_settings

from hub_connectors.framework.read_model import AssessmentReader
from hub_connectors.framework.testing.events import sample_results
from hub_connectors.framework.testing.fake_vendor import Fault
from hub_connectors.framework.testing.harness import (
    InternalApi,
    running_connectors,
    seed_account,
    settings_for_test,
)
from hub_connectors.icims.formats import parse_icims_datetime
from hub_connectors.icims.intake import IntakeQueue
from hub_contracts.assessment import AssessmentStatus

pytestmark = pytest.mark.kafka


@dataclass
class Env:
    fake: FakeIcims
    session: aiohttp.ClientSession
    api: InternalApi
    reader: AssessmentReader
    producers: InternalProducers
    integration: dict[str, Any]
    events_url: str
    token_url: str
    redis: Redis
    namespace: str


async def _env(
    kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis, *, api_auth: str, event_auth: str
) -> AsyncIterator[Env]:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    account_id, _ = await seed_account(redis, topics, settings.api_key_secret.get_secret_value())
    async with FakeIcims(api_auth=api_auth) as fake:  # type: ignore[arg-type]
        async with (
            running_assessments(kafka_bootstrap, redis_url, topics),
            running_connectors(
                settings, vendor_settings={"icims": icims_vendor_settings(fake)}, enabled=["icims"]
            ) as running,
            aiohttp.ClientSession() as session,
            InternalProducers(kafka_bootstrap, topics) as producers,
        ):
            api = InternalApi(session, running, account_id)
            integration = await api.create(
                "icims", icims_settings(api_auth=api_auth, event_auth=event_auth), icims_credentials(fake)
            )
            yield Env(
                fake,
                session,
                api,
                AssessmentReader(redis, topics),
                producers,
                integration,
                integration["inbound_urls"]["events"],
                integration["inbound_urls"]["oauth_token"],
                redis,
                topics,
            )
        fake.assert_clean()


@pytest.fixture
async def basic_env(kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis) -> AsyncIterator[Env]:
    async for env in _env(kafka_bootstrap, redis_url, topics, redis, api_auth="basic", event_auth="basic"):
        yield env


@pytest.fixture
async def oauth_env(kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis) -> AsyncIterator[Env]:
    async for env in _env(kafka_bootstrap, redis_url, topics, redis, api_auth="oauth2", event_auth="hmac"):
        yield env


async def _assessment_for(env: Env, workflow_id: str = "13820") -> Any:
    async def find() -> Any:
        rows = env.fake.rows.get(workflow_id)
        return rows[0] if rows else None

    return await eventually(find)


async def test_status_flow_update_to_completed_row(basic_env: Env) -> None:
    env, fake = basic_env, basic_env.fake
    started_at = time.monotonic()
    resp = await post_event(
        env.session,
        env.events_url,
        fake.event("status"),
        auth="basic",
        user="icims_events",
        secret="EVENTS-pa55word-1",
    )
    assert resp.status == 200
    assert time.monotonic() - started_at < 2.0  # answered before any profile is fetched
    again = await post_event(
        env.session,
        env.events_url,
        fake.event("status"),
        auth="basic",
        user="icims_events",
        secret="EVENTS-pa55word-1",
    )
    assert again.status == 200  # a repeated event: still one assessment

    row = await _assessment_for(env)
    assert STATUS_NODES[row.fields["assessmentstatus"]["id"]] == "Sent"
    parse_icims_datetime(row.fields["assessmentdate"])
    person_call = fake.calls_to("person")[0]
    assert person_call.query == {"fields": "firstname,lastname,email"}
    assert len(fake.rows["13820"]) == 1

    snaps = [s for s in [await env.reader.get(a) for a in await _ids(env)] if s]
    assert len(snaps) == 1
    snap = snaps[0]
    assert (snap.candidate.name, snap.candidate.email, snap.source) == (
        "Jane Doe",
        "jane.doe@example.com",
        "icims",
    )
    assert snap.metadata["icims_workflow_id"] == "13820"

    await env.producers.started(snap.id)
    await eventually(lambda: _async(len(row.history) >= 2))
    assert STATUS_NODES[row.fields["assessmentstatus"]["id"]] == "In Progress"

    fake.inject("update_row", Fault(status=503), Fault(status=500))
    await env.producers.scored(snap.id, sample_results(77))
    await eventually(lambda: _async(len(row.history) >= 3))
    done = row.fields
    assert STATUS_NODES[done["assessmentstatus"]["id"]] == "Complete"
    assert done["assessmentscore"] == 77
    assert done["assessmentresult"].startswith("Agentic Readiness 77/100 - Advanced")
    assert done["assessmentnotes"].startswith("Report: https://app.lextalent.ai/reports/rpt_123")
    assert [c.answered for c in fake.calls_to("update_row")] == [200, 503, 500, 200]
    assert len(fake.rows["13820"]) == 1  # one row, updated by its group id
    assert (await env.reader.get(snap.id)).status is AssessmentStatus.COMPLETED  # type: ignore[union-attr]


async def test_application_complete_with_hmac_events_and_an_expiring_oauth_token(oauth_env: Env) -> None:
    env, fake = oauth_env, oauth_env.fake
    resp = await post_event(
        env.session,
        env.events_url,
        fake.event("complete", workflow_id="13900"),
        auth="hmac",
        user="icims_hmac_events",
        secret="EVENTS-hmac-secret-1",
    )
    assert resp.status == 303
    assert resp.headers["Location"].startswith("https://app.lextalent.ai/challenge/")
    row = await _assessment_for(env, "13900")
    assert fake.calls_to("token")  # the API calls carried a fetched Bearer token

    assessment_id = "asmt_" + resp.headers["Location"].rsplit("/", 1)[1]
    fake.revoke_tokens()  # the cached token expires: the next call gets 401, refreshes, succeeds
    await env.producers.started(assessment_id)
    await eventually(lambda: _async(len(row.history) >= 2))
    assert [c.answered for c in fake.calls_to("update_row")] == [401, 200]
    assert len(fake.calls_to("token")) == 2

    bad = await post_event(
        env.session,
        env.events_url,
        fake.event("status", workflow_id="1"),
        auth="hmac",
        user="icims_hmac_events",
        secret="wrong-secret",
    )
    assert bad.status == 401


async def test_candidate_without_email_is_recorded_not_lost(basic_env: Env) -> None:
    env, fake = basic_env, basic_env.fake
    fake.people["500"] = {"firstname": "No", "lastname": "Email"}
    resp = await post_event(
        env.session,
        env.events_url,
        fake.event("status", workflow_id="14000", person_id="500"),
        auth="basic",
        user="icims_events",
        secret="EVENTS-pa55word-1",
    )
    assert resp.status == 200

    async def recorded() -> Any:
        _, body, _ = await env.api.call("GET", f"/{env.integration['id']}")
        return body["last_error"]

    error = await eventually(recorded)
    assert "no email" in error["message"]
    failures = await IntakeQueue(env.redis, env.namespace).failures()
    assert failures[0]["event"]["workflow_id"] == "14000"
    assert fake.rows.get("14000") is None


async def test_refused_events(basic_env: Env) -> None:
    env, fake = basic_env, basic_env.fake
    wrong = await post_event(
        env.session, env.events_url, fake.event("status"), auth="basic", user="icims_events", secret="nope"
    )
    assert wrong.status == 401
    other_customer = fake.event("status") | {"customerId": "9999"}
    assert (
        await post_event(
            env.session,
            env.events_url,
            other_customer,
            auth="basic",
            user="icims_events",
            secret="EVENTS-pa55word-1",
        )
    ).status == 400
    foreign = fake.event("status")
    foreign["links"][2]["url"] = "https://evil.example/customers/2187/people/11219"
    assert (
        await post_event(
            env.session,
            env.events_url,
            foreign,
            auth="basic",
            user="icims_events",
            secret="EVENTS-pa55word-1",
        )
    ).status == 400
    assert fake.calls_to("person") == []


async def _ids(env: Env) -> list[str]:
    keys = [k async for k in env.redis.scan_iter(match=f"{env.namespace}conn:link:*")]
    return [k.decode().rsplit(":", 1)[1] for k in keys]


async def _async(value: Any) -> Any:
    return value
