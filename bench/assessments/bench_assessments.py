"""Benchmarks of the assessments service (figures in README.md next to this file).

1. throughput: M create commands in the command topic, consumed (same run, one after the other)
   a) by raw aiokafka doing one Redis pipeline write (HSET record + SADD seen-set) per message, and
   b) by one `hub-assessments` process (decode, state machine, Lua commit, event publish, offsets);
   ratio = b / a.
2. memory: MEMORY USAGE of the keys of one completed assessment (with results).
3. read latency with 10 k and with 1 M stored assessments, in a Redis of its own (database 0 holds
   the 10 k, database 1 the 1 M, each with its own account and live API key):
   a) baseline: p50/p99 of one raw HGET of `snapshot` (the Redis part of the read);
   b) the endpoint: p50/p99 of `GET /v1/assessments/{id}` with a Bearer key, over HTTP, from two
      real `hub-gateway` processes, one per database; samples alternate between the two sizes.

Run: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 REDIS_URL=redis://127.0.0.1:16379/0 \
     uv run python bench/assessments/bench_assessments.py [--messages 20000] [--big 1000000]
Without KAFKA_BOOTSTRAP_SERVERS / REDIS_URL it starts its own Apache Kafka / Redis
(`hub_devtools.brokers`). Part 3 always seeds a Redis of its own and throws it away.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_contracts.activity import CandidateActivity
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CreateAssessment
from hub_contracts.ids import new_assessment_id
from hub_contracts.read_model import AssessmentKeys
from hub_contracts.results import AgenticReadinessResults, DimensionScore, band_for
from hub_contracts.scoring import ScoringResultReported
from hub_contracts.topics import ASSESSMENT_COMMANDS, ASSESSMENT_EVENTS, CANDIDATE_ACTIVITY, SCORING_RESULTS
from hub_devtools import brokers
from hub_devtools.provision import create_topics, wait_for_kafka
from hub_devtools.runner import ServiceGroup, wait_http_ok
from hub_gateway.accounts import AccountAdmin

SERVICE_BIN = Path(sys.executable).parent / "hub-assessments"
ACCOUNT = "acct_BenchAccount01"
API_KEY_SECRET = "bench-secret"  # noqa: S105 (a throwaway benchmark Redis)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:  # seen once in ~10 runs: see the service README, known issues
        print("  (service did not stop within 30 s of SIGTERM: killed)")
        proc.kill()
        proc.wait(10)


def create(aid: str | None = None) -> CreateAssessment:
    now = utcnow()
    aid = aid or new_assessment_id()
    return CreateAssessment(
        command_id=new_id("cmd"),
        assessment_id=aid,
        account_id=ACCOUNT,
        livemode=True,
        issued_at=now,
        candidate=Candidate(email="jane.doe@example.com", name="Jane Doe"),
        scenario_id="ma-due-diligence-v2",
        candidate_url=f"https://app.lextalent.ai/challenge/{aid[5:]}",
        created_at=now,
        expires_at=now.replace(year=now.year + 1),
        metadata={"ats_candidate_id": "gh_123456", "req": "R-778"},
    )


def results() -> AgenticReadinessResults:
    dims = [
        ("verification", "Verification"),
        ("delegation", "Delegation"),
        ("judgement", "Judgement"),
        ("tooling", "Tooling"),
        ("communication", "Communication"),
    ]
    return AgenticReadinessResults(
        overall_score=82,
        band=band_for(82),
        dimensions=tuple(DimensionScore(key=k, name=n, score=70 + i) for i, (k, n) in enumerate(dims)),
        percentile=71.5,
        report_url="https://app.lextalent.ai/reports/r_123456789",
        duration_seconds=3120,
        completed_at=utcnow(),
    )


async def produce(bootstrap: str, messages: list[tuple[str, object]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=10,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    try:
        futures = []
        for topic, message in messages:
            aid = message.assessment_id  # type: ignore[attr-defined]
            headers = make_headers(id=new_id("b"), type=message.type, source="//bench", subject=aid)  # type: ignore[attr-defined]
            futures.append(
                await producer.send(
                    topic,
                    message.to_json(),  # type: ignore[attr-defined]
                    key=aid.encode(),
                    headers=headers,
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_baseline(bootstrap: str, redis_url: str, topic: str, total: int, ns: str, group: str) -> float:
    """aiokafka getmany + one Redis pipeline write per message + a commit per batch: messages/s."""
    redis = Redis.from_url(redis_url)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{ns}{group}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
    )
    await consumer.start()
    done = 0
    started = 0.0
    try:
        while done < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            for records in batch.values():
                for record in records:
                    if not started:
                        started = time.perf_counter()
                    async with redis.pipeline(transaction=True) as pipe:
                        aid = record.key.decode()
                        pipe.hset(f"{ns}raw:rec:{aid}", mapping={"version": 1, "snapshot": record.value})
                        pipe.sadd(f"{ns}raw:seen:{aid}", str(record.offset))
                        await pipe.execute()
                    done += 1
            if batch:
                await consumer.commit()
        return (done - 1) / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        async for key in redis.scan_iter(match=f"{ns}raw:*", count=5000):
            await redis.delete(key)
        await redis.aclose()


class EventCounter:
    """Sum of the end offsets of the event topic, through one long-lived consumer."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        self.topic = topic
        self.partitions: list[TopicPartition] = []

    async def __aenter__(self) -> EventCounter:
        await self.consumer.start()
        cluster = await self.consumer._client.fetch_all_metadata()
        self.partitions = [
            TopicPartition(self.topic, p) for p in cluster.partitions_for_topic(self.topic) or ()
        ]
        self.consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def count(self) -> int:
        return sum((await self.consumer.end_offsets(self.partitions)).values())


