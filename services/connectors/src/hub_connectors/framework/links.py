"""Which vendor object an assessment belongs to, and how far each connector has pushed it.

| key | type | content |
| --- | --- | --- |
| `conn:link:{assessment_id}` | string | JSON `AssessmentLink` |
| `conn:ref:{connector}:{integration_id}:{vendor_ref}` | string | assessment id (inbound dedup) |
| `conn:pushed:{connector}:{assessment_id}` | string | last event version pushed to the vendor |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from hub_connectors.framework.crypto import CredentialCipher
from hub_connectors.framework.redis_values import as_text

LINK_TTL_S = 400 * 24 * 3600
SEALED_PREFIX = "sealed_"
"""Link refs whose key starts with this hold secrets sealed with the credentials cipher (rotated with it)."""


class AssessmentLink(BaseModel):
    """An assessment a connector created, with the vendor's ids needed to write back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    assessment_id: str
    connector: str
    integration_id: str
    account_id: str
    livemode: bool
    vendor_ref: str = Field(
        description="The vendor object this assessment answers (dedup key of the trigger)"
    )
    refs: dict[str, Any] = Field(
        default_factory=dict, description="Connector-specific ids (url, opportunity…)"
    )
    created_at: datetime


@dataclass(frozen=True)
class LinkKeys:
    namespace: str = ""

    def link(self, assessment_id: str) -> str:
        return f"{self.namespace}conn:link:{assessment_id}"

    def vendor_ref(self, connector: str, integration_id: str, vendor_ref: str) -> str:
        return f"{self.namespace}conn:ref:{connector}:{integration_id}:{vendor_ref}"

    def pushed(self, connector: str, assessment_id: str) -> str:
        return f"{self.namespace}conn:pushed:{connector}:{assessment_id}"


_CLAIM = """
local existing = redis.call('GET', KEYS[2])
if existing then return existing end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return ARGV[1]
"""

# Compare-and-set of a whole link (TTL kept): key rotation never overwrites a link changed since it was read.
_SWAP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end
return 0
"""

_MARK_PUSHED = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end
return 0
"""


class LinkStore:
    def __init__(self, redis: Redis, namespace: str = "") -> None:
        self.redis = redis
        self.keys = LinkKeys(namespace)
        self._claim = redis.register_script(_CLAIM)
        self._mark = redis.register_script(_MARK_PUSHED)
        self._swap = redis.register_script(_SWAP)

    async def claim(self, link: AssessmentLink) -> tuple[str, bool]:
        """Store the link unless the vendor object already has an assessment.

        Returns (assessment id, created). A vendor retrying its trigger gets the first assessment back.
        """
        winner = await self._claim(
            keys=[
                self.keys.link(link.assessment_id),
                self.keys.vendor_ref(link.connector, link.integration_id, link.vendor_ref),
            ],
            args=[link.assessment_id, link.model_dump_json(), LINK_TTL_S],
        )
        winner_id = as_text(winner)
        return winner_id, winner_id == link.assessment_id

    async def release(self, link: AssessmentLink) -> None:
        """Undo a claim whose command could not be published, so the vendor's retry can try again."""
        await self.redis.delete(
            self.keys.link(link.assessment_id),
            self.keys.vendor_ref(link.connector, link.integration_id, link.vendor_ref),
        )

    async def get(self, assessment_id: str) -> AssessmentLink | None:
        raw = await self.redis.get(self.keys.link(assessment_id))
        return AssessmentLink.model_validate_json(raw) if raw else None

    async def find(self, connector: str, integration_id: str, vendor_ref: str) -> AssessmentLink | None:
        assessment_id = await self.redis.get(self.keys.vendor_ref(connector, integration_id, vendor_ref))
        return await self.get(as_text(assessment_id)) if assessment_id else None

    async def update_refs(self, link: AssessmentLink, changes: dict[str, Any]) -> AssessmentLink:
        """Remember more vendor ids (e.g. Lever's noteId once the note exists)."""
        updated = link.model_copy(update={"refs": {**link.refs, **changes}})
        await self.redis.set(self.keys.link(link.assessment_id), updated.model_dump_json(), ex=LINK_TTL_S)
        return updated

    async def pushed_version(self, connector: str, assessment_id: str) -> int:
        raw = await self.redis.get(self.keys.pushed(connector, assessment_id))
        return int(raw) if raw else 0

    async def mark_pushed(self, connector: str, assessment_id: str, version: int) -> None:
        await self._mark(keys=[self.keys.pushed(connector, assessment_id)], args=[version, LINK_TTL_S])

    async def rotate_sealed_refs(self, cipher: CredentialCipher) -> int:
        """Re-encrypt every `sealed_*` ref under the primary key; returns how many links changed."""
        count = 0
        async for key in self.redis.scan_iter(match=f"{self.keys.namespace}conn:link:*", count=500):
            while True:  # a link changed meanwhile is read again (never overwritten with the old copy)
                raw = await self.redis.get(key)
                if raw is None:
                    break
                link = AssessmentLink.model_validate_json(raw)
                sealed = {
                    k: cipher.rotate(str(v).encode()).decode()
                    for k, v in link.refs.items()
                    if k.startswith(SEALED_PREFIX)
                }
                if not sealed:
                    break
                updated = link.model_copy(update={"refs": {**link.refs, **sealed}})
                if await self._swap(keys=[key], args=[raw, updated.model_dump_json()]):
                    count += 1
                    break
        return count
