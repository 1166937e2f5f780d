"""The assessments store in Redis: record, indexes, seen-set, outbox and expiry schedule.

Every state change is one Lua script: it checks the idempotency key and the expected version,
then writes the record, the account index, the expiry schedule, the outbox entry and the command
outcome together, or nothing at all. Layout of the public part: `hub_contracts.read_model`;
the whole layout is in the service README.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from redis.asyncio import Redis

from hub_contracts.assessment import AssessmentSnapshot
from hub_contracts.read_model import AssessmentKeys, CommandOutcome

COMMAND_OUTCOME_TTL_S = 7 * 24 * 3600
NOTIFY_TTL_S = 120

# Returns the pending outbox entries of one assessment as a flat list
# (version, entry json, attempted 0|1, ...) and flags every one of them as attempted: whoever
# takes them next must first look in the event topic for what was already published.
_TAKE_PENDING = """
local function take_pending(ob)
  local all = redis.call('HGETALL', ob)
  local out = {}
  for i = 1, #all, 2 do
    local field = all[i]
    if string.sub(field, 1, 1) == 'v' then
      local ver = string.sub(field, 2)
      table.insert(out, ver)
      table.insert(out, all[i + 1])
      table.insert(out, redis.call('HEXISTS', ob, 'a' .. ver))
    end
  end
  for i = 1, #out, 3 do
    redis.call('HSET', ob, 'a' .. out[i], '1')
  end
  return out
end
"""

# KEYS: rec, seen, idx, ob, outbox-due, expiry, cmd-outcome, cmd-notify, publish-lock
_COMMIT = (
    _TAKE_PENDING
    + """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return {'duplicate', redis.call('EXISTS', KEYS[4])}
end
local cur = redis.call('HGET', KEYS[1], 'version')
local curv = 0
if cur then curv = tonumber(cur) end
if curv ~= tonumber(ARGV[2]) then return {'conflict'} end
local changed = ARGV[4] ~= ''
if changed then
  redis.call('HSET', KEYS[1], 'version', ARGV[3], 'snapshot', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
  if ARGV[7] == 'set' then
    redis.call('ZADD', KEYS[6], ARGV[8], ARGV[6])
  else
    redis.call('ZREM', KEYS[6], ARGV[6])
  end
  redis.call('HSET', KEYS[4], 'v' .. ARGV[3], ARGV[9])
  redis.call('ZADD', KEYS[5], 'NX', ARGV[10], ARGV[6])
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
end
if ARGV[11] ~= '' then
  redis.call('SET', KEYS[7], ARGV[11], 'EX', ARGV[12])
  redis.call('RPUSH', KEYS[8], ARGV[11])
  redis.call('EXPIRE', KEYS[8], ARGV[13])
end
if changed and redis.call('SET', KEYS[9], ARGV[14], 'NX', 'PX', ARGV[15]) then
  local out = take_pending(KEYS[4])
  table.insert(out, 1, 'ok')
  return out
end
return {'ok'}
"""
)

# KEYS: ob, publish-lock, outbox-due. ARGV: token, lease ms, assessment id.
# nil when another publisher holds the lock; else the pending entries (the lock is kept only
# while there are some).
_CLAIM = (
    _TAKE_PENDING
    + """
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return false end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local out = take_pending(KEYS[1])
if #out == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[3])
end
return out
"""
)

# KEYS: ob, publish-lock, outbox-due. ARGV: token, assessment id, versions...
# 0 when nothing is left (lock released), 1 when entries arrived meanwhile (lock kept).
_DONE = """
for i = 3, #ARGV do
  redis.call('HDEL', KEYS[1], 'v' .. ARGV[i], 'a' .. ARGV[i])
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[2])
  if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
  return 0
end
return 1
"""

_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for i, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], member)
end
return due
"""

