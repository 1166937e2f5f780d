"""`GET /v1/assessments` (pagination, filters), the 404 of tenant isolation, test-mode simulation and
the 500: against the real gateway with real Kafka and Redis (and the real assessments service where
the read model matters)."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import orjson
import pytest
from redis.asyncio import Redis

from hub_contracts.read_model import AssessmentKeys
from hub_gateway.reads import AssessmentReader

from gateway_support import SEED_BODY, Account, assert_problem, make_account, running_assessments

pytestmark = pytest.mark.kafka

SECOND_SCENARIO = "contract-review-v3"
REQUEST_ID = re.compile(r"req_[0-9a-f]{16}")
RATE_LIMIT_HEADERS = {"ratelimit", "ratelimit-policy", "x-ratelimit-limit", "x-ratelimit-remaining",
                      "x-ratelimit-reset"}


async def roomy_account(redis: Redis, namespace: str) -> Account:
    """An account whose rate limit no test here comes near."""
    return await make_account(redis, namespace, rate_limit=5000)


async def create(gateway: httpx.AsyncClient, account: Account, mode: str = "live", **changes: Any) -> dict:
    response = await gateway.post("/v1/assessments", json={**SEED_BODY, **changes}, headers=account.headers(mode))
    assert response.status_code == 201, response.text
    return response.json()


async def wait_stored(redis: Redis, namespace: str, assessment_ids: list[str], status: str = "pending",
                      timeout_s: float = 30) -> None:
    """Until the assessments service stored every one of them in the read model with that status
    (the list reads only the read model, not the gateway's just-created records)."""
    keys = AssessmentKeys(namespace)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        raws = [await redis.hget(keys.record(i), "snapshot") for i in assessment_ids]
        if all(raw is not None and orjson.loads(raw)["status"] == status for raw in raws):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not all of {assessment_ids} stored as {status}")
        await asyncio.sleep(0.05)


async def list_ids(gateway: httpx.AsyncClient, account: Account, mode: str = "live", **params: Any) -> list[str]:
    response = await gateway.get("/v1/assessments", params={"limit": 100, **params}, headers=account.headers(mode))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    assert body["has_more"] is False and body["next_cursor"] is None
    return [a["id"] for a in body["data"]]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- pagination ------------------------------------------------------------------------------------


async def test_list_walks_every_assessment_once_newest_first(gateway: httpx.AsyncClient, redis: Redis,
                                                             topics: str, gateway_settings) -> None:
    account = await roomy_account(redis, topics)
    async with running_assessments(gateway_settings):
        # Two bursts a second apart: the older burst shares one created_at second (ties in the index),
        # so a page boundary falls inside a group of equal timestamps.
        older = await asyncio.gather(*(create(gateway, account, metadata={"n": i}) for i in range(4)))
        await asyncio.sleep(1.1)
        newer = await asyncio.gather(*(create(gateway, account, metadata={"n": 4 + i}) for i in range(3)))
        created = [*older, *newer]
        assert max(ts(c["created_at"]) for c in older) < min(ts(c["created_at"]) for c in newer)
        await wait_stored(redis, topics, [c["id"] for c in created])

        pages = []
        params: dict[str, Any] = {"limit": 3}
        while True:
            response = await gateway.get("/v1/assessments", params=params, headers=account.headers())
            assert response.status_code == 200, response.text
            page = response.json()
            pages.append(page)
            assert len(pages) <= 5, "the walk does not end"
            if not page["has_more"]:
                break
            assert page["next_cursor"], page
            params = {"limit": 3, "cursor": page["next_cursor"]}

        assert [len(p["data"]) for p in pages] == [3, 3, 1]
        assert [p["has_more"] for p in pages] == [True, True, False]
        assert pages[-1]["next_cursor"] is None
        walked = [a for p in pages for a in p["data"]]
        walked_ids = [a["id"] for a in walked]
        assert len(walked_ids) == len(set(walked_ids)) == 7, walked_ids
        assert set(walked_ids) == {c["id"] for c in created}
        # newest first: the newer burst before the older one, created_at never increasing
        assert set(walked_ids[:3]) == {c["id"] for c in newer}
        stamps = [ts(a["created_at"]) for a in walked]
        assert stamps == sorted(stamps, reverse=True)
        # pages agree with one big page (ties are ordered the same way by both)
        assert walked_ids == await list_ids(gateway, account)

        # starting_after (an id) gives the same page as the cursor of the page ending with that id
        after = await gateway.get("/v1/assessments", params={"limit": 3, "starting_after": walked_ids[2]},
                                  headers=account.headers())
        assert after.status_code == 200, after.text
        assert [a["id"] for a in after.json()["data"]] == walked_ids[3:6]
        assert after.json()["has_more"] is True
        # another mode's (or account's) data is no anchor
        test_mode = await gateway.get("/v1/assessments", params={"starting_after": walked_ids[0]},
                                      headers=account.headers("test"))
        assert_problem(test_mode, 400, "invalid_cursor")
        assert await list_ids(gateway, account, "test") == []


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
async def test_list_limit_out_of_range_is_400(gateway: httpx.AsyncClient, account: Account, limit: str) -> None:
    response = await gateway.get("/v1/assessments", params={"limit": limit}, headers=account.headers())
    body = assert_problem(response, 400, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["limit"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "eyJub3QiOiJhIGxpc3QifQ",  # {"not":"a list"}
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b'["soon","asmt_000000000000"]').decode(),
        base64.urlsafe_b64encode(b'[null,"asmt_000000000000"]').decode(),
        base64.urlsafe_b64encode(b'[1e999,"asmt_000000000000"]').decode(),
        base64.urlsafe_b64encode("[1,\u00e9]".encode()).decode(),
    ],
)
async def test_list_garbage_cursor_is_400(gateway: httpx.AsyncClient, account: Account, cursor: str) -> None:
    response = await gateway.get("/v1/assessments", params={"cursor": cursor}, headers=account.headers())
    body = assert_problem(response, 400, "invalid_cursor")
    assert "Traceback" not in response.text and body["detail"] == "The cursor is not valid."


