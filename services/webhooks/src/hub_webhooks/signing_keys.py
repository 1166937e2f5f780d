"""Which secrets sign a delivery: the endpoint's valid ones, or the account's for callback URLs.

Looked up per attempt with a short cache, so a rotation takes effect within `secret_cache_s`.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from hub_webhooks.endpoints import EndpointRecord, EndpointStore
from hub_webhooks.secrets import account_signing_secret


class SigningKeys:
    def __init__(self, redis: Redis, namespace: str, endpoints: EndpointStore, cache_s: float) -> None:
        self.redis = redis
        self.namespace = namespace
        self.endpoints = endpoints
        self.cache_s = cache_s
        self._accounts: dict[str, tuple[float, str]] = {}
        self._endpoints: dict[str, tuple[float, EndpointRecord | None]] = {}

    async def account_secret(self, account_id: str) -> str:
        hit = self._accounts.get(account_id)
        if hit is not None and time.monotonic() - hit[0] < self.cache_s:
            return hit[1]
        secret = await account_signing_secret(self.redis, self.namespace, account_id)
        self._accounts[account_id] = (time.monotonic(), secret)
        return secret

    async def endpoint(self, endpoint_id: str) -> EndpointRecord | None:
        hit = self._endpoints.get(endpoint_id)
        if hit is not None and time.monotonic() - hit[0] < self.cache_s:
            return hit[1]
        record = await self.endpoints.get(endpoint_id)
        self._endpoints[endpoint_id] = (time.monotonic(), record)
        if len(self._endpoints) > 10_000:
            self._endpoints.clear()
        return record
