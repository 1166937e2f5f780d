"""Lever settings: per integration (the customer's choices and secrets) and per deployment (OAuth app)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_connectors.lever.formats import DEFAULT_TAGS
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.scenarios import get_scenario

SUGGESTED_SCOPES = (
    "offline_access opportunities:write:admin notes:write:admin stages:read:admin tags:read:admin "
    "webhooks:write:admin"
)


class LeverTags(BaseModel):
    """The tag Lever shows for each of our states (one at a time; the others are removed)."""

    model_config = ConfigDict(extra="forbid")

    pending: str = Field(default=DEFAULT_TAGS[AssessmentStatus.PENDING], min_length=1, max_length=100)
    in_progress: str = Field(default=DEFAULT_TAGS[AssessmentStatus.IN_PROGRESS], min_length=1, max_length=100)
    completed: str = Field(default=DEFAULT_TAGS[AssessmentStatus.COMPLETED], min_length=1, max_length=100)
    expired: str = Field(default=DEFAULT_TAGS[AssessmentStatus.EXPIRED], min_length=1, max_length=100)
    cancelled: str = Field(default=DEFAULT_TAGS[AssessmentStatus.CANCELLED], min_length=1, max_length=100)

    def by_status(self) -> dict[AssessmentStatus, str]:
        return {status: getattr(self, status.value) for status in AssessmentStatus}


class LeverSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trigger_stage_id: str = Field(
        min_length=1, max_length=100, description="Lever stage id: entering it invites the candidate"
    )
    scenario_id: str = "ma-due-diligence-v2"
    tags: LeverTags = Field(default_factory=LeverTags)
    note_secret: bool = Field(default=False, description="Note visible only to users with sensitive access")
    notify_followers: bool = True
    add_report_link: bool = Field(default=True, description="Also add the report URL as an opportunity link")
    perform_as: str | None = Field(default=None, max_length=100, description="Lever user id for perform_as")

    @field_validator("scenario_id")
    @classmethod
    def _known(cls, value: str) -> str:
        if get_scenario(value) is None:
            raise ValueError(f"unknown scenario id {value!r}")
        return value


class LeverCredentials(BaseModel):
    """The customer's secrets: the signature token Lever shows for the webhook they configured."""

    model_config = ConfigDict(extra="forbid")

    signature_token: str | None = Field(default=None, min_length=8, max_length=200)


class LeverVendorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_LEVER_", extra="ignore", frozen=True)

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    auth_base_url: str = "https://auth.lever.co"
    api_base_url: str = "https://api.lever.co/v1"
    audience: str = "https://api.lever.co/v1/"
    scopes: str = SUGGESTED_SCOPES
    refresh_before_expiry_s: float = 300.0
    webhook_max_age_s: float = Field(
        default=14 * 24 * 3600.0, description="Older deliveries are refused (Lever keeps two weeks)"
    )
