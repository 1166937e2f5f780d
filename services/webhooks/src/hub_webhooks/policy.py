"""The retry policy, pure: from one attempt's result to what happens next.

- 2xx is success; everything else, 3xx included (redirects are never followed), is a failure.
- 410 Gone: the message is dead and the endpoint is disabled.
- A refused target (SSRF) is dead at once: retrying cannot make a private address public.
- Manual redeliveries never cascade into further retries.
- Otherwise the next attempt waits for the schedule's next delay plus additive jitter (never early);
  after a timeout or a 429 at least `overload_floor_s`; a 429/503 `Retry-After` can lengthen the
  delay up to `retry_after_max_s`, never shorten it. After the last scheduled attempt: dead.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

Outcome = Literal["succeeded", "retry", "dead"]
BreakerSignal = Literal["ok", "fail", "none"]
ErrorKind = Literal["timeout", "connect", "blocked", "reset", "other"]


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    latency_ms: float
    error_kind: ErrorKind | None = None
    error: str = ""
    retry_after: str | None = None
    response_excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class RetryPolicy:
    schedule_s: Sequence[float]
    jitter_fraction: float = 0.1
    overload_floor_s: float = 60.0
    retry_after_max_s: float = 6 * 3600

    @property
    def max_attempts(self) -> int:
        return len(self.schedule_s)

    def base_delay_s(self, attempts_made: int) -> float:
        """The scheduled delay before attempt number `attempts_made + 1`."""
        return float(self.schedule_s[attempts_made])

    def jittered(self, delay_s: float, rng: random.Random | None = None) -> float:
        spread = delay_s * self.jitter_fraction
        return delay_s + (rng or random).uniform(0, spread) if spread > 0 else delay_s


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    delay_s: float | None
    breaker: BreakerSignal
    disable_endpoint: bool = False
    reason: str = ""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP-date; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def decide(
    policy: RetryPolicy,
    result: AttemptResult,
    attempt: int,
    *,
    manual: bool,
    now: datetime,
    rng: random.Random | None = None,
) -> Decision:
    """`attempt` is the number of the attempt just made (1 for the first)."""
    if result.ok:
        return Decision("succeeded", None, "ok")
    if result.status_code == 410:
        return Decision("dead", None, "none", disable_endpoint=True, reason="410 Gone: endpoint disabled")
    if result.error_kind == "blocked":
        return Decision("dead", None, "none", reason=result.error)
    if manual:
        return Decision("dead", None, "fail", reason="manual redelivery failed")
    if attempt >= policy.max_attempts:
        return Decision("dead", None, "fail", reason=f"gave up after {attempt} attempts")
    delay = policy.jittered(policy.base_delay_s(attempt), rng)
    if result.error_kind == "timeout" or result.status_code == 429:
        delay = max(delay, policy.overload_floor_s)
    if result.status_code in (429, 503):
        hinted = parse_retry_after(result.retry_after, now)
        if hinted is not None:
            delay = max(delay, min(hinted, policy.retry_after_max_s))
    return Decision("retry", delay, "fail")
