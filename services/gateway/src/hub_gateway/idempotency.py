"""`Idempotency-Key` on POSTs: the first response is stored for 24 h and replayed.

The key is claimed with SET NX (so concurrent duplicates create one resource): the winner runs
the request; the others wait for its stored response. The same key with another body is a 409.
Server errors are not stored, so a retry after a 5xx runs again.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis

IN_FLIGHT_TTL_S = 60


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Claim:
    won: bool
    conflict: bool = False
    replay: StoredResponse | None = None


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class IdempotencyStore:
    def __init__(self, redis: Redis, namespace: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = f"{namespace}gw:idem:"
        self.ttl_s = ttl_s

    def _key(self, account_id: str, livemode: bool, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"{self.prefix}{account_id}:{'live' if livemode else 'test'}:{digest}"

    async def claim(self, account_id: str, livemode: bool, key: str, print_: str, wait_s: float = 10) -> Claim:
        redis_key = self._key(account_id, livemode, key)
        marker = orjson.dumps({"fp": print_, "state": "in_flight"})
        if await self.redis.set(redis_key, marker, nx=True, ex=IN_FLIGHT_TTL_S):
            return Claim(won=True)
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            raw = await self.redis.get(redis_key)
            if raw is None:  # the winner failed and released it: try to take it
                if await self.redis.set(redis_key, marker, nx=True, ex=IN_FLIGHT_TTL_S):
                    return Claim(won=True)
                continue
            stored = orjson.loads(raw)
            if stored["fp"] != print_:
                return Claim(won=False, conflict=True)
            if stored["state"] == "done":
                return Claim(won=False, replay=StoredResponse(stored["status"], stored["body"].encode(),
                                                              stored["headers"]))
            if asyncio.get_running_loop().time() > deadline:
                return Claim(won=False, conflict=True)
            await asyncio.sleep(0.02)

    async def complete(self, account_id: str, livemode: bool, key: str, print_: str,
                       response: StoredResponse) -> None:
        redis_key = self._key(account_id, livemode, key)
        if response.status >= 500:
            await self.redis.delete(redis_key)
            return
        value = orjson.dumps({"fp": print_, "state": "done", "status": response.status,
                              "body": response.body.decode(), "headers": response.headers})
        await self.redis.set(redis_key, value, ex=self.ttl_s)

    async def release(self, account_id: str, livemode: bool, key: str) -> None:
        await self.redis.delete(self._key(account_id, livemode, key))
