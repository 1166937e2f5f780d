"""Settings of the assessments service (`HUB_*` environment variables)."""

from __future__ import annotations

from hub_contracts.runtime import ServiceSettings


class AssessmentsSettings(ServiceSettings):
    group_id: str = "assessments"
    expiry_poll_interval_s: float = 0.5
    expiry_lease_s: float = 30.0
    outbox_sweep_interval_s: float = 5.0
    outbox_stale_after_s: float = 10.0
    transient_retries: int = 5
    transient_backoff_s: float = 0.2