async def test_list_overlong_cursor_and_unknown_anchor_are_400(gateway: httpx.AsyncClient, account: Account) -> None:
    long = await gateway.get("/v1/assessments", params={"cursor": "A" * 201}, headers=account.headers())
    assert [e["field"] for e in assert_problem(long, 400, "invalid_request")["errors"]] == ["cursor"]
    for anchor in ("asmt_000000000000", "not-an-id"):
        missing = await gateway.get("/v1/assessments", params={"starting_after": anchor},
                                    headers=account.headers())
        assert [e["field"] for e in assert_problem(missing, 400, "invalid_cursor")["errors"]] == ["starting_after"]


# --- filters ---------------------------------------------------------------------------------------


async def test_list_filters_narrow_the_result(gateway: httpx.AsyncClient, redis: Redis, topics: str,
                                              gateway_settings) -> None:
    account = await roomy_account(redis, topics)
    other = await roomy_account(redis, topics)
    async with running_assessments(gateway_settings):
        # a second apart each, so created_at (whole seconds) orders them
        first = await create(gateway, account, candidate_email="alice@firm.com", candidate_name="Alice",
                             metadata={"req": "R1", "team": "ma"})
        await asyncio.sleep(1.05)
        second = await create(gateway, account, candidate_email="bob@firm.com", candidate_name="Bob",
                              scenario_id=SECOND_SCENARIO, metadata={"req": "R2", "n": 7})
        await asyncio.sleep(1.05)
        third = await create(gateway, account, candidate_email="bob@firm.com", candidate_name="Bob",
                             metadata={"req": "R1"})
        await create(gateway, other)  # another account's: never listed
        await create(gateway, account, "test")  # test mode's: never listed with a live key
        a1, a2, a3 = first["id"], second["id"], third["id"]
        await wait_stored(redis, topics, [a1, a2, a3])
        cancelled = await gateway.post(f"/v1/assessments/{a3}/cancel", json={"reason": "filled"},
                                       headers=account.headers())
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        await wait_stored(redis, topics, [a3], status="cancelled")

        async def ids(**params: Any) -> list[str]:
            return await list_ids(gateway, account, **params)

        assert await ids() == [a3, a2, a1]
        # status
        assert await ids(status="cancelled") == [a3]
        assert await ids(status="pending") == [a2, a1]
        assert await ids(status="completed") == []
        # scenario
        assert await ids(scenario_id=SEED_BODY["scenario_id"]) == [a3, a1]
        assert await ids(scenario_id=SECOND_SCENARIO) == [a2]
        # candidate e-mail, case-insensitively
        assert await ids(candidate_email="bob@firm.com") == [a3, a2]
        assert await ids(candidate_email="Alice@FIRM.com") == [a1]
        assert await ids(candidate_email="carol@firm.com") == []
        # created_after / created_before: strictly after / before, any offset
        t1, t2, t3 = (ts(x["created_at"]) for x in (first, second, third))
        assert t1 < t2 < t3
        assert await ids(created_after=first["created_at"]) == [a3, a2]
        assert await ids(created_before=third["created_at"]) == [a2, a1]
        assert await ids(created_after=first["created_at"], created_before=third["created_at"]) == [a2]
        half = timedelta(milliseconds=500)
        assert await ids(created_after=(t2 - half).isoformat()) == [a3, a2]
        plus_two = (t2 + half).astimezone(timezone(timedelta(hours=2))).isoformat()
        assert plus_two.endswith("+02:00")
        assert await ids(created_before=plus_two) == [a2, a1]
        assert await ids(created_after=(t3 + half).isoformat()) == []
        # metadata: a key alone, or key and value (a number's value as written in JSON)
        assert await ids(metadata_key="team") == [a1]
        assert await ids(metadata_key="req") == [a3, a2, a1]
        assert await ids(metadata_key="req", metadata_value="R1") == [a3, a1]
        assert await ids(metadata_key="req", metadata_value="R2") == [a2]
        assert await ids(metadata_key="n", metadata_value="7") == [a2]
        assert await ids(metadata_key="req", metadata_value="R3") == []
        assert await ids(metadata_key="absent") == []
        # filters combine
        assert await ids(status="pending", scenario_id=SEED_BODY["scenario_id"]) == [a1]
        assert await ids(candidate_email="bob@firm.com", metadata_key="req", metadata_value="R1") == [a3]
        # a filter and a cursor together
        page = await gateway.get("/v1/assessments", params={"limit": 1, "metadata_key": "req",
                                                            "metadata_value": "R1"}, headers=account.headers())
        assert [a["id"] for a in page.json()["data"]] == [a3] and page.json()["has_more"] is True
        rest = await gateway.get("/v1/assessments", params={"limit": 1, "metadata_key": "req",
                                                            "metadata_value": "R1",
                                                            "cursor": page.json()["next_cursor"]},
                                 headers=account.headers())
        assert [a["id"] for a in rest.json()["data"]] == [a1] and rest.json()["has_more"] is False


