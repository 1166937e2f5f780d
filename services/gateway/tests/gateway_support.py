"""Helpers of the gateway tests: the real gateway on a loopback port, accounts, the real assessments
service in-process. (Not in conftest.py: several services have one, so `conftest` is no importable name.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import uvicorn
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_devtools.runner import assessments_process
from hub_gateway.accounts import AccountAdmin
from hub_gateway.app import create_app
from hub_gateway.settings import GatewaySettings

SECRET = "test-api-key-secret"


@dataclass
class Account:
    id: str
    live_key: str
    test_key: str

    def headers(self, mode: str = "live") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.live_key if mode == 'live' else self.test_key}"}


@contextlib.asynccontextmanager
async def serve_gateway(settings: GatewaySettings) -> AsyncIterator[str]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.http_port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)



async def make_account(redis: Redis, namespace: str, plan: Plan = Plan.ENTERPRISE, rate_limit: int = 100) -> Account:
    admin = AccountAdmin(redis, SECRET, namespace)
    account = await admin.create_account("Example LLP", plan, rate_limit)
    live, _ = await admin.create_key(account.id, "live")
    test, _ = await admin.create_key(account.id, "test")
    return Account(account.id, live, test)



SEED_BODY = {
    "candidate_email": "jane.doe@lawfirm.com",
    "candidate_name": "Jane Doe",
    "scenario_id": "ma-due-diligence-v2",
    "callback_url": "https://your-ats.example.com/webhooks/lextalent",
    "metadata": {"requisition_id": "REQ-2026-0142", "hiring_manager": "john.smith@lawfirm.com"},
}



@contextlib.asynccontextmanager
async def running_assessments(settings: GatewaySettings) -> AsyncIterator[None]:
    async with assessments_process(settings.kafka_bootstrap_servers, settings.redis_url.get_secret_value(),
                                   settings.namespace):
        await _wait_until_consuming(settings)
        yield


async def _wait_until_consuming(settings: GatewaySettings, timeout_s: float = 60) -> None:
    """Until the service's consumers joined their group: a probe command gets its outcome."""
    from redis.asyncio import Redis

    from hub_contracts.base import new_id, utcnow
    from hub_contracts.commands import CancelAssessment
    from hub_contracts.read_model import AssessmentKeys
    from hub_gateway.publisher import CommandPublisher

    publisher = CommandPublisher(settings)
    await publisher.start()
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    try:
        probe = CancelAssessment(command_id=new_id("cmd"), assessment_id="asmt_probe0000000",
                                 account_id="acct_probe0000", livemode=False, issued_at=utcnow())
        await publisher.publish(probe, None)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await redis.exists(AssessmentKeys(settings.namespace).command_outcome(probe.command_id)):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the assessments service did not start consuming")
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()
        await publisher.stop()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    """An RFC 9457 problem answer with this status and code, carrying the response's request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    assert {"type", "title", "detail", "errors"} <= body.keys()
    return body
