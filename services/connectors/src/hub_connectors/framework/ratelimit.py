"""Outbound rate limits per vendor: a token bucket in Redis, shared by every instance of the service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from hub_connectors.framework.clock import Clock


class RateLimitScope(StrEnum):
    VENDOR = "vendor"  # one bucket for all our calls to this vendor
    INTEGRATION = "integration"  # one bucket per customer credential (Lever: per API key/token)


@dataclass(frozen=True)
class RateLimit:
    """`rate_per_s` tokens refill each second, up to `burst`; one call takes one token."""

    rate_per_s: float
    burst: int
    scope: RateLimitScope = RateLimitScope.INTEGRATION


# Returns 0 when a token was taken, else the milliseconds until one is available.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * rate / 1000.0) end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000.0 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', math.max(now, at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000.0 / rate) + 1000)
return wait
"""


class RateLimiter:
    def __init__(self, redis: Redis, clock: Clock, namespace: str = "") -> None:
        self.redis = redis
        self.clock = clock
        self.namespace = namespace
        self._take = redis.register_script(_TAKE)

    def bucket_key(self, connector: str, limit: RateLimit, integration_id: str | None) -> str:
        scope = integration_id if limit.scope == RateLimitScope.INTEGRATION and integration_id else "all"
        return f"{self.namespace}conn:rl:{connector}:{scope}"

    async def try_take(self, connector: str, limit: RateLimit, integration_id: str | None = None) -> float:
        """Take a token if one is there; returns 0.0, or the seconds to wait before asking again."""
        wait_ms = await self._take(
            keys=[self.bucket_key(connector, limit, integration_id)],
            args=[limit.rate_per_s, limit.burst, int(self.clock.now() * 1000)],
        )
        return int(wait_ms) / 1000.0

    async def acquire(
        self, connector: str, limit: RateLimit | None, integration_id: str | None = None
    ) -> None:
        if limit is None:
            return
        while (wait := await self.try_take(connector, limit, integration_id)) > 0:
            await self.clock.sleep(wait)
