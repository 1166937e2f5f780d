"""The assessments store in Redis: record, indexes, seen-set, outbox and expiry schedule.

Every state change is one Lua script: it checks the idempotency key and the expected version,
then writes the record, the account index, the expiry schedule, the outbox entry and the command
outcome together, or nothing at all. Layout of the public part: `hub_contracts.read_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson
from redis.asyncio import Redis

from hub_contracts.assessment import AssessmentSnapshot
from hub_contracts.read_model import AssessmentKeys, CommandOutcome

COMMAND_OUTCOME_TTL_S = 7 * 24 * 3600
NOTIFY_TTL_S = 120

_COMMIT = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 'duplicate' end
local cur = redis.call('HGET', KEYS[1], 'version')
local curv = 0
if cur then curv = tonumber(cur) end
if curv ~= tonumber(ARGV[2]) then return 'conflict' end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'version', ARGV[3], 'snapshot', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
  if ARGV[7] == 'set' then
    redis.call('ZADD', KEYS[6], ARGV[8], ARGV[6])
  elseif ARGV[7] == 'del' then
    redis.call('ZREM', KEYS[6], ARGV[6])
  end
  redis.call('HSET', KEYS[4], ARGV[9], ARGV[10])
  redis.call('ZADD', KEYS[5], ARGV[11], ARGV[9])
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
end
if ARGV[12] ~= '' then
  redis.call('SET', KEYS[7], ARGV[12], 'EX', ARGV[13])
  redis.call('RPUSH', KEYS[8], ARGV[12])
  redis.call('EXPIRE', KEYS[8], ARGV[14])
end
return 'ok'
"""

_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for i, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], member)
end
return due
"""

CommitResult = Literal["ok", "duplicate", "conflict"]


@dataclass(frozen=True)
class OutboxEntry:
    event_id: str
    key: str
    headers: list[tuple[str, str]]
    body: bytes

    def to_json(self) -> bytes:
        return orjson.dumps({"event_id": self.event_id, "key": self.key, "headers": self.headers,
                             "body": self.body.decode()})

    @classmethod
    def from_json(cls, raw: bytes | str) -> OutboxEntry:
        data = orjson.loads(raw)
        return cls(data["event_id"], data["key"], [tuple(h) for h in data["headers"]], data["body"].encode())


@dataclass(frozen=True)
class StoredAssessment:
    snapshot: AssessmentSnapshot
    version: int


class AssessmentStore:
    def __init__(self, redis: Redis, namespace: str = "") -> None:
        self.redis = redis
        self.keys = AssessmentKeys(namespace)
        p = self.keys.prefix
        self.outbox_key = f"{p}outbox"
        self.outbox_queue_key = f"{p}outbox:q"
        self.expiry_key = f"{p}expiry"
        self._commit = redis.register_script(_COMMIT)
        self._claim_due = redis.register_script(_CLAIM_DUE)

    def seen_key(self, assessment_id: str) -> str:
        return f"{self.keys.prefix}seen:{assessment_id}"

    def notify_key(self, command_id: str) -> str:
        return f"{self.keys.prefix}cmd-notify:{command_id}"

    async def load(self, assessment_id: str) -> StoredAssessment | None:
        raw = await self.redis.hmget(self.keys.record(assessment_id), ["version", "snapshot"])
        if raw[0] is None or raw[1] is None:
            return None
        return StoredAssessment(AssessmentSnapshot.model_validate_json(raw[1]), int(raw[0]))

    async def has_seen(self, assessment_id: str, message_id: str) -> bool:
        return bool(await self.redis.sismember(self.seen_key(assessment_id), message_id))  # type: ignore[misc]

    async def commit(
        self,
        *,
        assessment_id: str,
        message_id: str,
        expected_version: int,
        snapshot: AssessmentSnapshot | None = None,
        outbox: OutboxEntry | None = None,
        outcome: CommandOutcome | None = None,
    ) -> CommitResult:
        """Apply one decision atomically. `snapshot=None` records only the message and outcome."""
        expiry_action, expires_ms, created_ms = "", "0", "0"
        if snapshot is not None:
            created_ms = str(int(snapshot.created_at.timestamp() * 1000))
            expiry_action = "del" if snapshot.status.is_terminal else "set"
            expires_ms = str(int(snapshot.expires_at.timestamp() * 1000))
        keys = [
            self.keys.record(assessment_id),
            self.seen_key(assessment_id),
            self.keys.account_index(snapshot.account_id, snapshot.livemode) if snapshot else self.seen_key("-"),
            self.outbox_key,
            self.outbox_queue_key,
            self.expiry_key,
            self.keys.command_outcome(outcome.command_id) if outcome else self.seen_key("-"),
            self.notify_key(outcome.command_id) if outcome else self.seen_key("-"),
        ]
        args: list[Any] = [
            message_id,
            expected_version,
            snapshot.version if snapshot else 0,
            snapshot.model_dump_json() if snapshot else "",
            created_ms,
            assessment_id,
            expiry_action,
            expires_ms,
            outbox.event_id if outbox else "",
            outbox.to_json() if outbox else "",
            str(int(snapshot.updated_at.timestamp() * 1000)) if snapshot else "0",
            outcome.model_dump_json() if outcome else "",
            COMMAND_OUTCOME_TTL_S,
            NOTIFY_TTL_S,
        ]
        result = await self._commit(keys=keys, args=args)
        decoded = result.decode() if isinstance(result, bytes) else str(result)
        if decoded not in ("ok", "duplicate", "conflict"):
            raise RuntimeError(f"unexpected commit result {decoded!r}")
        return decoded  # type: ignore[return-value]

    async def outbox_entries(self, event_ids: list[str]) -> list[OutboxEntry]:
        if not event_ids:
            return []
        raw = await self.redis.hmget(self.outbox_key, event_ids)
        return [OutboxEntry.from_json(r) for r in raw if r is not None]

    async def pending_outbox(self, older_than_ms: int, limit: int = 500) -> list[OutboxEntry]:
        ids = await self.redis.zrangebyscore(self.outbox_queue_key, "-inf", older_than_ms, start=0, num=limit)
        return await self.outbox_entries([i.decode() if isinstance(i, bytes) else i for i in ids])

    async def outbox_done(self, event_ids: list[str]) -> None:
        if event_ids:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self.outbox_key, *event_ids)
                pipe.zrem(self.outbox_queue_key, *event_ids)
                await pipe.execute()

    async def claim_due_expiries(self, now_ms: int, lease_ms: int, limit: int = 500) -> list[str]:
        """Atomically take the due assessments and push them `lease_ms` ahead, so that a crashed
        claimer's work comes due again while instances running side by side never share it."""
        due = await self._claim_due(keys=[self.expiry_key], args=[now_ms, now_ms + lease_ms, limit])
        return [d.decode() if isinstance(d, bytes) else str(d) for d in due]

    async def outcome(self, command_id: str) -> CommandOutcome | None:
        raw = await self.redis.get(self.keys.command_outcome(command_id))
        return CommandOutcome.model_validate_json(raw) if raw else None
