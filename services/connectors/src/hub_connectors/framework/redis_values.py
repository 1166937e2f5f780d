"""redis-py answers bytes (or str with decode_responses); these make either explicit."""

from __future__ import annotations


def as_text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
