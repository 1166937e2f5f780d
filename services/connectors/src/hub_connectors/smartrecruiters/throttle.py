"""SmartRecruiters' limits per API credential: 10 requests/s, 8 concurrent, and its 429 headers.

The request rate uses the framework's shared token bucket (keyed by credential, not integration, since
integrations may share the partner credential). Concurrency is a Redis lease set per credential, so
every instance of the service counts together; a crashed holder's lease expires. After a 429, or when
`X-RateLimit-Remaining` reaches 0, the credential cools down for the time SmartRecruiters asks
(`Retry-After`, else one second), shared by all instances.
(ats-formats.md §5.4: X-RateLimit-Limit, -Remaining, -Concurrent-Limit, -Concurrent-Remaining.)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from hub_connectors.framework.clock import Clock
from hub_connectors.framework.ratelimit import RateLimit, RateLimitScope

REQUESTS_PER_S = 10
CONCURRENT = 8
RATE_LIMIT = RateLimit(rate_per_s=REQUESTS_PER_S, burst=REQUESTS_PER_S, scope=RateLimitScope.INTEGRATION)
LEASE_S = 60.0
DEFAULT_COOLDOWN_S = 1.0


def credential_key(client_id: str) -> str:
    """A stable, secret-free name of a credential for Redis keys and rate-limit buckets."""
    return "cred_" + hashlib.sha256(client_id.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RateLimitHeaders:
    limit: int | None
    remaining: int | None
    concurrent_limit: int | None
    concurrent_remaining: int | None
    retry_after_s: float | None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateLimitHeaders:
        lower = {k.lower(): v for k, v in headers.items()}

        def number(name: str) -> int | None:
            value = lower.get(name, "").strip()
            return int(value) if value.isdigit() else None

        retry = lower.get("retry-after", "").strip()
        try:
            retry_s: float | None = max(0.0, float(retry)) if retry else None
        except ValueError:
            retry_s = None
        return cls(
            number("x-ratelimit-limit"),
            number("x-ratelimit-remaining"),
            number("x-ratelimit-concurrent-limit"),
            number("x-ratelimit-concurrent-remaining"),
            retry_s,
        )

    def cooldown_s(self, status: int) -> float | None:
        """How long to hold this credential back after this response (None: no need)."""
        if status == 429:
            return self.retry_after_s if self.retry_after_s is not None else DEFAULT_COOLDOWN_S
        if self.remaining == 0:
            return self.retry_after_s if self.retry_after_s is not None else DEFAULT_COOLDOWN_S
        return None


# KEYS[1] lease zset; ARGV: now_ms, lease_ms, limit, member. Returns 1 when the lease was taken.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""


class CredentialThrottle:
    def __init__(self, redis: Redis, clock: Clock, namespace: str, concurrent: int = CONCURRENT) -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = f"{namespace}conn:smartrecruiters:"
        self.concurrent = concurrent
        self._acquire = redis.register_script(_ACQUIRE)

    def _leases(self, credential: str) -> str:
        return f"{self.prefix}conc:{credential}"

    def _cooldown(self, credential: str) -> str:
        return f"{self.prefix}cool:{credential}"

    async def wait_cooldown(self, credential: str) -> None:
        """Real time (the cooldown is a Redis TTL), whatever clock the framework injects."""
        while (remaining_ms := await self.redis.pttl(self._cooldown(credential))) > 0:  # noqa: ASYNC110 (state in Redis)
            await asyncio.sleep(remaining_ms / 1000)

    async def cool_down(self, credential: str, seconds: float) -> None:
        await self.redis.set(self._cooldown(credential), "1", px=max(1, int(seconds * 1000)))

    @contextlib.asynccontextmanager
    async def slot(self, credential: str, member: str) -> AsyncIterator[None]:
        """Hold one of the credential's concurrent slots for the duration of a call."""
        key = self._leases(credential)
        while not await self._acquire(  # noqa: ASYNC110 (the lease set is in Redis, shared by instances)
            keys=[key], args=[int(self.clock.now() * 1000), int(LEASE_S * 1000), self.concurrent, member]
        ):
            await asyncio.sleep(0.02)  # a holder releases in real time
        try:
            yield
        finally:
            await self.redis.zrem(key, member)

    async def in_flight(self, credential: str) -> int:
        await self.redis.zremrangebyscore(self._leases(credential), "-inf", int(self.clock.now() * 1000))
        return int(await self.redis.zcard(self._leases(credential)))
