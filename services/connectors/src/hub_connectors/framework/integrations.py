"""Integrations per account: one connected ATS each, its settings, its encrypted credentials, its errors.

Redis layout (all under `{namespace}conn:`):

| key | type | content |
| --- | --- | --- |
| `conn:int:{integration_id}` | hash | `record` (JSON `Integration`, no secrets), `credentials` (Fernet) |
| `conn:acct:{account_id}:{live|test}` | set | integration ids of the account in that mode |
| `conn:uniq:{connector}:{account_id}:{live|test}` | string | the one integration of that connector |
| `conn:errs:{integration_id}` | list | JSON `IntegrationErrorEntry`, newest first, capped |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from hub_connectors.framework.crypto import CredentialCipher
from hub_connectors.framework.redis_values import as_bytes, as_text
from hub_contracts.base import new_id, utcnow
from hub_contracts.read_model import mode_name


class IntegrationStatus(StrEnum):
    ACTIVE = "active"
    PENDING_AUTHORIZATION = "pending_authorization"  # waiting for an OAuth consent (Lever)
    DISABLED = "disabled"  # switched off by the customer: inbound calls refused, events skipped
    ERROR = "error"  # the vendor refuses our credentials; the customer must reconnect


class IntegrationErrorEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    source: str = Field(description="Where it happened: outbound, inbound, response_error, oauth …")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Integration(BaseModel):
    """What the hub knows about one connected ATS, minus its secrets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    account_id: str
    livemode: bool
    connector: str
    status: IntegrationStatus
    settings: dict[str, Any]
    credential_fields: tuple[str, ...] = ()
    last_error: IntegrationErrorEntry | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status == IntegrationStatus.ACTIVE


class IntegrationConflictError(Exception):
    pass


@dataclass(frozen=True)
class IntegrationKeys:
    namespace: str = ""

    @property
    def prefix(self) -> str:
        return f"{self.namespace}conn:"

    def integration(self, integration_id: str) -> str:
        return f"{self.prefix}int:{integration_id}"

    def account_index(self, account_id: str, livemode: bool) -> str:
        return f"{self.prefix}acct:{account_id}:{mode_name(livemode)}"

    def unique(self, connector: str, account_id: str, livemode: bool) -> str:
        return f"{self.prefix}uniq:{connector}:{account_id}:{mode_name(livemode)}"

    def errors(self, integration_id: str) -> str:
        return f"{self.prefix}errs:{integration_id}"


_CREATE = """
if redis.call('SET', KEYS[3], ARGV[1], 'NX') == false then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'credentials', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

_DELETE = """
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1
"""

# Compare-and-set of one hash field: rotation never overwrites a value changed since it was read.
_SWAP_FIELD = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end
return 0
"""