async def service_run(
    bootstrap: str, redis_url: str, ns: str, total: int, env_extra: dict[str, str]
) -> float:
    """One hub-assessments process: events per second from the 10 % to the 90 % mark (start-up and
    the group's first rebalances excluded)."""
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HUB_REDIS_URL": redis_url,
        "HUB_NAMESPACE": ns,
        "HUB_LOG_LEVEL": "WARNING",
        **env_extra,
    }
    with tempfile.NamedTemporaryFile(prefix="bench-assessments-", suffix=".log", delete=False) as log:
        proc = subprocess.Popen([str(SERVICE_BIN)], env=env, stdout=log, stderr=subprocess.STDOUT)
    low, high = total // 10, total * 9 // 10
    try:
        async with EventCounter(bootstrap, ASSESSMENT_EVENTS.full_name(ns)) as counter:
            at_low: tuple[int, float] | None = None
            while True:
                n = await counter.count()
                if n >= low and at_low is None:
                    at_low = (n, time.perf_counter())
                if n >= high and at_low is not None:
                    return (n - at_low[0]) / (time.perf_counter() - at_low[1])
                if proc.poll() is not None:
                    raise RuntimeError(f"service exited: {Path(log.name).read_text()[-2000:]}")
                await asyncio.sleep(0.1)
    finally:
        stop(proc)


async def memory_per_assessment(bootstrap: str, redis_url: str, ns: str, ids: list[str]) -> dict[str, float]:
    """Complete `ids` (started, then scored) through a service process and measure their keys."""
    messages: list[tuple[str, object]] = []
    for aid in ids:
        messages.append(
            (
                CANDIDATE_ACTIVITY.full_name(ns),
                CandidateActivity(
                    activity_id=new_id("act"), assessment_id=aid, activity="started", occurred_at=utcnow()
                ),
            )
        )
    await produce(bootstrap, messages)
    await asyncio.sleep(0.5)
    await produce(
        bootstrap,
        [
            (
                SCORING_RESULTS.full_name(ns),
                ScoringResultReported(
                    result_id=new_id("res"), assessment_id=aid, reported_at=utcnow(), results=results()
                ),
            )
            for aid in ids
        ],
    )
    redis = Redis.from_url(redis_url)
    keys = AssessmentKeys(ns)
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HUB_REDIS_URL": redis_url,
        "HUB_NAMESPACE": ns,
        "HUB_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [str(SERVICE_BIN)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(600):
            done = await redis.hget(keys.record(ids[-1]), "version")
            if done and int(done) == 3:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        sizes = {"record": 0.0, "seen": 0.0}
        for aid in ids:
            sizes["record"] += await redis.memory_usage(keys.record(aid)) or 0
            sizes["seen"] += await redis.memory_usage(f"{keys.prefix}seen:{aid}") or 0
        index = keys.account_index(ACCOUNT, True)
        sizes["index share"] = (await redis.memory_usage(index, samples=0) or 0) / max(
            1, await redis.zcard(index)
        )
        snapshot = await redis.hget(keys.record(ids[0]), "snapshot")
        out = {k: v / len(ids) if k != "index share" else v for k, v in sizes.items()}
        out["snapshot json bytes"] = float(len(snapshot or b""))
        return out
    finally:
        stop(proc)
        async for key in redis.scan_iter(match=f"{ns}*", count=5000):
            await redis.delete(key)
        await redis.aclose()


