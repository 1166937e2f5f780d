"""Settings of the gateway (`HUB_*` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from hub_contracts.runtime import ServiceSettings


class GatewaySettings(ServiceSettings):
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_base_url: str = "https://api.lextalent.ai"
    candidate_app_url: str = "https://app.lextalent.ai/challenge/"
    api_key_secret: SecretStr = Field(
        default=SecretStr("dev-api-key-secret-change-me"),
        description="Server secret of the keyed hash under which API keys are stored",
    )
    key_cache_ttl_s: float = Field(
        default=5.0, description="How long an instance trusts a looked-up key: the bound on revocation delay"
    )
    default_rate_limit_per_minute: int = 100
    idempotency_ttl_s: int = 24 * 3600
    pending_record_ttl_s: int = 3600
    command_wait_s: float = Field(default=5.0, description="How long cancel/extend wait for the outcome")
    max_body_bytes: int = 64 * 1024
    allow_http_loopback_callbacks: bool = Field(
        default=False, description="Development only: accept http://127.0.0.1 / localhost callback URLs"
    )
    internal_token: SecretStr = SecretStr("dev-internal-token")
    webhooks_internal_url: str = "http://127.0.0.1:8082"
    connectors_internal_url: str = "http://127.0.0.1:8083"
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    gc_gen0_threshold: int = Field(
        default=100_000, description="Allocations between young-generation collections (0: Python's default)"
    )
