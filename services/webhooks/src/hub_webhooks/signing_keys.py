"""Which secrets sign a delivery: the endpoint's valid ones, or the account's for callback URLs.

Looked up per attempt with a short cache, so a rotation takes effect within `secret_cache_s`.
"""

from __future__ import annotations

from redis.asyncio import Redis

from hub_webhooks.cache import TtlCache
from hub_webhooks.endpoints import EndpointRecord, EndpointStore
from hub_webhooks.secrets import account_signing_secret


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