async def test_list_metadata_filter_matches_booleans_as_json(gateway: httpx.AsyncClient, redis: Redis,
                                                             topics: str, gateway_settings) -> None:
    account = await roomy_account(redis, topics)
    async with running_assessments(gateway_settings):
        urgent = await create(gateway, account, metadata={"urgent": True})
        calm = await create(gateway, account, metadata={"urgent": False})
        await wait_stored(redis, topics, [urgent["id"], calm["id"]])
        got = await gateway.get(f"/v1/assessments/{urgent['id']}", headers=account.headers())
        assert got.json()["metadata"] == {"urgent": True}  # shown as JSON `true`
        assert await list_ids(gateway, account, metadata_key="urgent", metadata_value="true") == [urgent["id"]]
        assert await list_ids(gateway, account, metadata_key="urgent", metadata_value="false") == [calm["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stauts": "pending"}, "stauts"),
        ({"status": "pending", "candidate": "a@b.com"}, "candidate"),
        ({"metadata[req]": "R1"}, "metadata[req]"),
        ({"status": "done"}, "status"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-02-01"}, "created_before"),
        ({"created_after": "2026-02-01T00:00:00"}, "created_after"),  # no offset: ambiguous
        ({"created_after": "2026-13-01T00:00:00Z"}, "created_after"),
        ({"metadata_key": "k" * 41}, "metadata_key"),
        ({"metadata_value": "R1"}, "metadata_value"),  # without metadata_key it would widen the list
    ],
)
async def test_list_unknown_or_bad_query_parameters_are_400(gateway: httpx.AsyncClient, account: Account,
                                                            params: dict, field: str) -> None:
    response = await gateway.get("/v1/assessments", params=params, headers=account.headers())
    body = assert_problem(response, 400, "invalid_request")
    assert [e["field"] for e in body["errors"]] == [field], body


