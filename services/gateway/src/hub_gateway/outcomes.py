"""Waiting for the outcome of a command the assessments service handles (applied or refused).

The service pushes the `CommandOutcome` to `asmt:cmd-notify:{command_id}` (kept 2 minutes) and
stores it at `asmt:cmd:{command_id}`; the gateway blocks on the list with BLPOP, so an outcome
pushed before the wait began is still found.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub_contracts.read_model import AssessmentKeys, CommandOutcome


class OutcomeWaiter:
    def __init__(self, redis: Redis, namespace: str, wait_s: float) -> None:
        self.redis = redis
        self.keys = AssessmentKeys(namespace)
        self.wait_s = wait_s

    async def wait(self, command_id: str) -> CommandOutcome | None:
        """The outcome, or None when it did not arrive within `wait_s` (it still will be handled)."""
        notify_key = f"{self.keys.prefix}cmd-notify:{command_id}"
        try:
            popped = await self.redis.blpop([notify_key], timeout=self.wait_s)
        except RedisTimeoutError:
            popped = None
        if popped is None:
            raw = await self.redis.get(self.keys.command_outcome(command_id))
            return CommandOutcome.model_validate_json(raw) if raw else None
        return CommandOutcome.model_validate_json(popped[1])
