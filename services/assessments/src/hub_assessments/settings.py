"""Settings of the assessments service (`HUB_*` environment variables)."""

from __future__ import annotations

import os
import socket

from pydantic import Field

from hub_contracts.runtime import ServiceSettings


def default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class AssessmentsSettings(ServiceSettings):
    group_id: str = "assessments"
    instance_id: str = Field(
        default_factory=default_instance_id,
        description="Names this instance in publish-lock tokens and logs",
    )
    static_membership: bool = Field(
        default=False,
        description="Join the consumer group with group.instance.id derived from instance_id (KIP-345): "
        "a restarted instance with the same id gets its partitions back without a rebalance. "
        "Only with an instance_id that is stable across restarts and unique per instance.",
    )
    session_timeout_ms: int = Field(default=10_000, description="Kafka consumer session timeout")
    batch_max_records: int = Field(default=500, description="Records per consumed batch (per input topic)")
    batch_timeout_ms: int = Field(
        default=5,
        description="How long one poll waits for records (it returns as soon as any are there); FastStream "
        "sleeps as long again after an empty poll, so this is also the most a command arriving at an idle "
        "consumer waits",
    )
    batch_concurrency: int = Field(default=64, description="Assessments of one batch processed side by side")
    gc_gen0_threshold: int = Field(
        default=100_000, description="Allocations between young-generation collections (0: Python's default)"
    )
    redis_max_connections: int = Field(
        default=48, description="Redis pool size (handlers wait for a connection)"
    )
    producer_linger_ms: int = Field(
        default=5, description="Event producer linger (batches sends to a partition)"
    )
    producer_max_batch_bytes: int = Field(
        default=512 * 1024,
        description="Event producer batch size: aiokafka has one request in flight per partition, so a "
        "batch of 16 KB (the default) caps events at ~8 per partition round trip",
    )
    expiry_poll_interval_s: float = 0.5
    expiry_lease_s: float = 30.0
    expiry_concurrency: int = 64
    outbox_sweep_interval_s: float = 2.0
    outbox_stale_after_s: float = Field(default=3.0, description="Age at which the sweeper takes an entry")
    outbox_lease_s: float = Field(default=10.0, description="Publish lock of one assessment's outbox")
    outbox_publish_timeout_s: float = Field(
        default=3.0, description="Bound of one event send; a send starts only with this + 1 s of lease left"
    )
    outbox_scan_margin_s: float = Field(
        default=60.0,
        description="Clock skew allowed when looking up possibly published events by timestamp",
    )
    transient_retries: int = 5
    transient_backoff_s: float = 0.2
