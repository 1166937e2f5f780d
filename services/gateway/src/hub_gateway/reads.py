"""Reading assessments for an account: the assessments read model, plus the gateway's own
just-created records so that a GET right after a 201 never answers 404 (read your writes).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import orjson
from redis.asyncio import Redis

from hub_contracts.assessment import AssessmentSnapshot
from hub_contracts.read_model import AssessmentKeys


def encode_cursor(created_ms: int, assessment_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created_ms, assessment_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    padded = cursor + "=" * (-len(cursor) % 4)
    decoded = orjson.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(decoded, list) or len(decoded) != 2:
        raise ValueError("malformed cursor")
    return int(decoded[0]), str(decoded[1])


@dataclass(frozen=True)
class Page:
    items: list[AssessmentSnapshot]
    has_more: bool
    next_cursor: str | None


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    scenario_id: str | None = None
    candidate_email: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    metadata_key: str | None = None
    metadata_value: str | None = None

    def matches(self, s: AssessmentSnapshot) -> bool:
        if self.status and s.status.value != self.status:
            return False
        if self.scenario_id and s.scenario_id != self.scenario_id:
            return False
        if self.candidate_email and s.candidate.email.lower() != self.candidate_email.lower():
            return False
        if self.metadata_key is not None:
            if self.metadata_key not in s.metadata:
                return False
            if self.metadata_value is not None and _as_query_text(s.metadata[self.metadata_key]) != self.metadata_value:
                return False
        return True


# Parsed in place of a missing record, so a missing id costs what another account's id costs (~1.5 KB).
_DECOY_RECORD = orjson.dumps({"id": "asmt_000000000000", "account_id": "", "livemode": None,
                              "candidate": {"email": "", "name": ""}, "metadata": {}, "padding": "x" * 1300})


class AssessmentReader:
    def __init__(self, redis: Redis, namespace: str, pending_ttl_s: int) -> None:
        self.redis = redis
        self.keys = AssessmentKeys(namespace)
        self.pending_prefix = f"{namespace}gw:pending:"
        self.pending_ttl_s = pending_ttl_s

    def pending_record(self, snapshot: AssessmentSnapshot) -> tuple[str, bytes, int]:
        """(key, value, ttl in s) of the just-created record, for a caller that writes it itself."""
        return self.pending_prefix + snapshot.id, snapshot.model_dump_json().encode(), self.pending_ttl_s

    async def remember_pending(self, snapshot: AssessmentSnapshot) -> None:
        key, value, ttl_s = self.pending_record(snapshot)
        await self.redis.set(key, value, ex=ttl_s)

    async def forget_pending(self, assessment_id: str) -> None:
        await self.redis.delete(self.pending_prefix + assessment_id)

    async def get(self, account_id: str, livemode: bool, assessment_id: str) -> AssessmentSnapshot | None:
        """The assessment if it belongs to this account and mode; None otherwise (same for both)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.keys.record(assessment_id), "snapshot")
            pipe.get(self.pending_prefix + assessment_id)
            stored, pending = await pipe.execute()
        raw = stored or pending
        # The same work whether the id is missing or another account's (no timing difference): one
        # orjson parse of a record of the usual size; the full validation only for the owner.
        doc = orjson.loads(raw if raw is not None else _DECOY_RECORD)
        if raw is None or doc.get("account_id") != account_id or doc.get("livemode") is not livemode:
            return None
        return AssessmentSnapshot.model_validate_json(raw)

    async def list(self, account_id: str, livemode: bool, limit: int, cursor: str | None,
                   flt: ListFilter, max_scan: int = 2000) -> Page:
        index = self.keys.account_index(account_id, livemode)
        max_score: str = "+inf"
        after_id: str | None = None
        if cursor:
            created_ms, after_id = decode_cursor(cursor)
            max_score = str(created_ms)
        if flt.created_before is not None:
            before_ms = int(flt.created_before.timestamp() * 1000) - 1
            max_score = str(min(float(max_score), before_ms)) if max_score != "+inf" else str(before_ms)
        min_score = str(int(flt.created_after.timestamp() * 1000) + 1) if flt.created_after else "-inf"
        found: list[AssessmentSnapshot] = []
        scanned, offset, batch = 0, 0, max(limit * 2, 50)
        skipping = after_id is not None
        has_more = False
        while scanned < max_scan:
            rows = await self.redis.zrevrangebyscore(index, max_score, min_score, start=offset, num=batch)
            if not rows:
                break
            offset += len(rows)
            ids = []
            for member in rows:
                member_id = member.decode() if isinstance(member, bytes) else str(member)
                if skipping:
                    if member_id == after_id:
                        skipping = False
                    continue
                ids.append(member_id)
            scanned += len(rows)
            if not ids:
                continue
            async with self.redis.pipeline(transaction=False) as pipe:
                for i in ids:
                    pipe.hget(self.keys.record(i), "snapshot")
                raws = await pipe.execute()
            for raw in raws:
                if raw is None:
                    continue
                snapshot = AssessmentSnapshot.model_validate_json(raw)
                if flt.matches(snapshot):
                    if len(found) == limit:
                        has_more = True
                        break
                    found.append(snapshot)
            if has_more:
                break
        next_cursor = None
        if has_more and found:
            last = found[-1]
            next_cursor = encode_cursor(int(last.created_at.timestamp() * 1000), last.id)
        return Page(found, has_more, next_cursor)


def _as_query_text(value: object) -> str:
    """A metadata value as a caller writes it in a query string: strings as they are, the rest as JSON
    (`true`, `null`, `42`, `2.5`), so `metadata_value=true` finds a boolean true."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()
