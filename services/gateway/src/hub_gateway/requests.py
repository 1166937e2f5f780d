"""Request bodies of the public API, validated strictly (unknown fields are an error)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hub_contracts.assessment import Metadata
from hub_contracts.emails import EmailAddress
from hub_contracts.results import AgenticReadinessResults, DimensionScore

CandidateName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateAssessmentRequest(StrictBody):
    candidate_email: EmailAddress = Field(examples=["jane.doe@lawfirm.com"])
    candidate_name: CandidateName = Field(examples=["Jane Doe"])
    scenario_id: str = Field(min_length=1, max_length=100, examples=["ma-due-diligence-v2"])
    callback_url: str | None = Field(default=None, max_length=2048,
                                     examples=["https://your-ats.com/webhooks/lextalent"])
    metadata: Metadata = Field(default_factory=dict, examples=[{"requisition_id": "REQ-2026-0142",
                                                                "hiring_manager": "john.smith@lawfirm.com"}])
    expires_in_days: int = Field(default=7, ge=1, le=30)

    @field_validator("metadata")
    @classmethod
    def _metadata_size(cls, value: Metadata) -> Metadata:
        if len(value) > 50:
            raise ValueError("at most 50 metadata keys")
        return value


class CancelAssessmentRequest(StrictBody):
    reason: str | None = Field(default=None, max_length=500)


class ExtendAssessmentRequest(StrictBody):
    expires_in_days: int = Field(ge=1, le=30, description="New expiry, counted from now")


class SimulateAssessmentRequest(StrictBody):
    outcome: Literal["started", "completed", "expired"]
    overall_score: int | None = Field(default=None, ge=0, le=100, description="For `completed`; default 75")


def default_dimensions(score: int) -> tuple[DimensionScore, ...]:
    keys = ("delegation", "verification", "risk_judgement", "prompt_craft")
    names = ("Delegating work to agents", "Verification of agent output", "Risk and privilege judgement",
             "Instructing agents precisely")
    offsets = (3, -4, 2, -1)
    return tuple(DimensionScore(key=k, name=n, score=min(100, max(0, score + o)))
                 for k, n, o in zip(keys, names, offsets, strict=True))


__all__ = ["AgenticReadinessResults"]


class CallbackUrlError(ValueError):
    pass


_IPV4_FORM_CHARS = frozenset("0123456789abcdefABCDEFxX.")
_BLOCKED_HOSTNAMES = {"localhost", "localhost.localdomain", "metadata.google.internal"}


def check_callback_url(url: str, allow_http_loopback: bool) -> str:
    """Syntax and the address rules we can check without DNS (the webhooks service re-checks every
    resolved address at send time, which also defeats DNS rebinding)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise CallbackUrlError("not a valid URL") from exc
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise CallbackUrlError("must be an absolute https:// URL")
    if parts.username or parts.password:
        raise CallbackUrlError("must not contain credentials")
    loopback = host in ("localhost", "127.0.0.1", "::1")
    if allow_http_loopback and loopback:
        return url
    if parts.scheme != "https":
        raise CallbackUrlError("must use https")
    if host in _BLOCKED_HOSTNAMES or host.endswith((".localhost", ".internal", ".local")):
        raise CallbackUrlError("must not point at a local or internal host")
    address = _numeric_host(host)
    if address is not None and not address.is_global:
        raise CallbackUrlError("must not point at a private, loopback or link-local address")
    return url


def _numeric_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse every numeric form a resolver would accept: dotted, decimal, octal, hex, short."""
    candidate = host.strip("[]")
    if ":" not in candidate and not _IPV4_FORM_CHARS.issuperset(candidate):
        return None  # a name (most hosts): no IPv4 form (dotted, decimal, octal, hex) has other characters
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return address
    parts = candidate.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        numbers = [int(p, 0) if not (p.startswith("0") and len(p) > 1 and p[1] not in "xX")
                   else int(p, 8) for p in parts]
    except ValueError:
        return None
    value = 0
    for n in numbers[:-1]:
        if not 0 <= n <= 255:
            return None
        value = value * 256 + n
    last_bits = 8 * (4 - (len(numbers) - 1))
    if not 0 <= numbers[-1] < 2**last_bits:
        return None
    value = (value << last_bits) + numbers[-1]
    return ipaddress.IPv4Address(value)
