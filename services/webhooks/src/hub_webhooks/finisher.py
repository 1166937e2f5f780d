"""Group commit of attempt outcomes: outcomes that finish while a write is in flight go together
in the next one, so a busy worker records many outcomes per Redis round trip."""

from __future__ import annotations

import asyncio
from typing import Any

from hub_webhooks.store import DeliveryStore, Finished

MAX_BATCH = 128


class Finisher:
    def __init__(self, store: DeliveryStore) -> None:
        self.store = store
        self._pending: list[tuple[list[Any], asyncio.Future[Finished]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def finish(self, entry: list[Any]) -> Finished:
        future: asyncio.Future[Finished] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                stored = await self.store.finish_many([entry for entry, _ in batch])
            except Exception as exc:  # each waiting attempt sees the failure; leases make it safe
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            # a waiter cancelled meanwhile (shutdown) drops its handed-over delivery: the lease expires
            # and the reaper makes it due again
            for (_, future), finished in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(finished)
