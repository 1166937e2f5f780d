"""Workday end to end: real Kafka and Redis, the real assessments service, the strict fake Workday.

The tenant's notification creates an assessment through the command path; the invite, start and
completion each produce Get_Assess_Candidate (once) and Assess_Candidate calls with our results mapped;
503, 429 and a Server fault are retried, a Client fault is dead-lettered and recorded, nothing is lost.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from dead_letter_reading import first_dead_letter
from fake_workday import FakeWorkday, SoapFault
from polling import eventually
from redis.asyncio import Redis
from running_assessments import InternalProducers, running_assessments
from test_workday_contract import WORKDAY_CREDENTIALS, workday_settings, workday_vendor_settings

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

NOTIFICATION = {  # Criteria's documented example payload (ats-formats.md §3.2)
    "Candidate_First_Name": "Michael",
    "Candidate_Last_Name": "Scott",
    "Candidate_Email": "michael.scott@dm.com",
    "Candidate_Mobile": "+1 (999) 999 9999",
    "Candidate_ID": "C00001",
    "Job_Requisition_ID": "R00001",
    "Assessment_Status": "Initiated",
    "Assessment_ID": "RECRUITING_ASSESSMENT-1-10",
}


@dataclass
class Env:
    fake: FakeWorkday
    running: RunningConnectors
    session: aiohttp.ClientSession
    api: InternalApi
    redis: Redis
    namespace: str
    kafka: str
    api_key: str
    integration: dict[str, Any]
    producers: InternalProducers

    async def notify(self, body: Any, api_key: str | None = None) -> tuple[int, Any]:
        key = api_key if api_key is not None else self.api_key
        headers = {
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode(),
        }
        async with self.session.post(
            self.running.url("/connectors/workday/notifications"), data=orjson.dumps(body), headers=headers
        ) as resp:
            return resp.status, await resp.json(content_type=None)


@pytest.fixture
async def env(kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis) -> AsyncIterator[Env]:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    account_id, api_key = await seed_account(redis, topics, settings.api_key_secret.get_secret_value())
    async with (
        FakeWorkday() as fake,
        running_assessments(kafka_bootstrap, redis_url, topics),
        running_connectors(
            settings, vendor_settings={"workday": workday_vendor_settings()}, enabled=["workday"]
        ) as running,
        aiohttp.ClientSession() as session,
        InternalProducers(kafka_bootstrap, topics) as producers,
    ):
        api = InternalApi(session, running, account_id)
        integration = await api.create("workday", workday_settings(fake.base_url), dict(WORKDAY_CREDENTIALS))
        yield Env(
            fake, running, session, api, redis, topics, kafka_bootstrap, api_key, integration, producers
        )
        fake.assert_clean()


async def test_notification_to_completion_writes_back_with_retry_on_server_fault(env: Env) -> None:
    fake = env.fake
    entry = fake.add_entry("C00001", "R00001")
    status, answer = await env.notify(NOTIFICATION)
    assert status == 201, answer
    assessment_id = answer["assessment_id"]
    assert answer["candidate_url"].endswith(assessment_id.removeprefix("asmt_"))
    again = await env.notify(NOTIFICATION)  # the tenant's integration retrying
    assert again == (200, {**answer, "created": False})

    reader = AssessmentReader(env.redis, env.namespace)
    snap = await eventually(lambda: reader.get(assessment_id))
    assert snap.source == "workday"
    assert (snap.candidate.name, snap.candidate.email) == ("Michael Scott", "michael.scott@dm.com")
    assert snap.metadata["workday_candidate_id"] == "C00001"

    invited = await eventually(lambda: _some(fake.writes))
    assert invited[0].status_wid == "invited-wid"
    assert invited[0].event_wid == entry.event_wid
    assert invited[0].test_url == snap.candidate_url
    assert invited[0].assessed_on == snap.created_at.date().isoformat()

    fake.inject("soap", Fault(status=503), Fault(status=429, headers={"Retry-After": "0"}))
    await env.producers.started(assessment_id)
    await eventually(lambda: _some(len(fake.writes) >= 2))
    assert fake.writes[1].status_wid == "inprogress-wid"

    fake.soap_faults.append(SoapFault("soapenv:Server.processingFault", "Processing error occurred"))
    results = sample_results(88)
    await env.producers.scored(assessment_id, results)
    await eventually(lambda: _some(len(fake.writes) >= 3))
    done = fake.writes[2]
    assert done.status_wid == "completed-wid"
    assert done.score == "88"
    assert done.test_status_wid == "passed-wid"
    assert done.results_url == str(results.report_url)
    assert done.test_date == results.completed_at.date().isoformat()
    assert done.comment is not None
    assert "88/100 (advanced)" in done.comment
    answered = [c.answered for c in fake.calls_to("soap")]
    assert answered.count(503) == 1  # gateway errors and throttling before the start was written
    assert answered.count(429) == 1
    assert answered.count(500) == 1  # the Server fault, then the retry that succeeded
    assert fake.operations.count("Get_Assess_Candidate_Request") == 1  # the entry is remembered
    assert fake.operations.count("Assess_Candidate_Request") == 4
    assert (await reader.get(assessment_id)).status is AssessmentStatus.COMPLETED  # type: ignore[union-attr]


async def test_client_fault_is_dead_lettered_and_recorded(env: Env) -> None:
    fake = env.fake
    fake.add_entry("C00001", "R00001")
    fake.soap_faults.append(
        SoapFault(
            "soapenv:Client.validationError",
            "Validation error occurred.",
            "The Job Application business process must be in the Assess Candidate state",
        )
    )
    status, answer = await env.notify(NOTIFICATION)
    assert status == 201
    letter = await first_dead_letter(env.kafka, env.namespace, "connectors.workday")
    headers = {k: v.decode() for k, v in letter.headers}
    assert letter.key == answer["assessment_id"].encode()
    assert headers["ce_type"] == "ai.lextalent.assessment.created.v1"
    assert orjson.loads(letter.value)["assessment_id"] == answer["assessment_id"]
    _, body, _ = await env.api.call("GET", f"/{env.integration['id']}")
    assert "Assess Candidate state" in body["last_error"]["message"]
    assert fake.writes == []

    await env.producers.started(answer["assessment_id"])  # the next event still goes through
    await eventually(lambda: _some(fake.writes))
    assert fake.writes[0].status_wid == "inprogress-wid"


async def test_unmappable_or_unauthenticated_notifications_are_refused(env: Env) -> None:
    status, body = await env.notify({"Candidate_First_Name": "No", "Candidate_Email": "nope"})
    assert status == 400
    assert body["code"] == "invalid_notification"
    assert {e["field"] for e in body["errors"]} >= {"Candidate_Email", "Candidate_ID"}
    assert (await env.notify(NOTIFICATION, api_key="lt_sk_live_" + "x" * 32))[0] == 401
    secret = env.running.settings.api_key_secret.get_secret_value()
    _, other_key = await seed_account(env.redis, env.namespace, secret)
    assert (await env.notify(NOTIFICATION, api_key=other_key))[0] == 403  # no Workday integration there


async def _some(value: Any) -> Any:
    return value
