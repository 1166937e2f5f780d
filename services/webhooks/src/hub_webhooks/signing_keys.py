"""Which secrets sign a delivery: the endpoint's valid ones, or the account's for callback URLs.

Looked up per attempt with a short cache, so a rotation takes effect within `secret_cache_s`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from redis.asyncio import Redis

from hub_webhooks.endpoints import EndpointRecord, EndpointStore
from hub_webhooks.secrets import account_signing_secret

V = TypeVar("V")


class SigningKeys:
    def __init__(self, redis: Redis, namespace: str, endpoints: EndpointStore, cache_s: float) -> None:
        self.redis = redis
        self.namespace = namespace
        self.endpoints = endpoints
        self._accounts: TtlCache[str] = TtlCache(cache_s)
        self._endpoints: TtlCache[EndpointRecord | None] = TtlCache(cache_s)

    async def account_secret(self, account_id: str) -> str:
        return await self._accounts.get(
            account_id, lambda: account_signing_secret(self.redis, self.namespace, account_id)
        )

    async def endpoint(self, endpoint_id: str) -> EndpointRecord | None:
        return await self._endpoints.get(endpoint_id, lambda: self.endpoints.get(endpoint_id))


class TtlCache(Generic[V]):
    """Values kept `ttl_s`; when one is missing or stale, concurrent callers share one lookup (a
    worker with a hundred attempts in flight asks Redis once, not a hundred times, per expiry)."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._values: dict[str, tuple[float, V]] = {}
        self._loading: dict[str, asyncio.Future[V]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[V]]) -> V:
        hit = self._values.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(key, load))
            self._loading[key] = pending
        return await asyncio.shield(pending)

    async def _load(self, key: str, load: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await load()
        finally:
            del self._loading[key]
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = (time.monotonic(), value)
        return value
