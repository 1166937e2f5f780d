"""Accounts and API keys in Redis (layout: `hub_contracts.accounts`). Used by the CLI and the auth path.

A key is shown once, when created; only its keyed hash is stored. Revoking marks the record;
rotating issues a new key and lets the old one live for a grace period.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from redis.asyncio import Redis

from hub_contracts.accounts import (
    AccountKeys,
    AccountRecord,
    ApiKeyRecord,
    Plan,
    hash_api_key,
    new_api_key,
)
from hub_contracts.base import new_id, utcnow


class AccountAdmin:
    def __init__(self, redis: Redis, server_secret: str, namespace: str = "") -> None:
        self.redis = redis
        self.secret = server_secret
        self.keys = AccountKeys(namespace)

    async def create_account(self, name: str, plan: Plan, rate_limit_per_minute: int = 100) -> AccountRecord:
        account = AccountRecord(id=new_id("acct", 16), name=name, plan=plan,
                                rate_limit_per_minute=rate_limit_per_minute, created_at=utcnow())
        await self.redis.set(self.keys.account(account.id), account.model_dump_json())
        return account

    async def get_account(self, account_id: str) -> AccountRecord | None:
        raw = await self.redis.get(self.keys.account(account_id))
        return AccountRecord.model_validate_json(raw) if raw else None

    async def update_account(self, account: AccountRecord) -> None:
        await self.redis.set(self.keys.account(account.id), account.model_dump_json())

    async def create_key(self, account_id: str, mode: Literal["live", "test"],
                         description: str | None = None) -> tuple[str, ApiKeyRecord]:
        if await self.get_account(account_id) is None:
            raise LookupError(f"no account {account_id}")
        key = new_api_key(mode)
        record = ApiKeyRecord(key_id=new_id("key", 16), account_id=account_id, mode=mode, last4=key[-4:],
                              created_at=utcnow(), description=description)
        key_hash = hash_api_key(key, self.secret)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.api_key(key_hash), record.model_dump_json())
            pipe.sadd(self.keys.account_api_keys(account_id), key_hash)
            await pipe.execute()
        return key, record

    async def list_keys(self, account_id: str) -> list[tuple[str, ApiKeyRecord]]:
        hashes = sorted(await self.redis.smembers(self.keys.account_api_keys(account_id)))
        out = []
        for h in hashes:
            key_hash = h.decode() if isinstance(h, bytes) else h
            raw = await self.redis.get(self.keys.api_key(key_hash))
            if raw:
                out.append((key_hash, ApiKeyRecord.model_validate_json(raw)))
        return sorted(out, key=lambda item: item[1].created_at)

    async def _find(self, account_id: str, key_id: str) -> tuple[str, ApiKeyRecord]:
        for key_hash, record in await self.list_keys(account_id):
            if record.key_id == key_id:
                return key_hash, record
        raise LookupError(f"no key {key_id} on account {account_id}")

    async def revoke_key(self, account_id: str, key_id: str) -> ApiKeyRecord:
        key_hash, record = await self._find(account_id, key_id)
        revoked = record.model_copy(update={"revoked_at": utcnow()})
        await self.redis.set(self.keys.api_key(key_hash), revoked.model_dump_json())
        return revoked

    async def rotate_key(self, account_id: str, key_id: str, grace: timedelta) -> tuple[str, ApiKeyRecord]:
        """A new key of the same mode; the old one keeps working until now + grace."""
        key_hash, record = await self._find(account_id, key_id)
        new_key, new_record = await self.create_key(account_id, record.mode, record.description)
        expiring = record.model_copy(update={"expires_at": utcnow() + grace})
        await self.redis.set(self.keys.api_key(key_hash), expiring.model_dump_json())
        return new_key, new_record
