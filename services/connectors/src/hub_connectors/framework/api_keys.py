"""Customer API keys, checked the way the gateway checks them (for vendors that call us with one)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr
from redis.asyncio import Redis

from hub_contracts.accounts import (
    AccountKeys,
    AccountRecord,
    ApiKeyRecord,
    Plan,
    hash_api_key,
    is_well_formed_key,
)
from hub_contracts.base import utcnow


class KeyRejection(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NO_ACCOUNT = "no_account"
    PLAN = "plan_not_enterprise"


class ApiKeyRejectedError(Exception):
    def __init__(self, reason: KeyRejection) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    account_id: str
    livemode: bool
    key_id: str


class ApiKeyAuthenticator:
    def __init__(
        self,
        redis: Redis,
        api_key_secret: SecretStr,
        namespace: str = "",
        required_plan: Plan = Plan.ENTERPRISE,
    ) -> None:
        self.redis = redis
        self.secret = api_key_secret
        self.keys = AccountKeys(namespace)
        self.required_plan = required_plan

    async def authenticate(self, api_key: str) -> Principal:
        if not is_well_formed_key(api_key):
            raise ApiKeyRejectedError(KeyRejection.MALFORMED)
        raw = await self.redis.get(self.keys.api_key(hash_api_key(api_key, self.secret.get_secret_value())))
        if raw is None:
            raise ApiKeyRejectedError(KeyRejection.UNKNOWN)
        record = ApiKeyRecord.model_validate_json(raw)
        now = utcnow()
        if record.revoked_at is not None and record.revoked_at <= now:
            raise ApiKeyRejectedError(KeyRejection.REVOKED)
        if record.expires_at is not None and record.expires_at <= now:
            raise ApiKeyRejectedError(KeyRejection.EXPIRED)
        account_raw = await self.redis.get(self.keys.account(record.account_id))
        if account_raw is None:
            raise ApiKeyRejectedError(KeyRejection.NO_ACCOUNT)
        if AccountRecord.model_validate_json(account_raw).plan != self.required_plan:
            raise ApiKeyRejectedError(KeyRejection.PLAN)
        return Principal(account_id=record.account_id, livemode=record.livemode, key_id=record.key_id)
