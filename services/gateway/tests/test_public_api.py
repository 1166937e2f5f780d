"""The public API's promises, against the real gateway with real Kafka and Redis."""

from __future__ import annotations

import asyncio
import re

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_contracts.topics import ASSESSMENT_COMMANDS

from gateway_support import SEED_BODY, Account, assert_problem, make_account, running_assessments

pytestmark = pytest.mark.kafka


async def test_create_returns_exactly_the_seed_fields(gateway: httpx.AsyncClient, account: Account) -> None:
    response = await gateway.post("/v1/assessments", json=SEED_BODY, headers=account.headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "status", "candidate_url", "expires_at", "created_at"}
    assert re.fullmatch(r"asmt_[0-9A-Za-z]{12}", body["id"])
    assert body["status"] == "pending"
    assert body["candidate_url"] == f"https://app.lextalent.ai/challenge/{body['id'][5:]}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["expires_at"])
    # read your writes: the GET right after never answers 404, even before the service stored it
    got = await gateway.get(f"/v1/assessments/{body['id']}", headers=account.headers())
    assert got.status_code == 200
    assert got.json()["candidate"] == {"email": "jane.doe@lawfirm.com", "name": "Jane Doe"}
    assert got.json()["metadata"] == SEED_BODY["metadata"]
    assert "RateLimit" in got.headers and "X-RateLimit-Remaining" in got.headers


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"candidate_email": "not-an-email"}, "candidate_email"),
        ({"candidate_name": ""}, "candidate_name"),
        ({"surprise": 1}, "surprise"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
        ({"metadata": {"k" * 41: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 501}}, "metadata.k"),
        ({"expires_in_days": 31}, "expires_in_days"),
    ],
)
async def test_bad_bodies_are_400_with_field_paths(gateway: httpx.AsyncClient, account: Account,
                                                   change: dict, field: str) -> None:
    response = await gateway.post("/v1/assessments", json={**SEED_BODY, **change}, headers=account.headers())
    body = assert_problem(response, 400, "invalid_request")
    assert any(e["field"].startswith(field) for e in body["errors"]), body


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.com/hook", "invalid_callback_url"),
        ("https://127.0.0.1/hook", "invalid_callback_url"),
        ("https://10.0.0.8/hook", "invalid_callback_url"),
        ("https://169.254.169.254/latest/meta-data", "invalid_callback_url"),
        ("https://2130706433/hook", "invalid_callback_url"),
        ("https://0x7f.1/hook", "invalid_callback_url"),
        ("https://[::ffff:127.0.0.1]/hook", "invalid_callback_url"),
        ("https://localhost/hook", "invalid_callback_url"),
        ("ftp://example.com/x", "invalid_callback_url"),
    ],
)
async def test_callback_urls_are_checked(gateway: httpx.AsyncClient, account: Account, url: str, code: str) -> None:
    response = await gateway.post("/v1/assessments", json={**SEED_BODY, "callback_url": url},
                                  headers=account.headers())
    assert_problem(response, 400, code)


async def test_unknown_scenario_is_400(gateway: httpx.AsyncClient, account: Account) -> None:
    response = await gateway.post("/v1/assessments", json={**SEED_BODY, "scenario_id": "nope"},
                                  headers=account.headers())
    assert_problem(response, 400, "unknown_scenario")


