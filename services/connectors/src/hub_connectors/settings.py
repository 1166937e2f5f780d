"""Settings of the connectors service (`HUB_*` environment variables).

Vendor-specific deployment settings (base URLs, OAuth client ids) live in each connector's own
settings class with the prefix `HUB_<CONNECTOR>_` (see `framework.connector.ConnectorBase`).
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from hub_contracts.runtime import ServiceSettings


class ConnectorsSettings(ServiceSettings):
    http_host: str = "127.0.0.1"
    http_port: int = 8083
    internal_token: SecretStr = SecretStr("dev-internal-token")
    api_key_secret: SecretStr = Field(
        default=SecretStr("dev-api-key-secret"),
        description="Server secret of the API key hash (the gateway's; see hub_contracts.accounts)",
    )
    credentials_keys: SecretStr = Field(
        default=SecretStr("ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM="),
        description="Comma-separated Fernet keys: the first encrypts, all decrypt (rotate: prepend one)",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8083",
        description="Where vendors reach this service (shown to customers as their inbound URLs)",
    )
    candidate_app_base_url: str = "https://app.lextalent.ai/challenge/"
    assessment_ttl_days: int = 7
    default_scenario_id: str = "ma-due-diligence-v2"
    outbound_timeout_s: float = 10.0
    retry_initial_s: float = 1.0
    retry_max_s: float = 300.0
    retry_budget_s: float = Field(
        default=6 * 3600.0,
        description="How long one event is retried against a failing vendor before it is dead-lettered",
    )
    unexpected_error_retries: int = 3
    error_history: int = 50
