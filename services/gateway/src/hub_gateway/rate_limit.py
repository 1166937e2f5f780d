"""Per-account rate limit, shared by every gateway instance: one atomic Redis round trip.

A fixed one-minute window on Redis server time (so instances with skewed clocks agree),
counted with INCR in a Lua script, which can also write one record when the request is allowed
(the create path's pending record: one round trip for both). Headers follow the IETF draft (`RateLimit-Policy`,
`RateLimit`) and the common `X-RateLimit-*` trio.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

WINDOW_S = 60

_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1])
local window = now - (now % tonumber(ARGV[2]))
local key = KEYS[1] .. ':' .. window
local count = redis.call('INCR', key)
if count == 1 then redis.call('EXPIRE', key, tonumber(ARGV[2]) + 5) end
if KEYS[2] and count <= tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
return {count, window + tonumber(ARGV[2]) - now}
"""


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"default";q={self.limit};w={WINDOW_S}',
            "RateLimit": f'"default";r={self.remaining};t={self.reset_s}',
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }


class RateLimiter:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.prefix = f"{namespace}gw:rl:"
        self._hit = redis.register_script(_HIT)

    async def hit(self, account_id: str, limit: int, *, then_set: tuple[str, bytes, int] | None = None
                  ) -> RateLimitDecision:
        """Counts one request; `then_set=(key, value, ttl_s)` is written in the same round trip if allowed."""
        if then_set is None:
            count, reset_s = await self._hit(keys=[self.prefix + account_id], args=[limit, WINDOW_S])
        else:
            key, value, ttl_s = then_set
            count, reset_s = await self._hit(keys=[self.prefix + account_id, key],
                                             args=[limit, WINDOW_S, value, ttl_s])
        count, reset_s = int(count), max(int(reset_s), 1)
        return RateLimitDecision(count <= limit, limit, max(limit - count, 0), reset_s)
