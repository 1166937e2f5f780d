"""Property-based API testing from the exported OpenAPI document against a live gateway process.

Every operation gets generated requests (valid and invalid); none may produce a 5xx or a response
that breaks the documented schema. CI runs a bounded number of cases per operation;
`HUB_SCHEMATHESIS_EXAMPLES=200 uv run pytest services/gateway/tests/test_schemathesis.py` is the
nightly size (≥ 1,000 cases over the 8 operations).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from redis.asyncio import Redis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from hub_devtools.brokers import free_port
from hub_devtools.provision import create_topics, delete_namespace_topics
from hub_devtools.runner import ServiceGroup, wait_http_ok
from hub_gateway.openapi_export import EXPORT_PATH

from gateway_support import SECRET, make_account

pytestmark = pytest.mark.kafka

EXAMPLES = int(os.environ.get("HUB_SCHEMATHESIS_EXAMPLES", "25"))
schema = schemathesis.openapi.from_path(str(EXPORT_PATH))


@dataclass
class LiveGateway:
    url: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def live_gateway(kafka_bootstrap: str, redis_url: str) -> Iterator[LiveGateway]:
    namespace = f"t{uuid.uuid4().hex[:10]}."

    async def prepare() -> str:
        await create_topics(kafka_bootstrap, namespace, partitions=1)
        redis = Redis.from_url(redis_url)
        try:
            account = await make_account(redis, namespace, rate_limit=100_000)
        finally:
            await redis.aclose()
        return account.test_key

    key = asyncio.run(prepare())
    port = free_port()
    env = {"HUB_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "HUB_REDIS_URL": redis_url, "HUB_NAMESPACE": namespace,
           "HUB_API_KEY_SECRET": SECRET, "HUB_HTTP_PORT": str(port), "HUB_COMMAND_WAIT_S": "0.2",
           "HUB_LOG_LEVEL": "WARNING"}
    group = ServiceGroup(env, Path(tempfile.mkdtemp(prefix="schemathesis-")))
    group.start("gateway")
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", 60, group)
        yield LiveGateway(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"})
    finally:
        group.stop_all()
        asyncio.run(delete_namespace_topics(kafka_bootstrap, namespace))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors_and_responses_match_the_schema(case: schemathesis.Case, live_gateway: LiveGateway) -> None:
    response = case.call(base_url=live_gateway.url, headers=live_gateway.headers, timeout=15)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    # Excluded: "schema-valid request rejected". Some rules are semantic and not expressible in JSON Schema:
    # scenario_id must name a catalogue scenario, callback_url must not resolve to a private address, a cursor
    # must come from a previous page. Those answers are 400s with a field error, which the other checks still
    # validate against the documented problem schema.
    # Also excluded: "schema-violating request accepted". Its false alarms are structural: a negative case that
    # drops the Authorization header gets it back from the fixture's headers, and an array in a query string is
    # indistinguishable from a repeated scalar (seen: `metadata_key` "became array", answered 200). Invalid input
    # is still sent and must still get no 5xx and a documented response; the rejection of each invalid field is
    # asserted one by one in test_public_api.py.
    if "x-request-id" not in response.headers:
        # Answered by the HTTP server itself (uvicorn refusing a malformed request, e.g. a negative
        # Content-Length) before the app runs: no 5xx is all we can ask of it.
        return
    case.validate_response(response, excluded_checks=[positive_data_acceptance, negative_data_rejection])
