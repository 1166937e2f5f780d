"""Injected time: `sleep` waits until the test moves the clock forward with `advance`."""

from __future__ import annotations

import asyncio


class ManualClock:
    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self._now = start
        self._changed = asyncio.Condition()
        self.sleepers = 0

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + max(0.0, seconds)
        async with self._changed:
            self.sleepers += 1
            try:
                await self._changed.wait_for(lambda: self._now >= deadline)
            finally:
                self.sleepers -= 1

    async def advance(self, seconds: float) -> None:
        async with self._changed:
            self._now += seconds
            self._changed.notify_all()
        await asyncio.sleep(0)

    async def wait_for_sleepers(self, count: int = 1, within_s: float = 10.0) -> None:
        """Until at least `count` tasks sleep on this clock (e.g. a consumer backing off)."""
        async with asyncio.timeout(within_s):
            while self.sleepers < count:  # noqa: ASYNC110 (polls a counter, not an event)
                await asyncio.sleep(0.01)
