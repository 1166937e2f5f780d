"""Run the whole connectors service in-process on 127.0.0.1 for a test, and talk to it over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import aiohttp
import orjson
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from redis.asyncio import Redis

from hub_connectors.app import create_app
from hub_connectors.framework.clock import Clock
from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.settings import ConnectorsSettings
from hub_contracts.accounts import AccountKeys, AccountRecord, ApiKeyRecord, Plan, hash_api_key, new_api_key
from hub_contracts.base import base62, utcnow


def settings_for_test(
    kafka_bootstrap: str, redis_url: str, namespace: str, **overrides: Any
) -> ConnectorsSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "redis_url": SecretStr(redis_url),
        "namespace": namespace,
        "credentials_keys": SecretStr(Fernet.generate_key().decode()),
        "api_key_secret": SecretStr("test-api-key-secret"),
        "retry_initial_s": 0.05,
        "retry_max_s": 1.0,
        "outbound_timeout_s": 2.0,
        "log_format": "json",
    }
    values.update(overrides)
    return ConnectorsSettings(**values)


@dataclass
class RunningConnectors:
    app: FastAPI
    base_url: str
    settings: ConnectorsSettings

    @property
    def ctx(self) -> ConnectorContext:
        ctx: ConnectorContext = self.app.state.ctx
        return ctx

    def connector(self, name: str) -> ConnectorBase[Any]:
        connector: ConnectorBase[Any] = self.app.state.connectors[name]
        return connector

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@contextlib.asynccontextmanager
async def running_connectors(
    settings: ConnectorsSettings,
    *,
    clock: Clock | None = None,
    vendor_settings: dict[str, BaseSettings] | None = None,
    enabled: list[str] | None = None,
) -> AsyncIterator[RunningConnectors]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"public_base_url": base_url})
    app = create_app(settings, clock=clock, vendor_settings=vendor_settings, enabled=enabled)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the connectors app stopped during startup")
                await asyncio.sleep(0.02)
        yield RunningConnectors(app=app, base_url=base_url, settings=settings)
    finally:
        server.should_exit = True
        done, _ = await asyncio.wait([task], timeout=30)
        sock.close()
        if not done:
            stuck = describe_tasks(t for t in asyncio.all_tasks() if t is not asyncio.current_task())
            task.cancel()
            raise TimeoutError(f"the connectors app did not stop within 30 s; its tasks:\n{stuck}")


def describe_tasks(tasks: Iterable[asyncio.Task[Any]]) -> str:
    """Each task with its whole await chain (a task's own stack shows only the outermost frame)."""
    lines: list[str] = []
    for task in tasks:
        lines.append(f"{task.get_name()} ({'cancelling' if task.cancelling() else 'pending'}):")
        awaited: Any = task.get_coro()
        while awaited is not None:
            frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
            if frame is not None:
                lines.append(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return "\n".join(lines)


async def seed_account(
    redis: Redis,
    namespace: str,
    api_key_secret: str,
    *,
    plan: Plan = Plan.ENTERPRISE,
    mode: Literal["live", "test"] = "live",
    revoked: bool = False,
    expired: bool = False,
) -> tuple[str, str]:
    """Write an account and one API key the way the gateway stores them; returns (account id, key)."""
    keys = AccountKeys(namespace)
    account_id = f"acct_{base62(14)}"
    now = utcnow()
    await redis.set(
        keys.account(account_id),
        AccountRecord(id=account_id, name="Test firm", plan=plan, created_at=now).to_json(),
    )
    api_key = new_api_key(mode)
    record = ApiKeyRecord(
        key_id=f"key_{base62(14)}",
        account_id=account_id,
        mode=mode,
        last4=api_key[-4:],
        created_at=now,
        revoked_at=now if revoked else None,
        expires_at=now - timedelta(seconds=1) if expired else None,
    )
    key_hash = hash_api_key(api_key, api_key_secret)
    await redis.set(keys.api_key(key_hash), record.to_json())
    await redis.sadd(keys.account_api_keys(account_id), key_hash)
    return account_id, api_key


class InternalApi:
    """The management API as the gateway calls it (internal token and caller headers)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        running: RunningConnectors,
        account_id: str,
        livemode: bool = True,
    ) -> None:
        self.session = session
        self.running = running
        self.account_id = account_id
        self.livemode = livemode

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.running.settings.internal_token.get_secret_value()}",
            "X-Hub-Account-Id": self.account_id,
            "X-Hub-Livemode": "true" if self.livemode else "false",
            "X-Request-Id": f"req_{base62(12)}",
        }

    async def call(self, method: str, path: str = "", body: Any = None) -> tuple[int, Any, str]:
        """(status, JSON body or None, content type)."""
        data = orjson.dumps(body) if body is not None else None
        headers = self.headers() | ({"Content-Type": "application/json"} if data else {})
        async with self.session.request(
            method, self.running.url(f"/internal/v1/integrations{path}"), data=data, headers=headers
        ) as resp:
            raw = await resp.read()
            return resp.status, orjson.loads(raw) if raw else None, resp.headers.get("Content-Type", "")

    async def create(
        self,
        connector: str,
        settings: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        status, body, _ = await self.call(
            "POST", "", {"connector": connector, "settings": settings or {}, "credentials": credentials or {}}
        )
        assert status == 201, body
        assert isinstance(body, dict)
        return body


async def stored_values(redis: Redis, pattern: str) -> bytes:
    """Every value under `pattern` as stored (strings, hash fields, list/set/zset members), concatenated:
    for checking that a secret is not kept in clear."""
    parts: list[Any] = []
    async for key in redis.scan_iter(match=pattern, count=1000):
        raw_kind = await redis.type(key)
        kind = raw_kind.decode() if isinstance(raw_kind, bytes) else str(raw_kind)
        if kind == "string":
            parts.append(await redis.get(key) or b"")
        elif kind == "hash":
            parts.extend(v for pair in (await redis.hgetall(key)).items() for v in pair)
        elif kind == "list":
            parts.extend(await redis.lrange(key, 0, -1))
        elif kind == "set":
            parts.extend(await redis.smembers(key))
        elif kind == "zset":
            parts.extend(await redis.zrange(key, 0, -1))
    return b"\n".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)