class IntegrationStore:
    def __init__(
        self, redis: Redis, cipher: CredentialCipher, namespace: str = "", error_history: int = 50
    ) -> None:
        self.redis = redis
        self.cipher = cipher
        self.keys = IntegrationKeys(namespace)
        self.error_history = error_history
        self._create = redis.register_script(_CREATE)
        self._delete = redis.register_script(_DELETE)
        self._swap_field = redis.register_script(_SWAP_FIELD)

    async def create(
        self,
        *,
        account_id: str,
        livemode: bool,
        connector: str,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        status: IntegrationStatus,
    ) -> Integration:
        now = utcnow()
        integration = Integration(
            id=new_id("int", 20),
            account_id=account_id,
            livemode=livemode,
            connector=connector,
            status=status,
            settings=settings,
            credential_fields=tuple(sorted(credentials)),
            created_at=now,
            updated_at=now,
        )
        created = await self._create(
            keys=[
                self.keys.integration(integration.id),
                self.keys.account_index(account_id, livemode),
                self.keys.unique(connector, account_id, livemode),
            ],
            args=[integration.id, integration.model_dump_json(), self.cipher.encrypt(credentials)],
        )
        if not created:
            raise IntegrationConflictError(f"the account already has a {connector} integration in this mode")
        return integration

    async def get(self, integration_id: str) -> Integration | None:
        raw = await self.redis.hget(self.keys.integration(integration_id), "record")
        return Integration.model_validate_json(raw) if raw else None

    async def get_for_account(
        self, integration_id: str, account_id: str, livemode: bool
    ) -> Integration | None:
        integration = await self.get(integration_id)
        if integration is None or integration.account_id != account_id or integration.livemode != livemode:
            return None
        return integration

    async def find(self, connector: str, account_id: str, livemode: bool) -> Integration | None:
        integration_id = await self.redis.get(self.keys.unique(connector, account_id, livemode))
        return await self.get(as_text(integration_id)) if integration_id else None

    async def list_for_account(self, account_id: str, livemode: bool) -> list[Integration]:
        ids = sorted(
            as_text(m) for m in await self.redis.smembers(self.keys.account_index(account_id, livemode))
        )
        found = [await self.get(i) for i in ids]
        return sorted((i for i in found if i is not None), key=lambda i: i.created_at)

    async def save(self, integration: Integration, credentials: dict[str, Any] | None = None) -> Integration:
        """Store a changed record (and, when given, replace the credentials)."""
        updates: dict[str, Any] = {"updated_at": utcnow()}
        if credentials is not None:
            updates["credential_fields"] = tuple(sorted(credentials))
        integration = integration.model_copy(update=updates)
        key = self.keys.integration(integration.id)
        if credentials is None:
            await self.redis.hset(key, "record", integration.model_dump_json())
        else:
            await self.redis.hset(
                key,
                mapping={
                    "record": integration.model_dump_json(),
                    "credentials": self.cipher.encrypt(credentials),
                },
            )
        return integration

    async def credentials(self, integration_id: str) -> dict[str, Any]:
        token = await self.redis.hget(self.keys.integration(integration_id), "credentials")
        return self.cipher.decrypt(as_bytes(token)) if token else {}

    async def update_credentials(self, integration_id: str, changes: dict[str, Any]) -> None:
        """Merge changes into the stored credentials (e.g. a rotated OAuth token pair)."""
        current = await self.credentials(integration_id)
        current.update(changes)
        await self.redis.hset(
            self.keys.integration(integration_id), "credentials", self.cipher.encrypt(current)
        )
        integration = await self.get(integration_id)
        if integration is not None and set(integration.credential_fields) != set(current):
            await self.save(integration.model_copy(update={"credential_fields": tuple(sorted(current))}))

    async def delete(self, integration: Integration) -> None:
        await self._delete(
            keys=[
                self.keys.integration(integration.id),
                self.keys.account_index(integration.account_id, integration.livemode),
                self.keys.unique(integration.connector, integration.account_id, integration.livemode),
                self.keys.errors(integration.id),
            ],
            args=[integration.id],
        )

    async def record_error(
        self,
        integration: Integration,
        source: str,
        message: str,
        details: dict[str, Any] | None = None,
        status: IntegrationStatus | None = None,
    ) -> Integration:
        entry = IntegrationErrorEntry(
            at=utcnow(), source=source, message=message[:1000], details=details or {}
        )
        key = self.keys.errors(integration.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, entry.model_dump_json())
            pipe.ltrim(key, 0, self.error_history - 1)
            await pipe.execute()
        current = await self.get(integration.id) or integration
        update: dict[str, Any] = {"last_error": entry}
        if status is not None:
            update["status"] = status
        return await self.save(current.model_copy(update=update))

    async def recent_errors(self, integration_id: str, limit: int = 20) -> list[IntegrationErrorEntry]:
        raw = await self.redis.lrange(self.keys.errors(integration_id), 0, limit - 1)
        return [IntegrationErrorEntry.model_validate_json(r) for r in raw]

    async def rotate_credentials(self) -> int:
        """Re-encrypt every stored credential blob under the primary key; returns how many."""
        count = 0
        async for key in self.redis.scan_iter(match=f"{self.keys.prefix}int:*", count=500):
            while True:  # a credential updated meanwhile is read again and rotated in its new form
                token = await self.redis.hget(key, "credentials")
                if not token:
                    break
                rotated = self.cipher.rotate(as_bytes(token))
                if await self._swap_field(keys=[key], args=["credentials", token, rotated]):
                    count += 1
                    break
        return count
