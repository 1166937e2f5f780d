"""Helpers of the assessments tests: inputs, producing them in bulk, service processes, reading back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from hub_contracts.activity import CandidateActivity
from hub_contracts.assessment import Candidate
from hub_contracts.base import ContractModel, new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CancelAssessment, CreateAssessment, ExtendAssessment
from hub_contracts.ids import new_assessment_id
from hub_contracts.read_model import AssessmentKeys
from hub_contracts.results import AgenticReadinessResults, DimensionScore, band_for
from hub_contracts.scoring import ScoringResultReported
from hub_contracts.topics import (
    ASSESSMENT_COMMANDS,
    ASSESSMENT_EVENTS,
    CANDIDATE_ACTIVITY,
    SCORING_RESULTS,
    TopicSpec,
)

ACCOUNT = "acct_TestAccount01"
SERVICE_BIN = Path(sys.executable).parent / "hub-assessments"


def size_from_env(name: str, default: int) -> int:
    """Test sizes: the issue's figure by default, smaller through an env var on a slow machine."""
    return int(os.environ.get(name, default))


def create_command(expires_at: datetime | None = None, **overrides: object) -> CreateAssessment:
    now = utcnow()
    aid = new_assessment_id()
    fields: dict[str, object] = {
        "command_id": new_id("cmd"),
        "assessment_id": aid,
        "account_id": ACCOUNT,
        "livemode": True,
        "issued_at": now,
        "candidate": Candidate(email="jane@example.com", name="Jane Doe"),
        "scenario_id": "ma-due-diligence-v2",
        "candidate_url": f"https://app.lextalent.ai/challenge/{aid[5:]}",
        "created_at": now,
        "expires_at": expires_at or now + timedelta(days=7),
    }
    fields.update(overrides)
    return CreateAssessment.model_validate(fields)


def started(aid: str) -> CandidateActivity:
    return CandidateActivity(
        activity_id=new_id("act"), assessment_id=aid, activity="started", occurred_at=utcnow()
    )


def opened(aid: str) -> CandidateActivity:
    return CandidateActivity(
        activity_id=new_id("act"), assessment_id=aid, activity="opened", occurred_at=utcnow()
    )


def results(score: int = 82) -> AgenticReadinessResults:
    return AgenticReadinessResults(
        overall_score=score,
        band=band_for(score),
        dimensions=(DimensionScore(key="verification", name="Verification", score=score),),
        percentile=71.5,
        report_url="https://app.lextalent.ai/reports/x",
        duration_seconds=3120,
        completed_at=utcnow(),
    )


def scored(aid: str, score: int = 82) -> ScoringResultReported:
    return ScoringResultReported(
        result_id=new_id("res"), assessment_id=aid, reported_at=utcnow(), results=results(score)
    )


def cancel(aid: str) -> CancelAssessment:
    return CancelAssessment(
        command_id=new_id("cmd"),
        assessment_id=aid,
        account_id=ACCOUNT,
        livemode=True,
        issued_at=utcnow(),
        reason="position filled",
    )


def extend(aid: str, expires_at: datetime) -> ExtendAssessment:
    return ExtendAssessment(
        command_id=new_id("cmd"),
        assessment_id=aid,
        account_id=ACCOUNT,
        livemode=True,
        issued_at=utcnow(),
        expires_at=expires_at,
    )


def topic_of(message: ContractModel) -> TopicSpec:
    if isinstance(message, CandidateActivity):
        return CANDIDATE_ACTIVITY
    if isinstance(message, ScoringResultReported):
        return SCORING_RESULTS
    return ASSESSMENT_COMMANDS


def message_key_id(message: Any) -> str:
    for name in ("command_id", "activity_id", "result_id"):
        if hasattr(message, name):
            return str(getattr(message, name))
    raise TypeError(type(message).__name__)


class Producer:
    """Sends contract messages (or raw bytes) to the test's topics with CloudEvents headers."""

    def __init__(self, bootstrap: str, namespace: str) -> None:
        self.namespace = namespace
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=256 * 1024,
        )

    async def __aenter__(self) -> Producer:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def send_many(self, messages: list[Any]) -> None:
        futures = []
        for message in messages:
            aid = message.assessment_id
            headers = make_headers(
                id=message_key_id(message), type=message.type, source="//tests", subject=aid
            )
            futures.append(
                await self.producer.send(
                    topic_of(message).full_name(self.namespace),
                    message.to_json(),
                    key=aid.encode(),
                    headers=headers,
                )
            )
        await asyncio.gather(*futures)

    async def send_raw(self, spec: TopicSpec, key: str, body: bytes, ce_type: str) -> None:
        headers = make_headers(id=new_id("raw"), type=ce_type, source="//tests", subject=key)
        await self.producer.send_and_wait(
            spec.full_name(self.namespace), body, key=key.encode(), headers=headers
        )


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    headers: dict[str, bytes]
    value: bytes

    def json(self) -> Any:
        return orjson.loads(self.value)


