"""`hub dlq` lists and replays the dead letters of any consumer group (one shared record format)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from hub_contracts.dead_letters import REPLAYED_FROM, dead_letter_headers
from hub_contracts.topics import ASSESSMENT_EVENTS, dead_letter_topic

pytestmark = pytest.mark.kafka


def hub(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run([str(Path(sys.executable).parent / "hub"), *args], env={**os.environ, **env},
                          capture_output=True, text=True, check=True, timeout=60).stdout


async def test_list_and_replay_a_connector_dead_letter(kafka_bootstrap: str, topics: str,
                                                       hub_env: dict[str, str]) -> None:
    source = ASSESSMENT_EVENTS.full_name(topics)
    record = SimpleNamespace(topic=source, partition=2, offset=41)
    headers = dead_letter_headers(record, {"ce_id": "evt_poison1", "ce_type": "ai.lextalent.x.v1"},
                                  "connectors.lever", "Lever answered 404 for opportunity opp_1", attempts=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(dead_letter_topic("connectors.lever").full_name(topics), b'{"x": 1}',
                                     key=b"asmt_ABCDEFGHIJKL", headers=[(k, v.encode()) for k, v in headers.items()])
    finally:
        await producer.stop()
    listed = await asyncio.to_thread(hub, ["dlq", "list", "connectors.lever"], hub_env)
    letter_id = listed.split("\t", 1)[0]
    assert letter_id.count(":") == 1
    assert "Lever answered 404" in listed
    assert f"{source}[2]@41" in listed
    replayed = await asyncio.to_thread(hub, ["dlq", "replay", "connectors.lever", letter_id], hub_env)
    assert "replayed 1" in replayed
    consumer = AIOKafkaConsumer(source, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()
    records = [r for rs in batch.values() for r in rs]
    assert len(records) == 1
    back = dict(records[0].headers)
    assert records[0].key == b"asmt_ABCDEFGHIJKL"
    assert records[0].value == b'{"x": 1}'
    assert back["ce_id"] == b"evt_poison1"
    assert REPLAYED_FROM in back or not any(k.startswith("x-dlq-reason") for k in back)