def snapshot_json(aid: str, account_id: str = ACCOUNT) -> bytes:
    now = utcnow()
    return (
        AssessmentSnapshot(
            id=aid,
            account_id=account_id,
            livemode=True,
            status=AssessmentStatus.COMPLETED,
            version=3,
            candidate=Candidate(email="jane.doe@example.com", name="Jane Doe"),
            scenario_id="ma-due-diligence-v2",
            candidate_url=f"https://app.lextalent.ai/challenge/{aid[5:]}",
            created_at=now,
            updated_at=now,
            expires_at=now,
            started_at=now,
            completed_at=now,
            results=results(),
            metadata={"ats_candidate_id": "gh_123456", "req": "R-778"},
        )
        .model_dump_json()
        .encode()
    )


async def fill(redis: Redis, target: int, namespace: str, account_id: str) -> list[str]:
    """`target` completed live assessments of `account_id`, written in the read-model layout the gateway
    reads (`hub_contracts.read_model`: the record hash and the account's index entry), by
    non-transactional pipelines of 5,000."""
    keys = AssessmentKeys(namespace)
    index = keys.account_index(account_id, True)
    placeholder = "asmt_000000000000"
    template = snapshot_json(placeholder, account_id)
    created_ms = int(time.time() * 1000)
    ids: list[str] = []
    while len(ids) < target:
        async with redis.pipeline(transaction=False) as pipe:
            chunk: dict[str, int] = {}
            for _ in range(min(5000, target - len(ids))):
                aid = new_assessment_id()
                ids.append(aid)
                body = template.replace(placeholder.encode(), aid.encode()).replace(
                    placeholder[5:].encode(), aid[5:].encode()
                )
                pipe.hset(keys.record(aid), mapping={"version": 3, "snapshot": body})
                chunk[aid] = created_ms + len(ids)
            pipe.zadd(index, chunk)
            await pipe.execute()
    return ids


@dataclass
class Store:
    """One read model in database `db` of the bench's Redis: `size` assessments of one account, the
    account's live API key, and the port of the gateway process that serves it."""

    size: int
    db: int
    url: str
    client: Redis
    api_key: str = ""
    port: int = 0
    ids: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.size:>9,} stored"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def get_url(self, assessment_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/v1/assessments/{assessment_id}"


def p50_p99(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99)]


async def alternate(
    stores: list[Store], samples: int, warmup: int, one: Callable[[Store, str], Awaitable[None]]
) -> list[tuple[float, float]]:
    """p50/p99 (ms) of `one(store, random stored id)`, `samples` times per store, taking the stores in
    turn so that whatever else the machine does hits each alike; GC off while sampling."""
    for store in stores:
        for _ in range(warmup):
            await one(store, random.choice(store.ids))
    timings: list[list[float]] = [[] for _ in stores]
    gc.disable()
    try:
        for _ in range(samples):
            for store, timing in zip(stores, timings, strict=True):
                aid = random.choice(store.ids)
                t = time.perf_counter()
                await one(store, aid)
                timing.append((time.perf_counter() - t) * 1000)
    finally:
        gc.enable()
    return [p50_p99(timing) for timing in timings]


