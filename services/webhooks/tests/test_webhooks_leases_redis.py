"""The three ways a worker gets a lease — leased by the fan-out itself, handed over by a finishing
attempt of the same destination, claimed from `due` — against real Redis: each passes the same
destination gate, a delivery is never held twice, and a destination never exceeds its cap."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest
from redis.asyncio import Redis

from hub_webhooks.keys import WebhookKeys
from hub_webhooks.service import limits
from hub_webhooks.settings import WebhooksSettings
from hub_webhooks.store import Claimed, DeliveryStore, Finished, NewDelivery, finish_entry


def delivery(n: int, dest: str = "cb_dest") -> NewDelivery:
    return NewDelivery(
        id=f"whd_lease{n:04d}",
        msg_id=f"evt_lease{n:04d}",
        event_type="assessment.created",
        account_id="acct_Lease00001",
        livemode=True,
        assessment_id=f"asmt_lease{n:04d}",
        dest=dest,
        endpoint_id="",
        url="http://127.0.0.1:1/hook",
        body=b'{"n": %d}' % n,
    )


def store_for(redis: Redis, namespace: str, settings: WebhooksSettings, **overrides: Any) -> DeliveryStore:
    update = {"endpoint_rate_per_s": 0, "breaker_failure_threshold": 3, **overrides}
    return DeliveryStore(redis, namespace, limits(settings.model_copy(update=update)))


async def lease_batch(
    store: DeliveryStore, event_id: str, news: list[NewDelivery], now: int, budget: int = 10
) -> list[Claimed]:
    """Fan the deliveries out as one event; the first attempts leased to the caller."""
    return (await store.fan_out_many([(event_id, news)], now, 60, lease_budget=budget)).leased


async def finish(
    store: DeliveryStore, item: Claimed, now: int, *, ok: bool = True, handoff: bool = True, retry_in_ms: int = 5_000
) -> Finished:
    [done] = await store.finish_many(
        [
            finish_entry(
                item,
                now,
                outcome="succeeded" if ok else "retry",
                next_ms=None if ok else now + retry_in_ms,
                attempt={"attempt": item.attempt, "at_ms": now},
                breaker="ok" if ok else "fail",
                status_code=200 if ok else 500,
                error="" if ok else "HTTP 500",
                handoff=handoff,
            )
        ]
    )
    return done


async def test_fan_out_leases_first_attempts_within_budget_and_cap(
    redis: Redis, namespace: str, settings: WebhooksSettings
) -> None:
    store = store_for(redis, namespace, settings, endpoint_max_concurrency=3)
    now = int(time.time() * 1000)
    news = [delivery(i) for i in range(10)]
    result = await store.fan_out_many([("evt_lease_batch", news)], now, 60, lease_budget=5)
    keys = WebhookKeys(namespace)
    assert result.created == [10]
    assert [c.id for c in result.leased] == [d.id for d in news[:3]]  # the cap, not the budget
    assert all(c.attempt == 1 and c.body == d.body for c, d in zip(result.leased, news, strict=False))
    assert await redis.zcard(keys.prefix + "wait:cb_dest") == 7
    assert await redis.zcard(keys.prefix + "due") == 0
    assert await redis.zcard(keys.prefix + "slots:cb_dest") == 3
    row = await store.get(news[0].id)
    assert row is not None
    assert (row["attempts"], row["lease"]) == ("1", result.leased[0].token)

    # beyond the budget: due, for the claim loops (the API's fan-out uses no budget at all)
    other = store_for(redis, namespace, settings, endpoint_max_concurrency=100)
    more = [delivery(i, dest="cb_other") for i in range(20, 25)]
    result = await other.fan_out_many([("evt_lease_more", more)], now, 60, lease_budget=2)
    assert len(result.leased) == 2
    assert await redis.zcard(keys.prefix + "due") == 3


async def test_a_finish_hands_the_next_parked_delivery_over_in_order(
    redis: Redis, namespace: str, settings: WebhooksSettings
) -> None:
    store = store_for(redis, namespace, settings, endpoint_max_concurrency=2)
    now = int(time.time() * 1000)
    news = [delivery(i) for i in range(6)]
    leased = await lease_batch(store, "evt_handoff", news, now)
    assert [c.id for c in leased] == [news[0].id, news[1].id]

    done = await finish(store, leased[0], now + 1)
    assert done.stored and not done.made_due
    assert done.handed_over is not None
    assert done.handed_over.id == news[2].id  # first parked, first handed over
    assert done.handed_over.attempt == 1
    assert done.handed_over.body == news[2].body

    done = await finish(store, leased[1], now + 2, handoff=False)  # e.g. the worker is stopping
    assert done.stored and done.made_due and done.handed_over is None
    keys = WebhookKeys(namespace)
    assert await redis.zrange(keys.prefix + "due", 0, -1) == [news[3].id.encode()]
    claimed = await store.claim(now + 3, 10)
    assert [c.id for c in claimed] == [news[3].id]
    assert await redis.zcard(keys.prefix + "slots:cb_dest") == 2  # handed over + claimed: the cap


async def test_no_handover_while_other_destinations_wait_in_due(
    redis: Redis, namespace: str, settings: WebhooksSettings
) -> None:
    """A destination with a backlog must not keep a worker's slot for itself while deliveries of other
    destinations wait: its next delivery queues in `due` behind them and the claim takes them in order."""
    store = store_for(redis, namespace, settings, endpoint_max_concurrency=1)
    now = int(time.time() * 1000)
    busy = [delivery(i, dest="cb_busy") for i in range(3)]
    [held] = await lease_batch(store, "evt_busy", busy, now)
    waiting = delivery(10, dest="cb_quiet")
    await lease_batch(store, "evt_quiet", [waiting], now + 1, budget=0)  # due, no slot for it yet
    done = await finish(store, held, now + 2)
    assert done.stored and done.made_due and done.handed_over is None
    claimed = await store.claim(now + 3, 10)
    assert [c.id for c in claimed] == [waiting.id, busy[1].id]


async def test_no_handover_past_an_opened_breaker_or_a_lost_lease(
    redis: Redis, namespace: str, settings: WebhooksSettings
) -> None:
    store = store_for(redis, namespace, settings, endpoint_max_concurrency=1)
    now = int(time.time() * 1000)
    news = [delivery(i) for i in range(8)]
    [item] = await lease_batch(store, "evt_breaker", news, now)
    for n in range(2):  # two failures: below the threshold of 3, the next one is handed over
        done = await finish(store, item, now + n, ok=False)
        assert done.handed_over is not None
        item = done.handed_over
    done = await finish(store, item, now + 3, ok=False)  # the third opens the breaker
    assert done.stored and done.handed_over is None and done.made_due
    state = await store.destination_state("cb_dest")
    assert int(state["open_until"]) > now + 3

    lost = Claimed(**{**item.__dict__, "token": "someone-else"})
    keys = WebhookKeys(namespace)
    parked_before = await redis.zcard(keys.prefix + "wait:cb_dest")
    done = await finish(store, lost, now + 4)
    assert (done.stored, done.handed_over) == (False, None)
    assert await redis.zcard(keys.prefix + "wait:cb_dest") == parked_before


async def test_a_redelivered_parked_delivery_is_leased_once(
    redis: Redis, namespace: str, settings: WebhooksSettings
) -> None:
    """A redelivery of a parked delivery puts it in `due` too. Claimed from there, it must leave its
    destination's queue, or a finishing attempt would hand it over a second time."""
    store = store_for(redis, namespace, settings, endpoint_max_concurrency=1)
    now = int(time.time() * 1000)
    news = [delivery(i) for i in range(3)]
    [first] = await lease_batch(store, "evt_redeliver", news, now)
    assert await store.redeliver(news[2].id, now + 1) == "pending"  # parked, now also due
    await redis.zrem(WebhookKeys(namespace).prefix + "slots:cb_dest", first.id)  # as if its slot expired
    [claimed] = await store.claim(now + 2, 10)
    assert claimed.id == news[2].id
    leased, holding = [first.id, claimed.id], [first, claimed]
    while holding:
        done = await finish(store, holding.pop(0), now + 3)
        if done.handed_over is not None:
            leased.append(done.handed_over.id)
            holding.append(done.handed_over)
    assert sorted(leased) == [d.id for d in news]


