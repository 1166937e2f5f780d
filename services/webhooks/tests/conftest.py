"""Fixtures live in `webhook_harness` (a uniquely named module, importable from the tests)."""

from webhook_harness import clock, receiver, settings

__all__ = ["clock", "receiver", "settings"]
