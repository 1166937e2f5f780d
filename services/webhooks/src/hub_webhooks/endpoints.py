"""Account webhook endpoints: records in Redis, each with its signing secrets.

An endpoint record holds its current secret and, after a rotation, the previous ones until their
grace window ends; deliveries are signed with every secret still valid.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.exceptions import WatchError

from hub_contracts.base import new_id
from hub_webhooks.keys import WebhookKeys
from hub_webhooks.signing import new_secret

MAX_OLD_SECRETS = 10


class SigningSecret(BaseModel):
    secret: str
    created_ms: int
    expires_ms: int | None = None


class EndpointRecord(BaseModel):
    id: str
    account_id: str
    livemode: bool
    url: str
    description: str | None = None
    event_types: list[str] = Field(default_factory=list)
    disabled: bool = False
    disabled_reason: str | None = None
    rate_limit_per_s: float | None = None
    max_concurrency: int | None = None
    created_ms: int
    updated_ms: int
    secrets: list[SigningSecret]

    def wants(self, event_type: str, livemode: bool) -> bool:
        return (
            not self.disabled
            and self.livemode == livemode
            and (not self.event_types or event_type in self.event_types)
        )

    def active_secrets(self, now_ms: int) -> list[str]:
        return [s.secret for s in self.secrets if s.expires_ms is None or s.expires_ms > now_ms]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class EndpointStore:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.keys = WebhookKeys(namespace)

    async def create(
        self,
        *,
        account_id: str,
        livemode: bool,
        url: str,
        description: str | None,
        event_types: Sequence[str],
        rate_limit_per_s: float | None,
        max_concurrency: int | None,
        at_ms: int,
    ) -> EndpointRecord:
        record = EndpointRecord(
            id=new_id("we", 20),
            account_id=account_id,
            livemode=livemode,
            url=url,
            description=description,
            event_types=list(event_types),
            rate_limit_per_s=rate_limit_per_s,
            max_concurrency=max_concurrency,
            created_ms=at_ms,
            updated_ms=at_ms,
            secrets=[SigningSecret(secret=new_secret(), created_ms=at_ms)],
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.endpoint(record.id), record.model_dump_json())
            pipe.zadd(self.keys.account_endpoints(account_id), {record.id: at_ms})
            await pipe.execute()
        return record

    async def get(self, endpoint_id: str) -> EndpointRecord | None:
        raw = await self.redis.get(self.keys.endpoint(endpoint_id))
        return None if raw is None else EndpointRecord.model_validate_json(raw)

    async def get_for_account(self, account_id: str, endpoint_id: str) -> EndpointRecord | None:
        record = await self.get(endpoint_id)
        return record if record is not None and record.account_id == account_id else None

    async def list_for_account(self, account_id: str) -> list[EndpointRecord]:
        ids = await self.redis.zrange(self.keys.account_endpoints(account_id), 0, -1)
        if not ids:
            return []
        raws = await self.redis.mget(
            [self.keys.endpoint(i.decode() if isinstance(i, bytes) else str(i)) for i in ids]
        )
        return [EndpointRecord.model_validate_json(r) for r in raws if r is not None]

    async def update(
        self,
        endpoint_id: str,
        change: Callable[[EndpointRecord], EndpointRecord],
    ) -> EndpointRecord | None:
        """Read, change and write one record atomically (optimistic: WATCH, retried on a race)."""
        key = self.keys.endpoint(endpoint_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        await pipe.reset()  # type: ignore[no-untyped-call]
                        return None
                    updated = change(EndpointRecord.model_validate_json(raw))
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, updated.model_dump_json())
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue

    async def delete(self, record: EndpointRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.endpoint(record.id))
            pipe.zrem(self.keys.account_endpoints(record.account_id), record.id)
            await pipe.execute()

    async def disable(self, endpoint_id: str, reason: str, at_ms: int) -> None:
        def off(record: EndpointRecord) -> EndpointRecord:
            if record.disabled:
                return record
            return record.model_copy(
                update={"disabled": True, "disabled_reason": reason, "updated_ms": at_ms}
            )

        await self.update(endpoint_id, off)

    @staticmethod
    def rotated(record: EndpointRecord, grace_s: int, at_ms: int) -> tuple[EndpointRecord, str]:
        """A new current secret; the others stay valid for `grace_s` (0: revoked at once)."""
        fresh = new_secret()
        expires = at_ms + grace_s * 1000
        old = [
            s.model_copy(update={"expires_ms": min(expires, s.expires_ms or expires)})
            for s in record.secrets
            if s.expires_ms is None or s.expires_ms > at_ms
        ]
        old = [s for s in old if (s.expires_ms or 0) > at_ms][:MAX_OLD_SECRETS]
        secrets = [SigningSecret(secret=fresh, created_ms=at_ms), *old]
        return record.model_copy(update={"secrets": secrets, "updated_ms": at_ms}), fresh