# KEYS: rec, seen, idx, expiry. ARGV: version, snapshot, created ms, id, expiry action, expires ms,
# caused_by. Writes the record only when the event is newer than what is stored.
_RESTORE = """
if ARGV[7] ~= '' then redis.call('SADD', KEYS[2], ARGV[7]) end
local cur = redis.call('HGET', KEYS[1], 'version')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'snapshot', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
if ARGV[5] == 'set' then
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[4])
else
  redis.call('ZREM', KEYS[4], ARGV[4])
end
return 1
"""

CommitStatus = Literal["ok", "duplicate", "conflict"]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def to_ms(snapshot_time: Any) -> int:
    return int(snapshot_time.timestamp() * 1000)


@dataclass(frozen=True)
class OutboxEntry:
    """One event waiting to be published: the Kafka record exactly as it will be sent."""

    event_id: str
    key: str
    version: int
    committed_ms: int
    headers: list[tuple[str, str]]
    body: bytes

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "event_id": self.event_id,
                "key": self.key,
                "version": self.version,
                "committed_ms": self.committed_ms,
                "headers": self.headers,
                "body": self.body.decode(),
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> OutboxEntry:
        data = orjson.loads(raw)
        return cls(
            data["event_id"],
            data["key"],
            int(data["version"]),
            int(data["committed_ms"]),
            [(str(k), str(v)) for k, v in data["headers"]],
            data["body"].encode(),
        )


@dataclass(frozen=True)
class PendingEntry:
    """An outbox entry as taken by a publisher; `attempted` means an earlier publisher may have sent it."""

    entry: OutboxEntry
    attempted: bool


@dataclass(frozen=True)
class CommitResult:
    status: CommitStatus
    # Entries this caller now has to publish (it holds the assessment's publish lock), oldest first.
    to_publish: tuple[PendingEntry, ...] = ()
    # duplicate: events of this assessment still wait in the outbox (a crash before publishing)
    outbox_pending: bool = False


@dataclass(frozen=True)
class CommitPlan:
    """One decision to commit: what the service decided from the record at `expected_version`."""

    assessment_id: str
    message_id: str
    expected_version: int
    snapshot: AssessmentSnapshot | None = None
    outbox: OutboxEntry | None = None
    outcome: CommandOutcome | None = None
    lock_token: str = ""
    lock_lease_ms: int = 10_000


@dataclass(frozen=True)
class StoredAssessment:
    snapshot: AssessmentSnapshot
    version: int


def _pending(flat: Sequence[Any]) -> tuple[PendingEntry, ...]:
    items = [
        PendingEntry(OutboxEntry.from_json(flat[i + 1]), int(flat[i + 2]) == 1)
        for i in range(0, len(flat), 3)
    ]
    return tuple(sorted(items, key=lambda p: p.entry.version))


