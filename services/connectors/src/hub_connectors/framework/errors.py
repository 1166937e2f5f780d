"""What can go wrong when a connector talks to its vendor, as the consumer needs to know it."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of connector failures. `detail` is safe to log and to show the customer."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RetryableError(ConnectorError):
    """The vendor is down, slow or throttling: the same call later may succeed."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help (bad credentials after refresh, 4xx, missing object): record and dead-letter."""


class VendorAuthError(PermanentError):
    """The vendor refused our credentials (after any refresh the connector does)."""
