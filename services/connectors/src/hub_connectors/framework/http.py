"""Outbound calls to a vendor: rate-limited, timed out, and mapped onto retryable/permanent errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.framework.ratelimit import RateLimit, RateLimiter

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class VendorResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class VendorHttp:
    """One aiohttp session for all vendors; each call names its connector for the rate limiter."""

    def __init__(self, session: aiohttp.ClientSession, limiter: RateLimiter, timeout_s: float) -> None:
        self.session = session
        self.limiter = limiter
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def request(
        self,
        connector: str,
        method: str,
        url: str,
        *,
        rate_limit: RateLimit | None = None,
        integration_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        params: Mapping[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> VendorResponse:
        """Send one request. With `raise_for_status`, 401/403 → VendorAuthError, 429/5xx/timeouts →
        RetryableError, other non-2xx → PermanentError; the error text never includes credentials."""
        await self.limiter.acquire(connector, rate_limit, integration_id)
        body: Any = data
        send_headers = dict(headers or {})
        if json is not None:
            body = orjson.dumps(json)
            send_headers.setdefault("Content-Type", "application/json")
        try:
            async with self.session.request(
                method,
                url,
                headers=send_headers,
                data=body,
                params=params,
                timeout=self.timeout,
                allow_redirects=False,
            ) as resp:
                response = VendorResponse(resp.status, dict(resp.headers), await resp.read())
        except TimeoutError:
            raise RetryableError(f"{connector}: {method} timed out") from None
        except aiohttp.ClientError as exc:
            raise RetryableError(f"{connector}: {method} failed: {type(exc).__name__}") from None
        if raise_for_status:
            raise_for_vendor_status(connector, method, response)
        return response


def raise_for_vendor_status(connector: str, method: str, response: VendorResponse) -> None:
    status = response.status
    if 200 <= status < 300:
        return
    snippet = response.body[:300].decode(errors="replace")
    what = f"{connector}: {method} answered {status}: {snippet}"
    if status in RETRYABLE_STATUSES:
        raise RetryableError(what, retry_after=retry_after_seconds(response.headers))
    if status in (401, 403):
        raise VendorAuthError(what)
    raise PermanentError(what)
