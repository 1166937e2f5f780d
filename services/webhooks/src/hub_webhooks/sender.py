"""One HTTP attempt with aiohttp: POST the signed body, never follow redirects, read a capped body."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from hub_webhooks.policy import AttemptResult
from hub_webhooks.ssrf import BlockedTargetError, GuardedResolver, TargetPolicy


def _blocked_reason(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BlockedTargetError):
            return seen.reason
        seen = seen.__cause__ or seen.__context__
    return None


class Sender:
    def __init__(
        self,
        policy: TargetPolicy,
        resolver: GuardedResolver,
        *,
        connect_timeout_s: float,
        total_timeout_s: float,
        body_cap: int,
        user_agent: str,
        pool_limit: int = 0,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.timeout = aiohttp.ClientTimeout(
            total=total_timeout_s, sock_connect=connect_timeout_s, connect=connect_timeout_s
        )
        self.body_cap = body_cap
        self.user_agent = user_agent
        self.pool_limit = pool_limit
        self._session: aiohttp.ClientSession | None = None
        self._checked: set[str] = set()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=self.resolver,
            limit=self.pool_limit,
            ttl_dns_cache=None,
            use_dns_cache=False,
            enable_cleanup_closed=True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        assert self._session is not None, "Sender.start() first"
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 2)

        try:
            self._check(url)  # IP literals never reach the resolver: judge them here
            async with self._session.post(
                url, data=body, headers={**headers, "user-agent": self.user_agent}, allow_redirects=False
            ) as response:
                excerpt = await self._read_excerpt(response, 200 <= response.status < 300)
                return AttemptResult(
                    status_code=response.status,
                    latency_ms=elapsed(),
                    retry_after=response.headers.get("retry-after"),
                    response_excerpt=excerpt,
                )
        except BlockedTargetError as exc:
            return AttemptResult(None, elapsed(), "blocked", f"blocked: {exc.reason}")
        except TimeoutError:
            return AttemptResult(None, elapsed(), "timeout", "timeout")
        except aiohttp.ClientConnectorError as exc:
            reason = _blocked_reason(exc)
            if reason is not None:
                return AttemptResult(None, elapsed(), "blocked", f"blocked: {reason}")
            return AttemptResult(None, elapsed(), "connect", f"connect error: {exc.os_error!r}"[:300])
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, ConnectionResetError) as exc:
            return AttemptResult(None, elapsed(), "reset", f"connection reset: {type(exc).__name__}")
        except aiohttp.ClientError as exc:
            reason = _blocked_reason(exc)
            if reason is not None:
                return AttemptResult(None, elapsed(), "blocked", f"blocked: {reason}")
            return AttemptResult(None, elapsed(), "other", f"{type(exc).__name__}: {exc}"[:300])

    def _check(self, url: str) -> None:
        """The URL's form and literal address (no DNS involved, so the verdict can be remembered)."""
        if url in self._checked:
            return
        self.policy.check_url(url)
        if len(self._checked) > 50_000:
            self._checked.clear()
        self._checked.add(url)

    async def _read_excerpt(self, response: aiohttp.ClientResponse, success: bool) -> str:
        """At most `body_cap` bytes. A success is not held up by its body: only what already arrived
        is kept. A failure's body (useful in the delivery log) is awaited briefly."""
        if success:
            return response.content.read_nowait(self.body_cap).decode(errors="replace")
        try:
            data = await asyncio.wait_for(response.content.read(self.body_cap), timeout=2.0)
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            return "(response body not read)"
        return data.decode(errors="replace")
