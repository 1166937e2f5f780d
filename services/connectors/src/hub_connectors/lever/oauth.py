"""Lever OAuth 2.0 authorization-code flow: authorize URL, code exchange, refresh before expiry or on 401.

Tokens live in the integration's encrypted credentials: `access_token`, `refresh_token`,
`access_expires_at` (clock seconds). Lever rotates refresh tokens: every refresh stores the new one.
A Redis lock makes one instance refresh at a time (a rotated refresh token is single-use).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import urlencode

from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.redis_values import as_text
from hub_connectors.lever.settings import LeverVendorSettings

STATE_TTL_S = 24 * 3600


class LeverOAuth:
    def __init__(self, ctx: ConnectorContext, vendor: LeverVendorSettings, redirect_path: str) -> None:
        self.ctx = ctx
        self.vendor = vendor
        self.redirect_path = redirect_path

    @property
    def redirect_uri(self) -> str:
        return self.ctx.public_url(self.redirect_path)

    def _state_key(self, state: str) -> str:
        return f"{self.ctx.namespace}conn:lever:oauth:{state}"

    def _integration_state_key(self, integration_id: str) -> str:
        return f"{self.ctx.namespace}conn:lever:oauth-of:{integration_id}"

    async def authorize_url(self, integration: Integration) -> str:
        state_key = self._integration_state_key(integration.id)
        state = await self.ctx.redis.get(state_key)
        if state is None:
            new_state = secrets.token_urlsafe(24)
            if await self.ctx.redis.set(state_key, new_state, nx=True, ex=STATE_TTL_S):
                await self.ctx.redis.set(self._state_key(new_state), integration.id, ex=STATE_TTL_S)
            state = await self.ctx.redis.get(state_key) or new_state
        query = urlencode(
            {
                "client_id": self.vendor.client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "state": as_text(state),
                "audience": self.vendor.audience,
                "scope": self.vendor.scopes,
            }
        )
        return f"{self.vendor.auth_base_url}/authorize?{query}"

    async def integration_of_state(self, state: str) -> str | None:
        value = await self.ctx.redis.getdel(self._state_key(state))
        if value is None:
            return None
        integration_id = as_text(value)
        await self.ctx.redis.delete(self._integration_state_key(integration_id))
        return integration_id

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        response = await self.ctx.http.request(
            "lever",
            "POST",
            f"{self.vendor.auth_base_url}/oauth/token",
            raise_for_status=False,
            data={
                **form,
                "client_id": self.vendor.client_id,
                "client_secret": self.vendor.client_secret.get_secret_value(),
            },
        )
        if response.status in (400, 401, 403):
            raise VendorAuthError(f"lever: token endpoint refused the grant ({response.status})")
        if response.status >= 500 or response.status == 429:
            raise RetryableError(f"lever: token endpoint answered {response.status}")
        if response.status != 200:
            raise PermanentError(f"lever: token endpoint answered {response.status}")
        body = response.json()
        if not isinstance(body, dict) or "access_token" not in body:
            raise PermanentError("lever: token endpoint answered without an access_token")
        return body

    def _stored(self, body: dict[str, Any], previous_refresh: str | None) -> dict[str, Any]:
        return {
            "access_token": body["access_token"],
            "refresh_token": body.get("refresh_token") or previous_refresh,
            "access_expires_at": self.ctx.clock.now() + float(body.get("expires_in", 3600)),
        }

    async def exchange_code(self, integration: Integration, code: str) -> None:
        body = await self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )
        await self.ctx.integrations.update_credentials(integration.id, self._stored(body, None))

    async def access_token(self, integration: Integration) -> str:
        """A valid access token, refreshed first when it expires within `refresh_before_expiry_s`."""
        credentials = await self.ctx.integrations.credentials(integration.id)
        token = credentials.get("access_token")
        if not token:
            raise VendorAuthError("lever: not connected (no OAuth token)")
        expires_at = float(credentials.get("access_expires_at", 0))
        if expires_at - self.ctx.clock.now() <= self.vendor.refresh_before_expiry_s:
            return await self.refresh(integration, stale_token=str(token))
        return str(token)

    async def refresh(self, integration: Integration, stale_token: str) -> str:
        """Refresh unless another caller already replaced `stale_token`; returns the fresh token."""
        lock = f"{self.ctx.namespace}conn:lever:refresh-lock:{integration.id}"
        for _ in range(100):
            current = await self.ctx.integrations.credentials(integration.id)
            fresh = current.get("access_token")
            if fresh and fresh != stale_token:
                return str(fresh)
            if await self.ctx.redis.set(lock, "1", nx=True, ex=30):
                try:
                    refresh_token = current.get("refresh_token")
                    if not refresh_token:
                        raise VendorAuthError("lever: no refresh token; reconnect the integration")
                    body = await self._token_request(
                        {"grant_type": "refresh_token", "refresh_token": str(refresh_token)}
                    )
                    stored = self._stored(body, str(refresh_token))
                    await self.ctx.integrations.update_credentials(integration.id, stored)
                    return str(stored["access_token"])
                finally:
                    await self.ctx.redis.delete(lock)
            await asyncio.sleep(0.05)
        raise RetryableError("lever: token refresh is held by another instance")