async def test_finished_deliveries_and_their_attempt_log_expire(
    redis: Redis, namespace: str, settings: WebhooksSettings
) -> None:
    store = store_for(redis, namespace, settings)
    now = int(time.time() * 1000)
    [item] = await lease_batch(store, "evt_ttl", [delivery(1)], now, budget=1)
    await finish(store, item, now + 1)
    keys = WebhookKeys(namespace)
    assert 0 < await redis.ttl(keys.delivery(item.id)) <= settings.delivery_retention_s
    assert 0 < await redis.ttl(keys.attempts(item.id)) <= settings.delivery_retention_s


@pytest.mark.parametrize("seed", [1, 2])
async def test_racing_workers_never_hold_a_delivery_twice_nor_exceed_a_cap(
    redis_url: str, redis: Redis, namespace: str, settings: WebhooksSettings, seed: int
) -> None:
    """Four workers on their own connections fan out, claim, finish (a fifth of attempts fail and
    come back due at once) and take hand-overs, at random. Every attempt of every delivery is held by
    one worker at a time, each destination stays within its cap of 3, every delivery succeeds once."""
    rng = random.Random(seed)
    cap, dests, total = 3, ["d0", "d1", "d2"], 240
    news = [delivery(i, dest=dests[i % 3]) for i in range(total)]
    holders: dict[str, str] = {}
    per_dest: dict[str, int] = dict.fromkeys(dests, 0)
    succeeded: list[str] = []
    violations: list[str] = []
    clients = [Redis.from_url(redis_url) for _ in range(4)]

    async def run(item: Claimed, name: str, store: DeliveryStore) -> None:
        current: Claimed | None = item
        while current is not None:
            if current.id in holders:
                violations.append(f"{current.id} held by {holders[current.id]} and {name}")
            holders[current.id] = name
            per_dest[current.dest] += 1
            if per_dest[current.dest] > cap:
                violations.append(f"{current.dest} at {per_dest[current.dest]}")
            await asyncio.sleep(rng.random() / 500)
            ok = rng.random() > 0.2
            del holders[current.id]
            per_dest[current.dest] -= 1  # before the finish: the slot is released by it, never after
            now = int(time.time() * 1000)
            done = await finish(store, current, now, ok=ok, retry_in_ms=0)
            if not done.stored:
                violations.append(f"{current.id}: lease lost")
            if ok:
                succeeded.append(current.id)
            current = done.handed_over

    async def worker(n: int, client: Redis) -> None:
        store = store_for(client, namespace, settings, endpoint_max_concurrency=cap,
                          breaker_failure_threshold=10_000)
        name = f"w{n}"
        own = news[n::4]
        tasks: list[asyncio.Task[None]] = []
        for start in range(0, len(own), 15):
            chunk = own[start : start + 15]
            result = await store.fan_out_many(
                [(f"evt_{name}_{start}", chunk)], int(time.time() * 1000), 60, lease_budget=rng.randint(0, 6)
            )
            tasks += [asyncio.create_task(run(c, name, store)) for c in result.leased]
            await asyncio.sleep(0)
        deadline = time.monotonic() + 60
        while len(succeeded) < total and time.monotonic() < deadline:
            claimed = await store.claim(int(time.time() * 1000) + 1, rng.randint(1, 4))
            tasks += [asyncio.create_task(run(c, name, store)) for c in claimed]
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)

    try:
        await asyncio.gather(*(worker(n, c) for n, c in enumerate(clients)))
    finally:
        for c in clients:
            await c.aclose()
    assert violations == []
    assert sorted(succeeded) == sorted(d.id for d in news)
    keys = WebhookKeys(namespace)
    assert await redis.zcard(keys.leases) == 0
    for dest in dests:
        assert await redis.zcard(keys.prefix + f"slots:{dest}") == 0
        assert await redis.zcard(keys.prefix + f"wait:{dest}") == 0
