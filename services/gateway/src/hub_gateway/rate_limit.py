"""Per-account rate limit, shared by every gateway instance: one atomic Redis round trip.

A fixed one-minute window on Redis server time (so instances with skewed clocks agree), counted with
INCR in a Lua script, which can also write one record when the request is allowed (the create path's
pending record: one round trip for both). Headers follow the IETF draft (`RateLimit-Policy`,
`RateLimit`) and the common `X-RateLimit-*` trio.

Hits are grouped: every request that asks within one turn of the event loop is counted by the same
script call (each hit still atomic and in arrival order). Under load that turns N round trips, and N
times redis-py's per-command cost, into one; alone, a request waits for no one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from redis.asyncio import Redis

WINDOW_S = 60

# Per hit: KEYS[2i-1] the account's counter, KEYS[2i] the record to write if allowed (or the counter
# again when there is none); ARGV[1] the window in seconds, ARGV[4i-2..4i+1] limit, write flag, value, ttl.
# Returns count, seconds to the window's reset, per hit.
_HIT_MANY = """
local t = redis.call('TIME')
local now = tonumber(t[1])
local window_s = tonumber(ARGV[1])
local window = now - (now % window_s)
local reset = window + window_s - now
local out = {}
for i = 1, #KEYS / 2 do
  local key = KEYS[2 * i - 1] .. ':' .. window
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, window_s + 5) end
  local a = 4 * i - 2
  if ARGV[a + 1] == '1' and count <= tonumber(ARGV[a]) then
    redis.call('SET', KEYS[2 * i], ARGV[a + 2], 'EX', ARGV[a + 3])
  end
  out[2 * i - 1] = count
  out[2 * i] = reset
end
return out
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

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers()` as ASGI header pairs (lower-case names), for stamping on any response."""
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]


@dataclass(frozen=True)
class _Hit:
    counter_key: str
    limit: int
    then_set: tuple[str, bytes, int] | None
    decided: asyncio.Future[RateLimitDecision]


class RateLimiter:
    def __init__(self, redis: Redis, namespace: str, max_group: int = 256) -> None:
        self.prefix = f"{namespace}gw:rl:"
        self.max_group = max_group
        self._hit_many = redis.register_script(_HIT_MANY)
        self._waiting: list[_Hit] = []
        self._flushes: set[asyncio.Task[None]] = set()

    async def hit(self, account_id: str, limit: int, *, then_set: tuple[str, bytes, int] | None = None
                  ) -> RateLimitDecision:
        """Counts one request; `then_set=(key, value, ttl_s)` is written in the same round trip if allowed."""
        loop = asyncio.get_running_loop()
        hit = _Hit(self.prefix + account_id, limit, then_set, loop.create_future())
        self._waiting.append(hit)
        if len(self._waiting) == 1:
            loop.call_soon(self._flush)
        return await hit.decided

    def _flush(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group:]
            task = asyncio.get_running_loop().create_task(self._count(group))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _count(self, group: list[_Hit]) -> None:
        keys: list[str] = []
        args: list[str | bytes | int] = [WINDOW_S]
        for hit in group:
            if hit.then_set is None:
                keys += [hit.counter_key, hit.counter_key]
                args += [hit.limit, "0", "", 0]
            else:
                record_key, value, ttl_s = hit.then_set
                keys += [hit.counter_key, record_key]
                args += [hit.limit, "1", value, ttl_s]
        try:
            replies = await self._hit_many(keys=keys, args=args)
        except asyncio.CancelledError:
            for hit in group:
                hit.decided.cancel()
            raise
        except Exception as exc:
            for hit in group:
                if not hit.decided.done():
                    hit.decided.set_exception(exc)
            return
        for i, hit in enumerate(group):
            count, reset_s = int(replies[2 * i]), max(int(replies[2 * i + 1]), 1)
            if not hit.decided.done():  # its request may have been cancelled meanwhile
                hit.decided.set_result(RateLimitDecision(count <= hit.limit, hit.limit,
                                                         max(hit.limit - count, 0), reset_s))
