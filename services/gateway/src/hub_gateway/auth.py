"""Bearer API-key authentication against keyed hashes in Redis, with a short per-instance cache.

The cache is the documented bound on revocation: a key revoked anywhere is refused by every
gateway instance within `key_cache_ttl_s` (default 5 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from hub_contracts.accounts import AccountKeys, AccountRecord, ApiKeyRecord, Plan, hash_api_key, is_well_formed_key
from hub_contracts.base import utcnow
from hub_gateway.problems import ProblemError

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="api.lextalent.ai"'}


@dataclass(frozen=True)
class Principal:
    account: AccountRecord
    key: ApiKeyRecord

    @property
    def account_id(self) -> str:
        return self.account.id

    @property
    def livemode(self) -> bool:
        return self.key.livemode


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "unauthorized", detail, headers=WWW_AUTHENTICATE)


class Authenticator:
    def __init__(self, redis: Redis, server_secret: str, namespace: str, cache_ttl_s: float) -> None:
        self.redis = redis
        self.secret = server_secret
        self.keys = AccountKeys(namespace)
        self.cache_ttl_s = cache_ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise unauthorized("Missing Authorization header. Use: Authorization: Bearer lt_sk_...")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("Use the Bearer scheme: Authorization: Bearer lt_sk_...")
        if not is_well_formed_key(token):
            raise unauthorized("The API key is malformed.")
        principal = await self._lookup(hash_api_key(token, self.secret))
        now = utcnow()
        if principal is None or principal.key.revoked_at is not None or (
            principal.key.expires_at is not None and principal.key.expires_at <= now
        ):
            raise unauthorized("The API key is not valid (unknown, revoked or expired).")
        if principal.account.plan is not Plan.ENTERPRISE:
            raise ProblemError(403, "plan_required", "API access requires Enterprise plan")
        return principal

    async def _lookup(self, key_hash: str) -> Principal | None:
        cached = self._cache.get(key_hash)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await self._load(key_hash)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key_hash] = (now + self.cache_ttl_s, principal)
        return principal

    async def _load(self, key_hash: str) -> Principal | None:
        raw_key = await self.redis.get(self.keys.api_key(key_hash))
        if raw_key is None:
            return None
        key = ApiKeyRecord.model_validate_json(raw_key)
        raw_account = await self.redis.get(self.keys.account(key.account_id))
        if raw_account is None:
            return None
        return Principal(AccountRecord.model_validate_json(raw_account), key)
