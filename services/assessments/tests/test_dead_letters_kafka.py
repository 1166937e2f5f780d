"""Dead letters: poison, an unknown type, an invalid payload and an unknown assessment each go to
the dead-letter topic with the reason in headers, without blocking their partition; `dlq list`
shows them and `dlq replay` sends a chosen one back, which then applies."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import orjson
import pytest
from assessments_helpers import (
    SERVICE_BIN,
    Producer,
    ServiceProcess,
    all_at_version,
    create_command,
    read_topic,
    scored,
    started,
    wait_ready,
    wait_until,
)
from redis.asyncio import Redis

from hub_contracts.ids import new_assessment_id
from hub_contracts.topics import ASSESSMENT_COMMANDS, CANDIDATE_ACTIVITY, SCORING_RESULTS, dead_letter_topic

pytestmark = pytest.mark.kafka


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(SERVICE_BIN), *args],
        env={**os.environ, **env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_bad_input_is_dead_lettered_listed_and_replayed(
    kafka_bootstrap: str,
    topics: str,
    redis: Redis,
    producer: Producer,
    services: Callable[..., ServiceProcess],
    hub_env: dict[str, str],
) -> None:
    service = services("dlq-a")
    await wait_ready(redis, topics, producer, service)
    orphan = new_assessment_id()
    good = create_command()
    bad_score = orjson.loads(scored(good.assessment_id).to_json())
    bad_score["results"]["overall_score"] = 150
    await producer.send_raw(
        SCORING_RESULTS, good.assessment_id, b"not json", "ai.lextalent.scoring.result.v1"
    )
    await producer.send_raw(
        ASSESSMENT_COMMANDS,
        good.assessment_id,
        orjson.dumps({"type": "ai.lextalent.command.assessment.delete.v1"}),
        "ai.lextalent.command.assessment.delete.v1",
    )
    await producer.send_raw(
        SCORING_RESULTS, good.assessment_id, orjson.dumps(bad_score), "ai.lextalent.scoring.result.v1"
    )
    activity = started(orphan)
    await producer.send_many([activity])
    await producer.send_many([good])  # behind the poison on its partitions: not blocked
    await wait_until(lambda: all_at_version(redis, topics, [good.assessment_id], 1), 30, "the good create")
    dlq = dead_letter_topic("assessments").full_name(topics)

    async def four() -> bool:
        return len(await read_topic(kafka_bootstrap, dlq)) >= 4

    await wait_until(four, 30, "four dead letters")
    letters = await read_topic(kafka_bootstrap, dlq)
    reasons = {
        r.headers["x-dlq-topic"].decode().removeprefix(topics): r.headers["x-dlq-reason"].decode()
        for r in letters
        if r.headers["x-dlq-topic"].decode().endswith("activity.v1")
    }
    assert reasons["lextalent.candidate.activity.v1"].startswith("unknown_assessment")
    by_reason = sorted(r.headers["x-dlq-reason"].decode()[:40] for r in letters)
    assert any(r.startswith("invalid message") for r in by_reason)
    assert sum("overall_score" in r.headers["x-dlq-reason"].decode() for r in letters) == 1
    assert len(letters) == 4
    for record in letters:
        assert record.headers["x-dlq-group"] == b"assessments"
        assert record.headers["x-dlq-offset"].isdigit()
    orphan_letter = next(r for r in letters if r.key == orphan.encode())
    assert orphan_letter.headers["x-dlq-attempts"] == b"1"  # applied once, refused: not_found
    assert {int(r.headers["x-dlq-attempts"]) for r in letters if r is not orphan_letter} == {0}  # undecodable

    listing = cli(hub_env, "dlq", "list")
    assert "4 dead letters" in listing
    assert orphan in listing
    assert "unknown_assessment" in listing

    # the assessment is created after all; replaying its dead-lettered activity now applies it
    await producer.send_many(
        [
            create_command(
                assessment_id=orphan, candidate_url=f"https://app.lextalent.ai/challenge/{orphan[5:]}"
            )
        ]
    )
    await wait_until(lambda: all_at_version(redis, topics, [orphan], 1), 30, "the late create")
    replayed = cli(hub_env, "dlq", "replay", f"{orphan_letter.partition}:{orphan_letter.offset}")
    assert "replayed 1 dead letters" in replayed
    await wait_until(lambda: all_at_version(redis, topics, [orphan], 2), 30, "the replayed activity")
    activity_records = await read_topic(kafka_bootstrap, CANDIDATE_ACTIVITY.full_name(topics))
    assert any(dict(r.headers).get("x-dlq-replayed-from") for r in activity_records)