def report(stores: list[Store], figures: list[tuple[float, float]]) -> None:
    for store, (p50, p99) in zip(stores, figures, strict=True):
        print(f"  {store.label}: p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    (small_p50, small_p99), (big_p50, big_p99) = figures[0], figures[-1]
    print(
        f"  p99 difference {(big_p99 - small_p99) / small_p99 * 100:+.1f} %"
        f"  (p50 {(big_p50 - small_p50) / small_p50 * 100:+.1f} %; big vs small, target within 20 %)"
    )


async def seed_store(store: Store, namespace: str) -> None:
    """An Enterprise account with a live key (as the gateway's CLI makes them), then its assessments."""
    admin = AccountAdmin(store.client, API_KEY_SECRET, namespace)
    account = await admin.create_account("Bench LLP", Plan.ENTERPRISE, rate_limit_per_minute=100_000)
    store.api_key, _ = await admin.create_key(account.id, "live")
    store.ids = await fill(store.client, store.size, namespace, account.id)


async def read_latency(
    bootstrap: str, namespace: str, small: int, big: int, samples: int, http_samples: int
) -> None:
    """Part 3: a Redis started for this holds `small` assessments in database 0 and `big` in database 1;
    one `hub-gateway` process serves each database. Raw HGET first (baseline), then the endpoint."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-read-latency-"))
    server = brokers.start_redis(workdir / "redis")
    base = server.address.rsplit("/", 1)[0]
    stores = [
        Store(size, db, f"{base}/{db}", Redis.from_url(f"{base}/{db}"), port=brokers.free_port())
        for db, size in enumerate((small, big))
    ]
    group = ServiceGroup(
        {
            "HUB_KAFKA_BOOTSTRAP_SERVERS": bootstrap,  # the gateway's producer connects; reads never use it
            "HUB_NAMESPACE": namespace,
            "HUB_API_KEY_SECRET": API_KEY_SECRET,
            "HUB_LOG_LEVEL": "WARNING",
        },
        workdir / "logs",
    )
    try:
        for store in stores:
            group.start("gateway", {"HUB_REDIS_URL": store.url, "HUB_HTTP_PORT": str(store.port)}, f"-db{store.db}")
        started = time.perf_counter()
        for store in stores:
            await seed_store(store, namespace)
        print(f"  seeded {small:,} + {big:,} assessments in {time.perf_counter() - started:.0f} s")
        for store in stores:
            await asyncio.to_thread(wait_http_ok, f"http://127.0.0.1:{store.port}/healthz", 60, group)
        await asyncio.sleep(2)  # let incremental rehashing settle
        used = (await stores[-1].client.info("memory"))["used_memory"]
        print(f"  Redis used_memory {used / 2**20:,.0f} MiB")

        keys = AssessmentKeys(namespace)

        async def hget(store: Store, aid: str) -> None:
            await store.client.hget(keys.record(aid), "snapshot")

        print(f"HGET snapshot (baseline: Redis alone), {samples:,} samples per size:")
        report(stores, await alternate(stores, samples, 2000, hget))

        # One client, sequential requests, one kept-alive connection per gateway.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit_per_host=1)) as session:

            async def get(store: Store, aid: str) -> None:
                url = store.get_url(aid)
                async with session.get(url, headers=store.auth) as response:
                    body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {url}: {response.status} {body[:500]!r}")

            for store in stores:  # the tenant check passes and the body is the stored assessment
                aid = store.ids[0]
                url = store.get_url(aid)
                async with session.get(url, headers=store.auth) as response:
                    view = orjson.loads(await response.read())
                if response.status != 200 or view.get("id") != aid or view.get("status") != "completed":
                    raise RuntimeError(f"GET {url}: {response.status} {view}")

            print(f"GET /v1/assessments/{{id}} (hub-gateway, HTTP, Bearer key), {http_samples:,} samples per size:")
            report(stores, await alternate(stores, http_samples, 500, get))
        group.check_alive()
    finally:
        group.stop_all()
        for store in stores:
            await store.client.aclose()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def run(args: argparse.Namespace, bootstrap: str, redis_url: str) -> None:
    skip = set(args.skip.split(","))
    ns = f"bench{uuid.uuid4().hex[:8]}."
    if not {"throughput", "memory"} <= skip:
        await create_topics(bootstrap, ns)
    commands = ASSESSMENT_COMMANDS.full_name(ns)
    creates = [create() for _ in range(args.messages)]
    if "throughput" not in skip:
        await produce(bootstrap, [(commands, c) for c in creates])
        # raw before and after the service, so that a neighbour's load hits both sides alike
        raw1 = await raw_baseline(bootstrap, redis_url, commands, args.messages, ns, "raw1")
        svc = await service_run(bootstrap, redis_url, ns, args.messages, {})
        raw2 = await raw_baseline(bootstrap, redis_url, commands, args.messages, ns, "raw2")
        raw = (raw1 + raw2) / 2
        print(f"raw aiokafka + 1 Redis pipeline/msg: {raw1:,.0f} / {raw2:,.0f} msg/s (before / after)")
        print(f"hub-assessments (1 process):        {svc:,.0f} commands/s  ratio {svc / raw:.2f}")
    if "memory" not in skip:
        ids = [c.assessment_id for c in creates[:2000]]
        if "throughput" in skip:
            await produce(bootstrap, [(commands, c) for c in creates[:2000]])
        sizes = await memory_per_assessment(bootstrap, redis_url, ns, ids)
        print("memory per completed assessment:", {k: round(v) for k, v in sizes.items()})
    if "latency" not in skip:
        print(f"read latency, 10,000 vs {args.big:,} stored:")
        await read_latency(bootstrap, ns, 10_000, args.big, args.samples, args.http_samples)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=20_000, help="HGET samples per size")
    parser.add_argument("--http-samples", type=int, default=5_000, help="GET /v1/assessments/{id} samples per size")
    parser.add_argument("--skip", default="", help="comma list of: throughput,memory,latency")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-assessments-"))
    started: list[brokers.BrokerProcess] = []
    try:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap is None:
            kafka = brokers.start_apache_kafka(work / "kafka")
            started.append(kafka)
            bootstrap = kafka.address
            await wait_for_kafka(bootstrap)
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url and not {"throughput", "memory"} <= skip:
            redis = brokers.start_redis(work / "redis")
            started.append(redis)
            redis_url = redis.address
        await run(args, bootstrap, redis_url)
    finally:
        for broker in started:
            broker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