async def read_topic(bootstrap: str, topic: str) -> list[Record]:
    """Every record of a topic, from the beginning to the end offsets of now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer.topics()
            cluster = await consumer._client.fetch_all_metadata()
            partitions = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        todo = {tp for tp in partitions if ends[tp] > 0}
        out: list[Record] = []
        if not todo:
            return out
        consumer.assign(list(todo))
        await consumer.seek_to_beginning(*todo)
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000, max_records=5000)
            for records in batch.values():
                out.extend(
                    Record(r.topic, r.partition, r.offset, r.timestamp, r.key, dict(r.headers), r.value)
                    for r in records
                )
            for tp in list(todo):
                if await consumer.position(tp) >= ends[tp]:
                    todo.discard(tp)
        return out
    finally:
        await consumer.stop()


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout_s: float, what: str, interval_s: float = 0.25
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(interval_s)


async def versions(redis: Redis, namespace: str, ids: list[str]) -> list[int]:
    keys = AssessmentKeys(namespace)
    out: list[int] = []
    for start in range(0, len(ids), 2000):
        async with redis.pipeline(transaction=False) as pipe:
            for aid in ids[start : start + 2000]:
                pipe.hget(keys.record(aid), "version")
            out.extend(int(v) if v is not None else 0 for v in await pipe.execute())
    return out


async def all_at_version(redis: Redis, namespace: str, ids: list[str], version: int) -> bool:
    return all(v >= version for v in await versions(redis, namespace, ids))


async def dump_store(redis: Redis, namespace: str, replies: bool = False) -> dict[str, Any]:
    """Every key of the assessments store, by type; command outcomes (replies to callers, not state)
    only when asked for."""
    prefix = AssessmentKeys(namespace).prefix
    out: dict[str, Any] = {}
    async for raw_key in redis.scan_iter(match=f"{prefix}*", count=5000):
        key = raw_key.decode()
        if not replies and key.startswith((f"{prefix}cmd:", f"{prefix}cmd-notify:")):
            continue
        kind = (await redis.type(key)).decode()
        if kind == "hash":
            out[key] = await redis.hgetall(key)
        elif kind == "zset":
            out[key] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            out[key] = await redis.smembers(key)
        elif kind == "list":
            out[key] = await redis.lrange(key, 0, -1)
        else:
            out[key] = await redis.get(key)
    return out


@dataclass
class ServiceProcess:
    """One `hub-assessments` process with its own instance id and log file."""

    env: dict[str, str]
    instance_id: str
    log_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        self.starts += 1
        log = self.log_dir / f"{self.instance_id}-{self.starts}.log"
        self.logs.append(log)
        env = {**os.environ, **self.env, "HUB_INSTANCE_ID": self.instance_id}
        self.proc = subprocess.Popen(
            [str(SERVICE_BIN)],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def started_up(self) -> bool:
        return bool(self.logs) and "app started successfully" in self.logs[-1].read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 40) -> str:
        return "\n".join("\n".join(p.read_text(errors="replace").splitlines()[-n:]) for p in self.logs[-2:])


SERVICE_ENV = {
    "HUB_STATIC_MEMBERSHIP": "true",
    "HUB_SESSION_TIMEOUT_MS": "6000",
    "HUB_LOG_LEVEL": "WARNING",
    "HUB_OUTBOX_LEASE_S": "6",
    "HUB_OUTBOX_PUBLISH_TIMEOUT_S": "2",
    "HUB_OUTBOX_STALE_AFTER_S": "2",
    "HUB_OUTBOX_SWEEP_INTERVAL_S": "1",
}


async def wait_ready(redis: Redis, namespace: str, producer: Producer, *processes: ServiceProcess) -> None:
    """Every process started and the group settled: a probe assessment goes through."""

    async def all_started() -> bool:
        return all(p.started_up() for p in processes)

    await wait_until(all_started, 30, "the service processes to start")
    probe = create_command()
    await producer.send_many([probe])
    await wait_until(
        lambda: all_at_version(redis, namespace, [probe.assessment_id], 1), 30, "a probe assessment"
    )


@pytest.fixture
def services(hub_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """A factory of service processes on this test's namespace; all are stopped at the end."""
    started_: list[ServiceProcess] = []

    def make(instance_id: str, **env: str) -> ServiceProcess:
        process = ServiceProcess({**hub_env, **SERVICE_ENV, **env}, instance_id, tmp_path)
        process.start()
        started_.append(process)
        return process

    yield make
    for process in started_:
        process.stop()


@pytest.fixture
async def producer(kafka_bootstrap: str, topics: str) -> AsyncIterator[Producer]:
    async with Producer(kafka_bootstrap, topics) as p:
        yield p


def diff_stores(before: dict[str, Any], after: dict[str, Any], limit: int = 10) -> list[str]:
    """Field-by-field differences of two `dump_store` results (empty when equal)."""
    problems: list[str] = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            problems.append(f"{key}: missing after")
        elif key not in before:
            problems.append(f"{key}: new after")
        elif isinstance(before[key], dict):
            for field_ in sorted(set(before[key]) | set(after[key])):
                if before[key].get(field_) != after[key].get(field_):
                    problems.append(
                        f"{key}[{field_!r}]: {before[key].get(field_)!r} != {after[key].get(field_)!r}"
                    )
        elif before[key] != after[key]:
            problems.append(f"{key}: {before[key]!r} != {after[key]!r}")
        if len(problems) >= limit:
            break
    return problems


async def run_in_phases(
    producer: Producer,
    redis: Redis,
    namespace: str,
    phases: list[tuple[list[Any], int]],
    ids: list[str],
    timeout_s: float,
) -> None:
    """Send each phase's inputs, then wait until every assessment reached that phase's version."""
    for messages, version in phases:
        await producer.send_many(messages)
        await wait_until(
            lambda v=version: all_at_version(redis, namespace, ids, v),
            timeout_s,  # type: ignore[misc]
            f"every assessment at version {version}",
            interval_s=0.5,
        )


def events_topic(namespace: str) -> str:
    return ASSESSMENT_EVENTS.full_name(namespace)
