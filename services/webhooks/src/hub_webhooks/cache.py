"""A short-lived cache for values read on the hot path (secrets, endpoint records and lists)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values kept `ttl_s`; when one is missing or stale, concurrent callers share one lookup (a
    worker with a hundred attempts in flight asks Redis once, not a hundred times, per expiry)."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._values: dict[str, tuple[float, V]] = {}
        self._loading: dict[str, asyncio.Future[V]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[V]]) -> V:
        hit = self._values.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(key, load))
            self._loading[key] = pending
        return await asyncio.shield(pending)

    async def _load(self, key: str, load: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await load()
        finally:
            del self._loading[key]
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = (time.monotonic(), value)
        return value
