"""The base of every message and read model: frozen, unknown fields rejected, JSON on the wire."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class ContractModel(BaseModel):
    """Immutable, strict about unknown fields, serialised as JSON by alias-free field names."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


def base62(length: int) -> str:
    """A random base62 string from the OS CSPRNG (rejection sampling: no modulo bias)."""
    out: list[str] = []
    while len(out) < length:
        for byte in secrets.token_bytes(length * 2):
            if byte < 248:  # 248 = 4 * 62: bytes at or above it would bias the first characters
                out.append(BASE62[byte % 62])
                if len(out) == length:
                    break
    return "".join(out)


def new_id(prefix: str, length: int = 24) -> str:
    """A prefixed random id such as `evt_…`; assessment ids use `new_assessment_id`."""
    return f"{prefix}_{base62(length)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


_ZERO = timedelta(0)


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a timezone (UTC)")
    if value.utcoffset() == _ZERO:  # pydantic's own UTC tzinfo ("…Z"): same instant, no arithmetic
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_require_utc)]
"""A timezone-aware timestamp, normalised to UTC."""


def isoformat_z(value: datetime) -> str:
    """`2026-03-02T00:00:00Z`: the seed page's timestamp format (second precision, Z suffix)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