# --- tenant isolation ------------------------------------------------------------------------------


def _without_request_id(response: httpx.Response) -> bytes:
    request_id = response.headers["x-request-id"]
    assert REQUEST_ID.fullmatch(request_id)
    raw = response.content
    assert raw.count(request_id.encode()) == 1, raw
    return raw.replace(request_id.encode(), b"req_XXXXXXXXXXXXXXXX")


def _comparable_headers(response: httpx.Response) -> list[tuple[str, str]]:
    # `date` is left out too: two responses may straddle a second
    skip = {"x-request-id", "date", *RATE_LIMIT_HEADERS}
    return sorted((k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in skip)


async def test_not_found_is_byte_identical_for_foreign_and_missing_ids(gateway: httpx.AsyncClient, redis: Redis,
                                                                       topics: str, gateway_settings) -> None:
    owner = await roomy_account(redis, topics)
    stranger = await roomy_account(redis, topics)
    async with running_assessments(gateway_settings):
        live = await create(gateway, owner)
        test = await create(gateway, owner, "test")
        await wait_stored(redis, topics, [live["id"], test["id"]])
    assert (await gateway.get(f"/v1/assessments/{live['id']}", headers=owner.headers())).status_code == 200

    probes = [
        await gateway.get(f"/v1/assessments/{live['id']}", headers=stranger.headers()),  # another account's
        await gateway.get("/v1/assessments/asmt_0AbCdEfGhIjK", headers=stranger.headers()),  # no such id
        await gateway.get(f"/v1/assessments/{test['id']}", headers=stranger.headers("test")),
        await gateway.get(f"/v1/assessments/{test['id']}", headers=owner.headers()),  # the other mode's
        await gateway.get("/v1/assessments/asmt_short", headers=stranger.headers()),  # malformed
    ]
    for response in probes:
        assert_problem(response, 404, "not_found")
    reference = probes[1]
    for response in probes:
        assert response.status_code == reference.status_code
        assert _without_request_id(response) == _without_request_id(reference)
        assert _comparable_headers(response) == _comparable_headers(reference)
        assert all(h in response.headers for h in ("x-request-id", "ratelimit"))
    # and the same on the state-changing routes
    for path in (f"/v1/assessments/{live['id']}/cancel", "/v1/assessments/asmt_0AbCdEfGhIjK/cancel"):
        response = await gateway.post(path, json={}, headers=stranger.headers())
        assert_problem(response, 404, "not_found")
        assert _without_request_id(response) == _without_request_id(reference)
        assert _comparable_headers(response) == _comparable_headers(reference)


# --- simulate --------------------------------------------------------------------------------------


async def test_simulate_expired_in_test_mode_and_never_live(gateway: httpx.AsyncClient, redis: Redis,
                                                            topics: str, gateway_settings) -> None:
    account = await roomy_account(redis, topics)
    async with running_assessments(gateway_settings):
        test = await create(gateway, account, "test")
        live = await create(gateway, account)
        await wait_stored(redis, topics, [test["id"], live["id"]])

        expired = await gateway.post(f"/v1/assessments/{test['id']}/simulate", json={"outcome": "expired"},
                                     headers=account.headers("test"))
        assert expired.status_code == 200, expired.text
        view = expired.json()
        assert view["status"] == "expired" and view["livemode"] is False
        assert view["expired_at"] is not None and view["expires_at"] == view["expired_at"]
        assert view["completed_at"] is None and view["results"] is None
        got = await gateway.get(f"/v1/assessments/{test['id']}", headers=account.headers("test"))
        assert got.json()["status"] == "expired"
        assert await list_ids(gateway, account, "test", status="expired") == [test["id"]]
        # terminal now: neither simulated again nor cancelled
        again = await gateway.post(f"/v1/assessments/{test['id']}/simulate", json={"outcome": "expired"},
                                   headers=account.headers("test"))
        assert_problem(again, 409, "invalid_state")
        assert_problem(await gateway.post(f"/v1/assessments/{test['id']}/cancel", json={},
                                          headers=account.headers("test")), 409, "invalid_state")

        # a live key can never simulate: its own live assessment, or any id at all
        for aid in (live["id"], test["id"], "asmt_0AbCdEfGhIjK"):
            denied = await gateway.post(f"/v1/assessments/{aid}/simulate", json={"outcome": "expired"},
                                        headers=account.headers())
            body = assert_problem(denied, 403, "test_mode_only")
            assert "lt_sk_test_" in body["detail"]
        assert (await gateway.get(f"/v1/assessments/{live['id']}", headers=account.headers())).json()["status"] \
            == "pending"
        # a test key does not see the live assessment
        assert_problem(await gateway.post(f"/v1/assessments/{live['id']}/simulate", json={"outcome": "expired"},
                                          headers=account.headers("test")), 404, "not_found")
        # and an unknown outcome is a 400
        bad = await gateway.post(f"/v1/assessments/{test['id']}/simulate", json={"outcome": "vanished"},
                                 headers=account.headers("test"))
        assert [e["field"] for e in assert_problem(bad, 400, "invalid_request")["errors"]] == ["outcome"]


# --- 500 -------------------------------------------------------------------------------------------

SECRET_DETAIL = "secret internal detail"


def _explode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway runs in this process and event loop (uvicorn as a task): patch its reader."""
    async def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(AssessmentReader, "get", boom)
    monkeypatch.setattr(AssessmentReader, "list", boom)


def _assert_internal_error_without_internals(response: httpx.Response) -> dict:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 500 and body["code"] == "internal_error"
    assert body["type"].endswith("/internal_error") and body["errors"] == []
    assert REQUEST_ID.fullmatch(body["request_id"])
    everything = response.text + "".join(f"{k}: {v}\n" for k, v in response.headers.multi_items())
    for leak in (SECRET_DETAIL, "Traceback", "RuntimeError", "reads.py", "hub_gateway"):
        assert leak not in everything, leak
    return body


@pytest.mark.parametrize("path", ["/v1/assessments/asmt_0AbCdEfGhIjK", "/v1/assessments"])
async def test_500_shows_no_internals(gateway: httpx.AsyncClient, account: Account,
                                      monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    _explode(monkeypatch)
    first = _assert_internal_error_without_internals(await gateway.get(path, headers=account.headers()))
    second = _assert_internal_error_without_internals(await gateway.get(path, headers=account.headers()))
    assert first["request_id"] != second["request_id"]
    # the gateway keeps serving
    monkeypatch.undo()
    assert (await gateway.get("/v1/assessments", headers=account.headers())).status_code == 200


async def test_500_carries_its_request_id_header(gateway: httpx.AsyncClient, account: Account,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _explode(monkeypatch)
    response = await gateway.get("/v1/assessments/asmt_0AbCdEfGhIjK", headers=account.headers())
    body = _assert_internal_error_without_internals(response)
    assert response.headers.get("x-request-id") == body["request_id"]
