"""Deliveries in Redis: fan-out, claim with a lease, finish, reap lost leases, redeliver, read.

A delivery is one message (one `webhook-id`) to one destination (an endpoint, or an assessment's
callback URL). Every state change is one Lua script, so workers racing on the same delivery
cannot both attempt it: a claim moves it from `due` to `leases` with a fresh token, and only the
holder of that token can record the outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from hub_webhooks.keys import WebhookKeys
from hub_webhooks.lua import CLAIM, FAN_OUT, FINISH, REAP, REDELIVER


@dataclass(frozen=True)
class NewDelivery:
    id: str
    msg_id: str
    event_type: str
    account_id: str
    livemode: bool
    assessment_id: str
    dest: str
    endpoint_id: str
    url: str
    body: bytes

    def fields(self, now_ms: int) -> list[str]:
        values = {
            "id": self.id,
            "msg_id": self.msg_id,
            "event_type": self.event_type,
            "account_id": self.account_id,
            "livemode": "1" if self.livemode else "0",
            "assessment_id": self.assessment_id,
            "dest": self.dest,
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "body": self.body.decode(),
            "created_ms": str(now_ms),
            "updated_ms": str(now_ms),
            "status": "pending",
            "attempts": "0",
            "next_ms": str(now_ms),
            "lease": "",
            "manual": "0",
            "last_code": "",
            "last_error": "",
        }
        return [x for kv in values.items() for x in kv]

    def indexes(self, keys: WebhookKeys) -> list[str]:
        strip = len(keys.prefix)
        out = [keys.account_index(self.account_id)[strip:], keys.endpoint_index(self.dest)[strip:]]
        if self.assessment_id:
            out.append(keys.assessment_index(self.assessment_id)[strip:])
        return out


@dataclass(frozen=True)
class Claimed:
    id: str
    token: str
    attempt: int
    dest: str
    url: str
    msg_id: str
    body: bytes
    endpoint_id: str
    account_id: str
    manual: bool
    event_type: str


def claimed_from_row(r: Sequence[Any]) -> Claimed:
    """A row as the scripts return it: id, token, attempt, dest, url, msg_id, body, endpoint_id,
    account_id, manual, event_type."""
    return Claimed(
        id=_s(r[0]),
        token=_s(r[1]),
        attempt=int(r[2]),
        dest=_s(r[3]),
        url=_s(r[4]),
        msg_id=_s(r[5]),
        body=r[6] if isinstance(r[6], bytes) else _s(r[6]).encode(),
        endpoint_id=_s(r[7] or b""),
        account_id=_s(r[8]),
        manual=_s(r[9] or b"0") == "1",
        event_type=_s(r[10] or b""),
    )


def claimed_from_new(d: NewDelivery, token: str, attempt: int) -> Claimed:
    """A delivery leased by the fan-out script itself: its details are the ones just stored."""
    return Claimed(
        id=d.id,
        token=token,
        attempt=attempt,
        dest=d.dest,
        url=d.url,
        msg_id=d.msg_id,
        body=d.body,
        endpoint_id=d.endpoint_id,
        account_id=d.account_id,
        manual=False,
        event_type=d.event_type,
    )


@dataclass(frozen=True)
class FanOutResult:
    created: list[int]
    """Per event: the number of new deliveries, -1 when the event was already fanned out."""
    leased: list[Claimed]
    """First attempts leased to the caller in the same script (within its lease budget)."""


@dataclass(frozen=True)
class Finished:
    stored: bool
    """False when the lease had been lost (the outcome was not recorded)."""
    made_due: bool
    """A delivery became due (claimers should look)."""
    handed_over: Claimed | None
    """The next parked delivery of the same destination, leased to the caller (handoff only)."""


@dataclass(frozen=True)
class Limits:
    lease_ms: int
    defer_ms: int
    max_concurrency: int
    rate_per_s: float
    burst: float
    breaker_threshold: int
    breaker_cooldown_ms: int
    retention_s: int = 30 * 24 * 3600


def finish_entry(
    claimed: Claimed,
    now_ms: int,
    *,
    outcome: str,
    next_ms: int | None,
    attempt: dict[str, Any],
    breaker: str,
    status_code: int | None,
    error: str,
    handoff: bool = False,
) -> list[Any]:
    """One outcome as the FINISH script takes it; `handoff`: the caller takes over the next parked
    delivery of the same destination."""
    return [
        claimed.id,
        claimed.token,
        str(now_ms),
        outcome,
        str(next_ms or 0),
        orjson.dumps(attempt).decode(),
        breaker,
        "" if status_code is None else str(status_code),
        error[:500],
        "1" if handoff else "0",
    ]


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class DeliveryStore:
    def __init__(self, redis: Redis, namespace: str, limits: Limits) -> None:
        self.redis = redis
        self.keys = WebhookKeys(namespace)
        self.limits = limits
        self._fan_out = redis.register_script(FAN_OUT)
        self._claim = redis.register_script(CLAIM)
        self._finish = redis.register_script(FINISH)
        self._reap = redis.register_script(REAP)
        self._redeliver = redis.register_script(REDELIVER)

    async def fan_out(
        self,
        event_id: str,
        deliveries: Sequence[NewDelivery],
        now_ms: int,
        ttl_s: int,
        *,
        dedupe: bool = True,
    ) -> int:
        """Store the deliveries of one event at once (all due now); -1 when already fanned out."""
        result = await self.fan_out_many([(event_id, deliveries)], now_ms, ttl_s, dedupe=dedupe)
        return result.created[0]

    async def fan_out_many(
        self,
        events: Sequence[tuple[str, Sequence[NewDelivery]]],
        now_ms: int,
        ttl_s: int,
        *,
        dedupe: bool = True,
        lease_budget: int = 0,
    ) -> FanOutResult:
        """Several events in one script (one round trip for a whole Kafka batch). Up to `lease_budget`
        new deliveries whose destination lets them go now are leased to the caller at once (their
        first attempt skips the claim); the others are due, or parked behind a busy destination."""
        if not events:
            return FanOutResult([], [])
        payload = orjson.dumps(
            [
                {
                    "event_id": event_id,
                    "deliveries": [
                        {"id": d.id, "dest": d.dest, "fields": d.fields(now_ms), "indexes": d.indexes(self.keys)}
                        for d in deliveries
                    ],
                }
                for event_id, deliveries in events
            ]
        )
        lim = self.limits
        created, leased = await self._fan_out(
            args=[
                self.keys.prefix,
                ttl_s,
                now_ms,
                "1" if dedupe else "0",
                payload,
                lease_budget,
                uuid.uuid4().hex,
                lim.max_concurrency,
                lim.rate_per_s,
                lim.burst,
                lim.breaker_threshold,
                lim.defer_ms,
                lim.lease_ms,
            ]
        )
        if not leased:
            return FanOutResult([int(r) for r in created], [])
        by_id = {d.id: d for _, deliveries in events for d in deliveries}
        return FanOutResult(
            [int(r) for r in created],
            [claimed_from_new(by_id[_s(i)], _s(token), int(attempt)) for i, token, attempt in leased],
        )

    async def claim(self, now_ms: int, max_claim: int) -> list[Claimed]:
        lim = self.limits
        rows = await self._claim(
            args=[
                self.keys.prefix,
                now_ms,
                max_claim,
                max_claim * 4,
                lim.lease_ms,
                lim.defer_ms,
                lim.max_concurrency,
                lim.rate_per_s,
                lim.burst,
                lim.breaker_threshold,
                uuid.uuid4().hex,
            ]
        )
        return [claimed_from_row(r) for r in rows]

    async def finish(
        self,
        claimed: Claimed,
        now_ms: int,
        *,
        outcome: str,
        next_ms: int | None,
        attempt: dict[str, Any],
        breaker: str,
        status_code: int | None,
        error: str,
    ) -> bool:
        """Record one attempt's outcome (`succeeded`, `retry` or `dead`); False if the lease was lost."""
        entry = finish_entry(
            claimed,
            now_ms,
            outcome=outcome,
            next_ms=next_ms,
            attempt=attempt,
            breaker=breaker,
            status_code=status_code,
            error=error,
        )
        [finished] = await self.finish_many([entry])
        return finished.stored

    async def finish_many(self, entries: Sequence[list[Any]]) -> list[Finished]:
        lim = self.limits
        results, handed = await self._finish(
            args=[
                self.keys.prefix,
                lim.breaker_threshold,
                lim.breaker_cooldown_ms,
                orjson.dumps(list(entries)),
                lim.retention_s,
                uuid.uuid4().hex,
                lim.max_concurrency,
                lim.rate_per_s,
                lim.burst,
                lim.defer_ms,
                lim.lease_ms,
            ]
        )
        next_of = {int(row[0]) - 1: claimed_from_row(row[1:]) for row in handed}
        return [
            Finished(stored=int(r) > 0, made_due=int(r) == 2, handed_over=next_of.get(i))
            for i, r in enumerate(results)
        ]

    async def reap(self, now_ms: int, limit: int = 500) -> int:
        return int(await self._reap(args=[self.keys.prefix, now_ms, limit]))

    async def redeliver(self, delivery_id: str, now_ms: int) -> str:
        return _s(await self._redeliver(args=[self.keys.prefix, delivery_id, now_ms]))

    async def get(self, delivery_id: str) -> dict[str, str] | None:
        raw = await self.redis.hgetall(self.keys.delivery(delivery_id))
        if not raw:
            return None
        return {_s(k): _s(v) for k, v in raw.items()}

    async def get_many(self, delivery_ids: Sequence[str]) -> list[dict[str, str]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for delivery_id in delivery_ids:
                pipe.hgetall(self.keys.delivery(delivery_id))
            rows = await pipe.execute()
        return [{_s(k): _s(v) for k, v in row.items()} for row in rows if row]

    async def attempts(self, delivery_id: str) -> list[dict[str, Any]]:
        return [orjson.loads(a) for a in await self.redis.lrange(self.keys.attempts(delivery_id), 0, -1)]

    async def index_page(
        self, index_key: str, *, before_ms: int | None, since_ms: int | None, limit: int
    ) -> list[str]:
        """Delivery ids of an index, newest first."""
        high = "+inf" if before_ms is None else f"({before_ms}"
        low = "-inf" if since_ms is None else str(since_ms)
        ids = await self.redis.zrevrangebyscore(index_key, high, low, start=0, num=limit)
        return [_s(i) for i in ids]

    async def set_destination_limits(
        self, dest: str, *, max_concurrency: int | None, rate_per_s: float | None
    ) -> None:
        key = self.keys.destination(dest)
        async with self.redis.pipeline(transaction=True) as pipe:
            for name, value in (("cap", max_concurrency), ("rate", rate_per_s), ("burst", rate_per_s)):
                if value is None:
                    pipe.hdel(key, name)
                else:
                    pipe.hset(key, name, str(value))
            await pipe.execute()

    async def destination_state(self, dest: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.keys.destination(dest))
        return {_s(k): _s(v) for k, v in raw.items()}