async def test_body_limits_and_media_type(gateway: httpx.AsyncClient, account: Account) -> None:
    big = {**SEED_BODY, "metadata": {"k": "v" * 400}, "candidate_name": "x" * 70_000}
    assert_problem(await gateway.post("/v1/assessments", json=big, headers=account.headers()), 413,
                   "payload_too_large")
    assert_problem(await gateway.post("/v1/assessments", content=b"a=b",
                                      headers={**account.headers(), "content-type": "text/plain"}),
                   415, "unsupported_media_type")
    assert_problem(await gateway.post("/v1/assessments", content=b"{not json",
                                      headers={**account.headers(), "content-type": "application/json"}),
                   400, "invalid_json")


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic abc", "Bearer", "Bearer lt_sk_live_short", "Bearer lt_sk_live_" + "A" * 32],
)
async def test_bad_keys_are_401_with_www_authenticate(gateway: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await gateway.get("/v1/scenarios", headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_non_enterprise_plan_is_403(gateway: httpx.AsyncClient, redis: Redis, topics: str) -> None:
    starter = await make_account(redis, topics, plan=Plan.PROFESSIONAL)
    body = assert_problem(await gateway.get("/v1/scenarios", headers=starter.headers()), 403, "plan_required")
    assert body["detail"] == "API access requires Enterprise plan"


async def test_tenants_and_modes_are_isolated(gateway: httpx.AsyncClient, account: Account, redis: Redis,
                                              topics: str) -> None:
    other = await make_account(redis, topics)
    created = (await gateway.post("/v1/assessments", json=SEED_BODY, headers=account.headers())).json()
    foreign = await gateway.get(f"/v1/assessments/{created['id']}", headers=other.headers())
    test_mode = await gateway.get(f"/v1/assessments/{created['id']}", headers=account.headers("test"))
    missing = await gateway.get("/v1/assessments/asmt_000000000000", headers=other.headers())
    bodies = []
    for response in (foreign, test_mode, missing):
        body = assert_problem(response, 404, "not_found")
        body.pop("request_id")
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]


async def _commands_in(kafka_bootstrap: str, topic: str) -> list[bytes]:
    """Every record of a topic, from offset 0 to its end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]  # the `topics` fixture makes 3 partitions
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        values: list[bytes] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values += [r.value for r in records if r.value is not None]
        return values
    finally:
        await consumer.stop()


async def test_idempotency_key_replays_and_conflicts(gateway: httpx.AsyncClient, redis: Redis, topics: str,
                                                      kafka_bootstrap: str) -> None:
    account = await make_account(redis, topics, rate_limit=1000)
    headers = {**account.headers(), "Idempotency-Key": "create-jane-1"}
    responses = await asyncio.gather(*(gateway.post("/v1/assessments", json=SEED_BODY, headers=headers)
                                       for _ in range(100)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 99
    conflict = await gateway.post("/v1/assessments", json={**SEED_BODY, "candidate_name": "Other"}, headers=headers)
    assert_problem(conflict, 409, "idempotency_conflict")
    # and on Kafka: exactly one create command went out, for that id
    commands = [orjson.loads(v) for v in await _commands_in(kafka_bootstrap, ASSESSMENT_COMMANDS.full_name(topics))]
    assert [c["assessment_id"] for c in commands] == [responses[0].json()["id"]]


async def test_rate_limit_429_with_headers(gateway: httpx.AsyncClient, redis: Redis, topics: str) -> None:
    small = await make_account(redis, topics, rate_limit=5)
    responses = [await gateway.get("/v1/scenarios", headers=small.headers()) for _ in range(7)]
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 2
    limited = assert_problem(responses[-1], 429, "rate_limited")
    assert limited["status"] == 429
    assert int(responses[-1].headers["retry-after"]) >= 1
    assert responses[0].headers["ratelimit-policy"] == '"default";q=5;w=60'
    assert responses[0].headers["x-ratelimit-remaining"] == "4"


async def test_lifecycle_through_the_api(gateway: httpx.AsyncClient, account: Account, gateway_settings) -> None:
    async with running_assessments(gateway_settings):
        created = (await gateway.post("/v1/assessments", json=SEED_BODY, headers=account.headers("test"))).json()
        aid = created["id"]
        started = await gateway.post(f"/v1/assessments/{aid}/simulate", json={"outcome": "started"},
                                     headers=account.headers("test"))
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "in_progress"
        done = await gateway.post(f"/v1/assessments/{aid}/simulate",
                                  json={"outcome": "completed", "overall_score": 91},
                                  headers=account.headers("test"))
        assert done.status_code == 200, done.text
        assert done.json()["results"]["band"] == "expert"
        refused = await gateway.post(f"/v1/assessments/{aid}/cancel", json={}, headers=account.headers("test"))
        assert_problem(refused, 409, "invalid_state")
        live = (await gateway.post("/v1/assessments", json=SEED_BODY, headers=account.headers())).json()
        denied = await gateway.post(f"/v1/assessments/{live['id']}/simulate", json={"outcome": "started"},
                                    headers=account.headers())
        assert_problem(denied, 403, "test_mode_only")
        extended = await gateway.post(f"/v1/assessments/{live['id']}/extend", json={"expires_in_days": 20},
                                      headers=account.headers())
        assert extended.status_code == 200, extended.text
        assert extended.json()["expires_at"] > live["expires_at"]
        cancelled = await gateway.post(f"/v1/assessments/{live['id']}/cancel", json={"reason": "role filled"},
                                       headers=account.headers())
        assert cancelled.json()["status"] == "cancelled"
        listed = await gateway.get("/v1/assessments", params={"status": "cancelled"}, headers=account.headers())
        assert [a["id"] for a in listed.json()["data"]] == [live["id"]]


async def test_list_paginates_newest_first(gateway: httpx.AsyncClient, account: Account) -> None:
    ids = []
    for i in range(5):
        body = {**SEED_BODY, "metadata": {"n": i}}
        ids.append((await gateway.post("/v1/assessments", json=body, headers=account.headers("test"))).json()["id"])
        await asyncio.sleep(0.002)
    # pending records are served by the read model once the service stores them; here, without the
    # service running, the list is empty, which is the read model's truth
    page = await gateway.get("/v1/assessments", params={"limit": 2}, headers=account.headers("test"))
    assert page.status_code == 200
    assert page.json()["object"] == "list"


async def test_kafka_unreachable_is_503_and_reads_still_work(gateway_settings, account: Account) -> None:
    from hub_devtools.brokers import free_port

    from gateway_support import serve_gateway

    dead = gateway_settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
                                               "http_port": free_port()})
    async with serve_gateway(dead) as url, httpx.AsyncClient(base_url=url, timeout=20) as client:
        response = await client.post("/v1/assessments", json=SEED_BODY, headers=account.headers())
        body = assert_problem(response, 503, "service_unavailable")
        assert int(response.headers["retry-after"]) > 0
        assert "Nothing was created" in body["detail"] or "retry" in body["detail"].lower()
        assert (await client.get("/v1/scenarios", headers=account.headers())).status_code == 200
