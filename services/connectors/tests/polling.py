"""Waiting for an asynchronous effect, with a bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], within_s: float = 20.0, every_s: float = 0.05
) -> T:
    """The first truthy answer of `probe`; fails the test after `within_s`."""
    async with asyncio.timeout(within_s):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(every_s)
