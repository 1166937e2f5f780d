"""Settings of the webhooks service (`HUB_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from hub_contracts.runtime import ServiceSettings

# The Standard Webhooks / Svix schedule (immediate, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 27.5 h),
# continued with two daily attempts so that a receiver down over a weekend still gets its messages: ~3.1 days.
DEFAULT_RETRY_SCHEDULE_S: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400)


class WebhooksSettings(ServiceSettings):
    group_id: str = "webhooks"
    http_host: str = "0.0.0.0"
    http_port: int = 8082
    internal_token: str = "dev-internal-token"  # noqa: S105 (the documented development default)

    # SSRF: off by default; development and tests name their loopback receivers explicitly.
    allow_private_targets: bool = Field(
        default=False, description="Allow every non-public address (only for a closed development network)"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names, IPs or CIDR networks allowed although not public (e.g. 127.0.0.1)",
    )
    require_https: bool = Field(
        default=False, description="Refuse http:// targets (production should set true)"
    )

    # Retries: delay before each attempt (the first is immediate), with additive jitter.
    retry_schedule_s: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE_S))
    jitter_fraction: float = 0.1
    overload_floor_s: float = Field(default=60.0, description="Minimum delay after a timeout or a 429")
    retry_after_max_s: float = Field(default=6 * 3600, description="Upper bound on an honoured Retry-After")

    # Outbound HTTP
    connect_timeout_s: float = 5.0
    total_timeout_s: float = 15.0
    response_body_cap_bytes: int = 4096
    user_agent: str = "LexTalent-Webhooks/1.0"

    # Dispatch
    delivery_concurrency: int = Field(default=128, description="In-flight attempts per worker process")
    claim_batch: int = 64
    claimers: int = Field(default=4, description="Concurrent claim loops (each claims up to claim_batch)")
    poll_interval_s: float = 0.05
    lease_s: float = Field(default=45.0, description="Longer than total_timeout_s plus margin")
    reap_interval_s: float = 1.0
    defer_ms: int = Field(
        default=250, description="How often a destination probed by its breaker is looked at again"
    )

    # Per destination isolation
    endpoint_max_concurrency: int = 16
    endpoint_rate_per_s: float = 200.0
    endpoint_burst: float = 200.0
    breaker_failure_threshold: int = 5
    breaker_cooldown_s: float = 30.0

    # Secrets
    rotation_grace_default_s: int = 24 * 3600
    rotation_grace_max_s: int = 7 * 24 * 3600
    secret_cache_s: float = 1.0

    event_dedupe_ttl_s: int = 30 * 24 * 3600
    delivery_retention_s: int = Field(
        default=30 * 24 * 3600, description="How long finished deliveries are kept"
    )
    consumer_batch: int = 200
    consumer_batch_timeout_ms: int = Field(
        default=5,
        description="How long one poll waits for records; FastStream sleeps as long again after an empty poll, "
        "so this is also the most an event arriving at an idle consumer waits",
    )
    gc_gen0_threshold: int = Field(
        default=100_000, description="Allocations between young-generation collections (0: Python's default)"
    )
