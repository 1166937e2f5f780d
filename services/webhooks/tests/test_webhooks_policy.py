"""The retry policy as a pure function (the Kafka tests drive the same policy end to end)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hub_webhooks.policy import AttemptResult, RetryPolicy, decide, parse_retry_after
from hub_webhooks.settings import DEFAULT_RETRY_SCHEDULE_S

NOW = datetime(2026, 3, 2, tzinfo=UTC)
POLICY = RetryPolicy(schedule_s=DEFAULT_RETRY_SCHEDULE_S)


def failed(code: int | None = 500, kind: str | None = None, retry_after: str | None = None) -> AttemptResult:
    return AttemptResult(status_code=code, latency_ms=1.0, error_kind=kind, retry_after=retry_after)  # type: ignore[arg-type]


def test_schedule_is_the_reference_one() -> None:
    assert list(DEFAULT_RETRY_SCHEDULE_S) == [0, 5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400]
    assert 2.9 * 86400 < sum(DEFAULT_RETRY_SCHEDULE_S) < 3.3 * 86400  # "retried for about 3 days"


@pytest.mark.parametrize("attempt", range(1, 8))
def test_jitter_never_early_and_bounded(attempt: int) -> None:
    rng = random.Random(attempt)
    base = DEFAULT_RETRY_SCHEDULE_S[attempt]
    for _ in range(200):
        d = decide(POLICY, failed(500), attempt, manual=False, now=NOW, rng=rng)
        assert d.outcome == "retry"
        assert d.delay_s is not None
        assert base <= d.delay_s <= base * 1.1


def test_last_attempt_is_dead() -> None:
    last = len(DEFAULT_RETRY_SCHEDULE_S)
    assert decide(POLICY, failed(500), last - 1, manual=False, now=NOW).outcome == "retry"
    assert decide(POLICY, failed(500), last, manual=False, now=NOW).outcome == "dead"


@pytest.mark.parametrize("code", [200, 201, 202, 204, 299])
def test_2xx_succeeds(code: int) -> None:
    d = decide(POLICY, failed(code), 1, manual=False, now=NOW)
    assert (d.outcome, d.breaker) == ("succeeded", "ok")


@pytest.mark.parametrize("code", [301, 302, 307, 308, 400, 401, 404, 500, 502, 504])
def test_everything_else_fails(code: int) -> None:
    assert decide(POLICY, failed(code), 1, manual=False, now=NOW).outcome == "retry"


def test_410_disables_and_blocked_and_manual_are_final() -> None:
    gone = decide(POLICY, failed(410), 1, manual=False, now=NOW)
    assert (gone.outcome, gone.disable_endpoint) == ("dead", True)
    assert decide(POLICY, failed(None, "blocked"), 1, manual=False, now=NOW).outcome == "dead"
    assert decide(POLICY, failed(500), 1, manual=True, now=NOW).outcome == "dead"


def test_overload_floor_after_timeout_and_429() -> None:
    for result in (failed(None, "timeout"), failed(429)):
        d = decide(POLICY, result, 1, manual=False, now=NOW)
        assert d.delay_s is not None
        assert d.delay_s >= 60


def test_retry_after_only_lengthens_and_is_capped() -> None:
    short = decide(POLICY, failed(503, retry_after="1"), 2, manual=False, now=NOW)
    assert short.delay_s is not None
    assert short.delay_s >= 300
    long = decide(POLICY, failed(429, retry_after="4000"), 2, manual=False, now=NOW)
    assert long.delay_s == pytest.approx(4000)
    huge = decide(POLICY, failed(503, retry_after=str(10**7)), 1, manual=False, now=NOW)
    assert huge.delay_s == POLICY.retry_after_max_s
    ignored = decide(POLICY, failed(500, retry_after="4000"), 1, manual=False, now=NOW)
    assert ignored.delay_s is not None
    assert ignored.delay_s < 10


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(format_datetime(NOW + timedelta(hours=2), usegmt=True), NOW) == 7200
    assert parse_retry_after(format_datetime(NOW - timedelta(hours=2), usegmt=True), NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
