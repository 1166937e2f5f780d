"""Calls to the iCIMS REST API with the customer's chosen auth, errors mapped for the framework.

iCIMS answers errors with an HTTP status, an `X-Error` (or `X-Warning`) header `code;detail` and a body
`{"errors":[{"errorMessage","errorCode"}]}` (ats-formats.md §4.4); the detail goes into our error text.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from hub_connectors.framework.clock import Clock
from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.framework.http import RETRYABLE_STATUSES, VendorResponse, retry_after_seconds
from hub_connectors.icims import hmac_auth
from hub_connectors.icims.credentials import IcimsCredentials
from hub_connectors.icims.settings import AuthMode
from hub_connectors.smartrecruiters.client_credentials import ClientCredentials, TokenCache

NAME = "icims"


def error_detail(response: VendorResponse) -> str:
    header = {k.lower(): v for k, v in response.headers.items()}.get("x-error", "")
    messages: list[str] = []
    try:
        body = orjson.loads(response.body) if response.body else None
        if isinstance(body, dict):
            messages = [str(e.get("errorMessage")) for e in body.get("errors", []) if isinstance(e, dict)]
    except orjson.JSONDecodeError:
        pass
    parts = [p for p in (header, "; ".join(messages)) if p]
    return " | ".join(parts)[:300] or f"HTTP {response.status}"


class IcimsApi:
    def __init__(self, ctx: ConnectorContext, clock: Clock, token_url: str) -> None:
        self.ctx = ctx
        self.clock = clock
        self.token_url = token_url
        self.tokens = TokenCache(ctx, NAME)

    def _oauth(self, credentials: IcimsCredentials) -> ClientCredentials:
        return ClientCredentials(
            self.token_url, credentials.api_client_id or "", credentials.api_client_secret or ""
        )

    async def _auth_headers(
        self,
        mode: AuthMode,
        credentials: IcimsCredentials,
        method: str,
        url: str,
        body: bytes,
        content_type: str | None,
        integration_id: str,
    ) -> dict[str, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        if mode == "basic":
            raw = f"{credentials.api_username}:{credentials.api_password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif mode == "oauth2":
            token = await self.tokens.token(self._oauth(credentials), bucket=integration_id)
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers = hmac_auth.sign(
                method,
                url,
                body,
                user=credentials.api_hmac_user or "",
                secret=credentials.api_hmac_secret or "",
                now=datetime.fromtimestamp(self.clock.now(), UTC),
                headers=headers,
            )
        return headers

    async def request(
        self,
        mode: AuthMode,
        credentials: IcimsCredentials,
        integration_id: str,
        method: str,
        url: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> VendorResponse:
        if params:
            url = f"{url}?{urlencode(params)}"  # signed as sent (HMAC covers the query)
        data = orjson.dumps(body) if body is not None else b""
        content_type = "application/json" if body is not None else None
        for attempt in (1, 2):
            headers = await self._auth_headers(
                mode, credentials, method, url, data, content_type, integration_id
            )
            response = await self.ctx.http.request(
                NAME,
                method,
                url,
                integration_id=integration_id,
                headers=headers,
                data=data or None,
                raise_for_status=False,
            )
            if response.status == 401 and mode == "oauth2" and attempt == 1:
                await self.tokens.invalidate(self._oauth(credentials))  # expired or revoked: one fresh token
                continue
            break
        if 200 <= response.status < 400:
            return response
        what = f"icims: {method} answered {response.status}: {error_detail(response)}"
        if response.status in RETRYABLE_STATUSES:
            raise RetryableError(what, retry_after=retry_after_seconds(response.headers))
        if response.status in (401, 403):
            raise VendorAuthError(what)
        raise PermanentError(what)
