"""Accounts and API keys: the key format, the keyed hash, and their Redis layout.

Written by the gateway (and its CLI); read by every service that authenticates a customer's key
(the gateway, and the connectors for Greenhouse's Basic-auth calls). A key is never stored: only
HMAC-SHA256(server secret, key). Keys under `{namespace}acct:`:

| key | type | content |
| --- | --- | --- |
| `acct:rec:{account_id}` | string | JSON `AccountRecord` |
| `acct:key:{key_hash}` | string | JSON `ApiKeyRecord` |
| `acct:keys:{account_id}` | set | key hashes of the account |
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import Field

from hub_contracts.base import ContractModel, UtcDateTime, base62

API_KEY_PATTERN = re.compile(r"^lt_sk_(live|test)_[0-9A-Za-z]{32}$")


class Plan(StrEnum):
    STARTER = "starter"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


class AccountRecord(ContractModel):
    id: str = Field(pattern=r"^acct_[0-9A-Za-z]{8,32}$")
    name: str = Field(min_length=1, max_length=200)
    plan: Plan
    rate_limit_per_minute: int = Field(default=100, ge=1, le=100_000)
    created_at: UtcDateTime


class ApiKeyRecord(ContractModel):
    key_id: str = Field(pattern=r"^key_[0-9A-Za-z]{8,32}$")
    account_id: str
    mode: Literal["live", "test"]
    last4: str
    created_at: UtcDateTime
    revoked_at: UtcDateTime | None = None
    expires_at: UtcDateTime | None = Field(default=None, description="Set when rotated: valid until then")
    description: str | None = None

    @property
    def livemode(self) -> bool:
        return self.mode == "live"


def new_api_key(mode: Literal["live", "test"]) -> str:
    return f"lt_sk_{mode}_{base62(32)}"


def is_well_formed_key(key: str) -> bool:
    return bool(API_KEY_PATTERN.match(key))


def hash_api_key(key: str, server_secret: str) -> str:
    """The keyed hash under which a key is stored; the secret comes from settings, never Redis."""
    return hmac.new(server_secret.encode(), key.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AccountKeys:
    namespace: str = ""

    @property
    def prefix(self) -> str:
        return f"{self.namespace}acct:"

    def account(self, account_id: str) -> str:
        return f"{self.prefix}rec:{account_id}"

    def api_key(self, key_hash: str) -> str:
        return f"{self.prefix}key:{key_hash}"

    def account_api_keys(self, account_id: str) -> str:
        return f"{self.prefix}keys:{account_id}"