class AssessmentStore:
    def __init__(self, redis: Redis, namespace: str = "") -> None:
        self.redis = redis
        self.keys = AssessmentKeys(namespace)
        p = self.keys.prefix
        self.outbox_due_key = f"{p}outbox:due"
        self.expiry_key = f"{p}expiry"
        self._commit = redis.register_script(_COMMIT)
        self._claim = redis.register_script(_CLAIM)
        self._done = redis.register_script(_DONE)
        self._claim_due = redis.register_script(_CLAIM_DUE)
        self._restore = redis.register_script(_RESTORE)

    # key names ---------------------------------------------------------------------------------
    def seen_key(self, assessment_id: str) -> str:
        return f"{self.keys.prefix}seen:{assessment_id}"

    def outbox_key(self, assessment_id: str) -> str:
        return f"{self.keys.prefix}ob:{assessment_id}"

    def publish_lock_key(self, assessment_id: str) -> str:
        return f"{self.keys.prefix}obl:{assessment_id}"

    def notify_key(self, command_id: str) -> str:
        return f"{self.keys.prefix}cmd-notify:{command_id}"

    def owned_patterns(self) -> list[str]:
        """Every key `rebuild` wipes (command outcomes are replies to callers, not state: kept)."""
        p = self.keys.prefix
        return [f"{p}rec:*", f"{p}idx:*", f"{p}seen:*", f"{p}ob:*", f"{p}obl:*"]

    # reads -------------------------------------------------------------------------------------
    async def load(self, assessment_id: str) -> StoredAssessment | None:
        return (await self.load_many([assessment_id]))[0]

    async def load_many(self, assessment_ids: Sequence[str]) -> list[StoredAssessment | None]:
        """Several records in one pipeline (a batch reads the first input's assessments together).

        Whether an input was already applied is checked by the commit script, not here: a
        duplicate decides on whatever it reads and the script refuses it (one round trip saved)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for assessment_id in assessment_ids:
                pipe.hmget(self.keys.record(assessment_id), ["version", "snapshot"])
            replies = await pipe.execute()
        return [
            StoredAssessment(AssessmentSnapshot.model_validate_json(raw[1]), int(raw[0]))
            if raw[0] is not None and raw[1] is not None
            else None
            for raw in replies
        ]

    async def outcome(self, command_id: str) -> CommandOutcome | None:
        raw = await self.redis.get(self.keys.command_outcome(command_id))
        return CommandOutcome.model_validate_json(raw) if raw else None

    # the state change --------------------------------------------------------------------------
    def _commit_call(self, plan: CommitPlan) -> tuple[list[str], list[Any]]:
        snapshot, outbox, outcome, assessment_id = (
            plan.snapshot,
            plan.outbox,
            plan.outcome,
            plan.assessment_id,
        )
        if (snapshot is None) != (outbox is None):
            raise ValueError("a changed snapshot and its outbox entry go together")
        dummy = self.seen_key("-")
        keys = [
            self.keys.record(assessment_id),
            self.seen_key(assessment_id),
            self.keys.account_index(snapshot.account_id, snapshot.livemode) if snapshot else dummy,
            self.outbox_key(assessment_id),
            self.outbox_due_key,
            self.expiry_key,
            self.keys.command_outcome(outcome.command_id) if outcome else dummy,
            self.notify_key(outcome.command_id) if outcome else dummy,
            self.publish_lock_key(assessment_id),
        ]
        args: list[Any] = [
            plan.message_id,
            plan.expected_version,
            snapshot.version if snapshot else 0,
            snapshot.model_dump_json() if snapshot else "",
            to_ms(snapshot.created_at) if snapshot else 0,
            assessment_id,
            ("del" if snapshot.status.is_terminal else "set") if snapshot else "",
            to_ms(snapshot.expires_at) if snapshot else 0,
            outbox.to_json() if outbox else "",
            outbox.committed_ms if outbox else 0,
            outcome.model_dump_json() if outcome else "",
            COMMAND_OUTCOME_TTL_S,
            NOTIFY_TTL_S,
            plan.lock_token,
            plan.lock_lease_ms,
        ]
        return keys, args

    @staticmethod
    def _commit_result(reply: Sequence[Any]) -> CommitResult:
        status = _text(reply[0])
        if status == "duplicate":
            return CommitResult("duplicate", outbox_pending=bool(int(reply[1])))
        if status not in ("ok", "conflict"):
            raise RuntimeError(f"unexpected commit result {status!r}")
        return CommitResult(status, _pending(reply[1:]))  # type: ignore[arg-type]

    async def commit(self, plan: CommitPlan) -> CommitResult:
        """Apply one decision atomically. `snapshot=None` records only the message and the outcome.

        When the decision changed the record and the assessment's publish lock was free, the
        caller gets the lock and the entries to publish (its own and any left by a crash)."""
        keys, args = self._commit_call(plan)
        return self._commit_result(await self._commit(keys=keys, args=args))

    async def commit_many(self, plans: Sequence[CommitPlan]) -> list[CommitResult]:
        """`commit` for decisions on different assessments, in one pipeline (each script atomic)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for plan in plans:
                keys, args = self._commit_call(plan)
                await self._commit(keys=keys, args=args, client=pipe)
            replies = await pipe.execute()
        return [self._commit_result(reply) for reply in replies]

    # the outbox --------------------------------------------------------------------------------
    async def claim_pending(
        self, assessment_id: str, token: str, lease_ms: int
    ) -> tuple[PendingEntry, ...] | None:
        """Take the publish lock of one assessment (or renew ours) and its pending entries.

        None: another publisher holds the lock. Empty: nothing pending (lock released)."""
        reply = await self._claim(
            keys=[self.outbox_key(assessment_id), self.publish_lock_key(assessment_id), self.outbox_due_key],
            args=[token, lease_ms, assessment_id],
        )
        return None if reply is None else _pending(reply)

    async def published(self, assessment_id: str, token: str, versions: Sequence[int]) -> bool:
        """Drop published entries; True when more arrived meanwhile (we still hold the lock)."""
        return (await self.published_many([(assessment_id, token, versions)]))[0]

    async def published_many(self, drops: Sequence[tuple[str, str, Sequence[int]]]) -> list[bool]:
        """`published` for several assessments in one pipeline."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for assessment_id, token, versions in drops:
                await self._done(
                    keys=[
                        self.outbox_key(assessment_id),
                        self.publish_lock_key(assessment_id),
                        self.outbox_due_key,
                    ],
                    args=[token, assessment_id, *versions],
                    client=pipe,
                )
            replies = await pipe.execute()
        return [bool(int(more)) for more in replies]

    async def claim_due_outbox(self, older_than_ms: int, lease_ms: int, limit: int = 500) -> list[str]:
        """Assessments with entries pending since before `older_than_ms` (pushed a lease ahead)."""
        due = await self._claim_due(
            keys=[self.outbox_due_key], args=[older_than_ms, older_than_ms + lease_ms, limit]
        )
        return [_text(d) for d in due]

    async def pending_count(self) -> int:
        return int(await self.redis.zcard(self.outbox_due_key))

    # expiry ------------------------------------------------------------------------------------
    async def claim_due_expiries(self, now_ms: int, lease_ms: int, limit: int = 500) -> list[str]:
        """Atomically take the due assessments and push them `lease_ms` ahead, so that a crashed
        claimer's work comes due again while instances running side by side never share it."""
        due = await self._claim_due(keys=[self.expiry_key], args=[now_ms, now_ms + lease_ms, limit])
        return [_text(d) for d in due]

    async def unschedule(self, assessment_id: str) -> None:
        await self.redis.zrem(self.expiry_key, assessment_id)

    # rebuild -----------------------------------------------------------------------------------
    async def wipe(self) -> int:
        """Delete every key of the store (see `owned_patterns`); returns how many."""
        deleted = 0
        for key in (self.outbox_due_key, self.expiry_key):
            deleted += int(await self.redis.delete(key))
        for pattern in self.owned_patterns():
            batch: list[Any] = []
            async for key in self.redis.scan_iter(match=pattern, count=2000):
                batch.append(key)
                if len(batch) >= 1000:
                    deleted += int(await self.redis.unlink(*batch))
                    batch = []
            if batch:
                deleted += int(await self.redis.unlink(*batch))
        return deleted

    async def restore(self, snapshots: Sequence[tuple[AssessmentSnapshot, str | None]]) -> None:
        """Write event snapshots (with their `caused_by`) back, newest version winning, pipelined."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for snapshot, caused_by in snapshots:
                aid = snapshot.id
                await self._restore(
                    keys=[
                        self.keys.record(aid),
                        self.seen_key(aid),
                        self.keys.account_index(snapshot.account_id, snapshot.livemode),
                        self.expiry_key,
                    ],
                    args=[
                        snapshot.version,
                        snapshot.model_dump_json(),
                        to_ms(snapshot.created_at),
                        aid,
                        "del" if snapshot.status.is_terminal else "set",
                        to_ms(snapshot.expires_at),
                        caused_by or "",
                    ],
                    client=pipe,
                )
            await pipe.execute()
