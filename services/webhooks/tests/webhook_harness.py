"""Fixtures of the webhooks tests: a real receiver on 127.0.0.1, events on real Kafka, the service
running in-process (lifespan, or uvicorn on a free port when the HTTP API is needed)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import pytest
import uvicorn
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiokafka import AIOKafkaProducer

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.events import AssessmentCompleted, AssessmentCreated, EventBase
from hub_contracts.ids import new_assessment_id
from hub_contracts.topics import ASSESSMENT_EVENTS
from hub_webhooks.app import create_app
from hub_webhooks.clock import Clock, ManualClock
from hub_webhooks.keys import WebhookKeys
from hub_webhooks.settings import WebhooksSettings

ACCOUNT = "acct_WebhookTest01"

Behaviour = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ScriptedResolver(AbstractResolver):
    """Answers from a script: each name maps to a list of answers, one per lookup (the last repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: dict[str, int] = {}

    async def resolve(
        self,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        script = self.answers.get(host)
        if script is None:
            raise OSError(f"{host}: no such name")
        n = self.lookups.get(host, 0)
        self.lookups[host] = n + 1
        addresses = script[min(n, len(script) - 1)]
        return [
            {
                "hostname": host,
                "host": a,
                "port": port,
                "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for a in addresses
        ]

    async def close(self) -> None:
        return None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request; behaviours are set per path."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    behaviours: dict[str, list[Behaviour]] = field(default_factory=dict)
    default: dict[str, Behaviour] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    max_in_flight: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def then(self, path: str, *behaviours: Behaviour) -> None:
        """Answer the next requests to `path` with these behaviours, in order."""
        self.behaviours.setdefault(path, []).extend(behaviours)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def wait_for(self, path: str, count: int, within_s: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + within_s
        while len(self.at(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: got {len(self.at(path))} requests, wanted {count}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.2)
        return self.at(path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body, time.monotonic())
        )
        self.arrived.set()
        queue = self.behaviours.get(request.path)
        behaviour = queue.pop(0) if queue else self.default.get(request.path, ok)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await behaviour(request)
        finally:
            self.in_flight -= 1


async def ok(_: web.Request) -> web.StreamResponse:
    return web.json_response({"received": True})


def status(code: int, headers: dict[str, str] | None = None) -> Behaviour:
    async def answer(_: web.Request) -> web.StreamResponse:
        return web.Response(status=code, headers=headers, text="nope")

    return answer


def sleep_then_ok(seconds: float) -> Behaviour:
    async def answer(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({"received": True})

    return answer


def status_forever(code: int) -> Behaviour:
    return status(code)


def redirect_to(location: str) -> Behaviour:
    async def answer(_: web.Request) -> web.StreamResponse:
        return web.Response(status=307, headers={"Location": location})

    return answer


async def reset_connection(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        transport.close()
    await asyncio.sleep(0.05)
    return web.Response(status=200)


def slow_body(seconds: float) -> Behaviour:
    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b"x" * 10)
        await asyncio.sleep(seconds)
        return response

    return answer


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    rec.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield rec
    await runner.cleanup()


@pytest.fixture
def settings(kafka_bootstrap: str, redis_url: str, topics: str) -> WebhooksSettings:
    return WebhooksSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        redis_url=redis_url,
        namespace=topics,
        allowed_hosts=["127.0.0.1"],
        secret_cache_s=0,
        poll_interval_s=0.02,
        reap_interval_s=0.2,
        log_level="WARNING",
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def delivery_of(redis: Any, namespace: str, assessment_id: str) -> dict[str, str]:
    """The (single) delivery of an assessment, as stored."""
    keys = WebhookKeys(namespace)
    ids = await redis.zrange(keys.assessment_index(assessment_id), 0, -1)
    assert len(ids) == 1, ids
    raw = await redis.hgetall(keys.delivery(ids[0].decode()))
    return {k.decode(): v.decode() for k, v in raw.items()}


async def wait_delivery(
    redis: Any,
    namespace: str,
    assessment_id: str,
    predicate: Callable[[dict[str, str]], bool],
    within_s: float = 15.0,
) -> dict[str, str]:
    deadline = time.monotonic() + within_s
    last: dict[str, str] = {}
    while time.monotonic() < deadline:
        keys = WebhookKeys(namespace)
        ids = await redis.zrange(keys.assessment_index(assessment_id), 0, -1)
        if ids:
            last = await delivery_of(redis, namespace, assessment_id)
            if predicate(last):
                return last
        await asyncio.sleep(0.02)
    raise AssertionError(
        f"delivery of {assessment_id} never matched; last: { {k: v for k, v in last.items() if k != 'body'} }"
    )


async def attempts_of(redis: Any, namespace: str, delivery_id: str) -> list[dict[str, Any]]:
    keys = WebhookKeys(namespace)
    return [orjson.loads(a) for a in await redis.lrange(keys.attempts(delivery_id), 0, -1)]


@dataclass
class Running:
    settings: WebhooksSettings
    base_url: str
    app: Any

    @property
    def service(self) -> Any:
        return self.app.state.service

    def auth(self, account_id: str = ACCOUNT, livemode: bool = True) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.settings.internal_token}",
            "X-Hub-Account-Id": account_id,
            "X-Hub-Livemode": "true" if livemode else "false",
            "X-Request-Id": new_id("req"),
        }


@contextlib.asynccontextmanager
async def running(
    settings: WebhooksSettings, clock: Clock | None = None, **kwargs: Any
) -> AsyncIterator[Running]:
    """The whole service in this process: uvicorn on a free port, lifespan and all."""
    app = create_app(settings, clock=clock, **kwargs)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done():
            task.result()
        if time.monotonic() > deadline:
            raise AssertionError("the webhooks service did not start")
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Running(settings, f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


def snapshot(
    callback_url: str | None,
    *,
    status: AssessmentStatus = AssessmentStatus.PENDING,
    version: int = 1,
    account_id: str = ACCOUNT,
    name: str = "Jane Doe",
) -> AssessmentSnapshot:
    now = utcnow()
    aid = new_assessment_id()
    return AssessmentSnapshot(
        id=aid,
        account_id=account_id,
        livemode=True,
        status=status,
        version=version,
        candidate=Candidate(email="jane@example.com", name=name),
        scenario_id="ma-due-diligence-v2",
        callback_url=callback_url,
        candidate_url=f"https://app.lextalent.ai/challenge/{aid[5:]}",
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=7),
    )


def created_event(snap: AssessmentSnapshot) -> AssessmentCreated:
    return AssessmentCreated.of(snap, event_id=new_id("evt"))


def completed_event(snap: AssessmentSnapshot) -> AssessmentCompleted:
    done = snap.model_copy(update={"status": AssessmentStatus.COMPLETED, "version": snap.version + 1})
    return AssessmentCompleted(
        event_id=new_id("evt"),
        assessment_id=snap.id,
        account_id=snap.account_id,
        livemode=snap.livemode,
        version=done.version,
        occurred_at=done.updated_at,
        snapshot=done,
    )


@contextlib.asynccontextmanager
async def event_producer(bootstrap: str, namespace: str) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    await producer.start()
    topic = ASSESSMENT_EVENTS.full_name(namespace)

    async def send(event: EventBase | bytes, key: str = "asmt_x", ce_type: str | None = None) -> None:
        if isinstance(event, bytes):
            headers = make_headers(
                id=new_id("evt"),
                type=ce_type or "ai.lextalent.assessment.created.v1",
                source="//tests",
                subject=key,
            )
            await producer.send_and_wait(topic, event, key=key.encode(), headers=headers)
            return
        ce = type(event).model_fields["type"].default
        headers = make_headers(id=event.event_id, type=ce, source="//tests", subject=event.assessment_id)
        await producer.send_and_wait(
            topic, event.to_json(), key=event.assessment_id.encode(), headers=headers
        )

    try:
        yield send
    finally:
        await producer.stop()
