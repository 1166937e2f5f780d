"""Lever end to end: OAuth connect, signed webhooks, the real assessments service, a fake Lever."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from dead_letter_reading import first_dead_letter
from fake_lever import FakeLever
from lever_setup import SIGNATURE_TOKEN, TRIGGER_STAGE, connect_lever, lever_vendor_settings
from polling import eventually
from redis.asyncio import Redis
from running_assessments import InternalProducers, running_assessments

from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.read_model import AssessmentReader
from hub_connectors.framework.testing.events import sample_results
from hub_connectors.framework.testing.harness import (
    InternalApi,
    RunningConnectors,
    running_connectors,
    seed_account,
    settings_for_test,
)
from hub_contracts.assessment import AssessmentStatus

pytestmark = pytest.mark.kafka

TAG = {
    "sent": "LexTalent: assessment sent",
    "in_progress": "LexTalent: assessment in progress",
    "completed": "LexTalent: assessment completed",
    "cancelled": "LexTalent: assessment cancelled",
}


@dataclass
class Env:
    bootstrap: str
    namespace: str
    fake: FakeLever
    running: RunningConnectors
    api: InternalApi
    reader: AssessmentReader
    integration: dict[str, Any]
    producers: InternalProducers

    @property
    def webhook_url(self) -> str:
        return str(self.integration["inbound_urls"]["webhook"])

    async def link_of(self, opportunity_id: str) -> AssessmentLink:
        async def probe() -> AssessmentLink | None:
            return await self.running.ctx.links.find("lever", self.integration["id"], opportunity_id)

        return await eventually(probe)

    async def invite(self, opportunity_id: str) -> str:
        delivery = self.fake.signed(
            "candidateStageChange", self.fake.stage_change(opportunity_id, TRIGGER_STAGE), SIGNATURE_TOKEN
        )
        assert await self.fake.deliver(self.webhook_url, delivery) == (200, {"status": "assessment_created"})
        return (await self.link_of(opportunity_id)).assessment_id


@pytest.fixture
async def env(kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis) -> AsyncIterator[Env]:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    account_id, _ = await seed_account(redis, topics, settings.api_key_secret.get_secret_value())
    async with (
        FakeLever() as fake,
        running_assessments(kafka_bootstrap, redis_url, topics),
        running_connectors(
            settings, vendor_settings={"lever": lever_vendor_settings(fake)}, enabled=["lever"]
        ) as running,
        aiohttp.ClientSession() as session,
        InternalProducers(kafka_bootstrap, topics) as producers,
    ):
        api = InternalApi(session, running, account_id)
        integration = await connect_lever(api)
        yield Env(
            kafka_bootstrap,
            topics,
            fake,
            running,
            api,
            AssessmentReader(redis, topics),
            integration,
            producers,
        )
        fake.assert_clean()


async def push_done(env: Env, opportunity_id: str, pushes: int) -> None:
    """Until `pushes` state pushes finished (each ends with its removeTags call)."""

    async def probe() -> bool:
        done = [
            c
            for c in env.fake.calls_to("remove_tags", answered=200)
            if c.params["opportunity"] == opportunity_id
        ]
        return len(done) >= pushes

    await eventually(probe)


def tags_are(env: Env, opportunity_id: str, *expected: str) -> Any:
    async def probe() -> bool:
        return env.fake.tags.get(opportunity_id) == list(expected)

    return eventually(probe)


async def test_stage_change_to_completion_note_with_one_refresh_on_401(env: Env) -> None:
    fake = env.fake
    opportunity_id = fake.add_opportunity()
    change = fake.stage_change(opportunity_id, TRIGGER_STAGE)
    delivery = fake.signed("candidateStageChange", change, SIGNATURE_TOKEN)

    forged = delivery | {
        "signature": hmac.new(
            b"guessed-token", f"{delivery['token']}{delivery['triggeredAt']}".encode(), hashlib.sha256
        ).hexdigest()
    }
    assert (await fake.deliver(env.webhook_url, forged))[0] == 401
    tampered = delivery | {
        "data": change | {"opportunityId": fake.add_opportunity()}
    }  # signature still valid!
    assert (await fake.deliver(env.webhook_url, tampered))[0] == 200  # Lever signs token+time only
    await env.link_of(tampered["data"]["opportunityId"])
    assert await fake.deliver(env.webhook_url, delivery) == (
        200,
        {"status": "duplicate"},
    )  # the token is spent

    fresh = fake.signed("candidateStageChange", change, SIGNATURE_TOKEN)
    assert await fake.deliver(env.webhook_url, fresh) == (200, {"status": "assessment_created"})
    assert await fake.deliver(env.webhook_url, fresh) == (200, {"status": "duplicate"})  # replay: no effect
    other_stage = fake.signed(
        "candidateStageChange", fake.stage_change(opportunity_id, "phone-screen"), SIGNATURE_TOKEN
    )
    assert await fake.deliver(env.webhook_url, other_stage) == (200, {"status": "ignored"})

    link = await env.link_of(opportunity_id)
    snap = await eventually(lambda: env.reader.get(link.assessment_id))
    assert (snap.source, snap.candidate.email, snap.candidate.name) == (
        "lever",
        "hgranger@hogwarts.edu",
        "Hermione Granger",
    )
    assert snap.scenario_id == "litigation-discovery-v1"
    assert snap.metadata["lever_opportunity_id"] == opportunity_id
    await tags_are(env, opportunity_id, TAG["sent"])
    await push_done(env, opportunity_id, 1)

    refreshes, calls_before = len(fake.calls_to("token")), len(fake.calls)
    fake.expire_access_tokens()  # the hour is up early (revoked): the next call gets a 401
    await env.producers.started(link.assessment_id)
    await tags_are(env, opportunity_id, TAG["in_progress"])
    assert len(fake.calls_to("token")) == refreshes + 1
    assert fake.calls_to("token")[-1].form["grant_type"] == "refresh_token"  # type: ignore[index]
    # the first call(s) after the expiry got the 401 (a redelivered event may race the new one); a
    # single refresh served them all
    unauthorized = [c.route for c in fake.calls[calls_before:] if c.answered == 401]
    assert unauthorized and set(unauthorized) <= {"get_opportunity", "add_tags", "remove_tags"}

    results = sample_results(63)
    await env.producers.scored(link.assessment_id, results)
    await tags_are(env, opportunity_id, TAG["completed"])
    notes = await eventually(lambda: _value(fake.notes.get(opportunity_id)))
    assert len(notes) == 1
    assert notes[0]["score"] == 3  # proficient → Yes
    assert "63/100 (Proficient)" in notes[0]["value"]
    assert str(results.report_url) in notes[0]["value"]
    assert await eventually(lambda: _value(fake.links.get(opportunity_id))) == [str(results.report_url)]
    credentials = await env.running.ctx.integrations.credentials(env.integration["id"])
    assert credentials["refresh_token"] in fake.refresh_tokens  # the rotated one was stored


async def _value(value: Any) -> Any:
    return value


async def test_archived_candidate_cancels_the_open_assessment(env: Env) -> None:
    fake = env.fake
    opportunity_id = fake.add_opportunity("Ron Weasley", "rweasley@hogwarts.edu")
    assessment_id = await env.invite(opportunity_id)
    await tags_are(env, opportunity_id, TAG["sent"])
    archived = fake.signed("candidateArchiveChange", fake.archive_change(opportunity_id), SIGNATURE_TOKEN)
    assert await fake.deliver(env.webhook_url, archived) == (200, {"status": "assessment_cancelled"})

    async def cancelled() -> bool:
        snap = await env.reader.get(assessment_id)
        return snap is not None and snap.status == AssessmentStatus.CANCELLED

    await eventually(cancelled)
    await tags_are(env, opportunity_id, TAG["cancelled"])
    assert fake.notes.get(opportunity_id) is None


async def test_stale_and_unsigned_deliveries_are_refused(env: Env) -> None:
    fake = env.fake
    opportunity_id = fake.add_opportunity()
    month_ago = int((time.time() - 30 * 24 * 3600) * 1000)
    old = fake.signed(
        "candidateStageChange",
        fake.stage_change(opportunity_id, TRIGGER_STAGE),
        SIGNATURE_TOKEN,
        triggered_at=month_ago,
    )
    assert (await fake.deliver(env.webhook_url, old))[0] == 400
    unsigned = fake.signed(
        "candidateStageChange", fake.stage_change(opportunity_id, TRIGGER_STAGE), SIGNATURE_TOKEN
    )
    unsigned.pop("signature")
    assert (await fake.deliver(env.webhook_url, unsigned))[0] == 400
    assert (await fake.deliver(env.webhook_url.rsplit("/", 1)[0] + "/int_unknown", unsigned))[0] == 404
    malformed = fake.signed("candidateStageChange", {"opportunityId": opportunity_id}, SIGNATURE_TOKEN)
    assert (await fake.deliver(env.webhook_url, malformed))[0] == 400  # no toStageId
    assert fake.calls_to("get_opportunity") == []


async def test_a_vendor_refusal_is_recorded_on_the_integration_and_dead_lettered(env: Env) -> None:
    fake = env.fake
    opportunity_id = fake.add_opportunity()
    assessment_id = await env.invite(opportunity_id)
    await tags_are(env, opportunity_id, TAG["sent"])
    await push_done(env, opportunity_id, 1)
    del fake.opportunities[opportunity_id]  # deleted in Lever meanwhile: 404 ResourceNotFound
    await env.producers.started(assessment_id)
    dead = await first_dead_letter(env.bootstrap, env.namespace, "connectors.lever")
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["x-dlq-reason"].startswith("permanent: lever: POST answered 404")
    assert dead.key == assessment_id.encode()
    _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert view["last_error"]["source"] == "outbound"
    assert "404" in view["last_error"]["message"]
    assert view["status"] == "active"  # a missing object is not a credentials problem
    assert len(fake.calls_to("add_tags", answered=404)) == 1  # not retried


async def test_a_refused_refresh_marks_the_integration_for_reconnection(env: Env) -> None:
    from fake_lever import connect_through_browser

    fake = env.fake
    opportunity_id = fake.add_opportunity()
    assessment_id = await env.invite(opportunity_id)
    await tags_are(env, opportunity_id, TAG["sent"])
    await push_done(env, opportunity_id, 1)
    fake.expire_access_tokens()
    fake.refresh_tokens.clear()  # the customer revoked our app in Lever
    await env.producers.started(assessment_id)

    async def errored() -> dict[str, Any] | None:
        _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
        return view if view["status"] == "error" else None

    view = await eventually(errored)
    assert "refused the grant" in view["last_error"]["message"]
    status, page = await connect_through_browser(view["connect"]["authorize_url"])
    assert status == 200, page
    _, view, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert view["status"] == "active"
    await env.producers.scored(assessment_id, sample_results(95))  # later pushes reach Lever again
    await tags_are(env, opportunity_id, TAG["completed"])
