"""OAuth 2.0 client-credentials tokens for our calls to a vendor (SmartRecruiters; iCIMS uses it too).

Tokens are cached in Redis, encrypted with the credentials cipher, per connector and credential, until
shortly before they expire; every instance of the service shares them. `invalidate` drops a token the
vendor refused (an expired or revoked token answers 401), so the next call fetches a fresh one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.errors import PermanentError, VendorAuthError
from hub_connectors.framework.http import raise_for_vendor_status
from hub_connectors.framework.ratelimit import RateLimit
from hub_connectors.framework.redis_values import as_bytes

EXPIRY_MARGIN_S = 60


@dataclass(frozen=True)
class ClientCredentials:
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None

    @property
    def cache_id(self) -> str:
        return hashlib.sha256(f"{self.token_url}\n{self.client_id}".encode()).hexdigest()[:24]


class TokenCache:
    def __init__(self, ctx: ConnectorContext, connector: str) -> None:
        self.ctx = ctx
        self.connector = connector

    def _key(self, credentials: ClientCredentials) -> str:
        return f"{self.ctx.namespace}conn:{self.connector}:token:{credentials.cache_id}"

    async def token(
        self,
        credentials: ClientCredentials,
        *,
        rate_limit: RateLimit | None = None,
        bucket: str | None = None,
    ) -> str:
        cached = await self.ctx.redis.get(self._key(credentials))
        if cached:
            return str(self.ctx.cipher.decrypt(as_bytes(cached))["access_token"])
        return await self._fetch(credentials, rate_limit, bucket)

    async def invalidate(self, credentials: ClientCredentials) -> None:
        await self.ctx.redis.delete(self._key(credentials))

    async def _fetch(
        self, credentials: ClientCredentials, rate_limit: RateLimit | None, bucket: str | None
    ) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        if credentials.scope:
            form["scope"] = credentials.scope
        response = await self.ctx.http.request(
            self.connector,
            "POST",
            credentials.token_url,
            rate_limit=rate_limit,
            integration_id=bucket,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            data=form,
            raise_for_status=False,
        )
        if response.status in (400, 401, 403):
            raise VendorAuthError(
                f"{self.connector}: the token endpoint refused our client credentials "
                f"(HTTP {response.status})"
            )
        raise_for_vendor_status(self.connector, "POST token", response)
        try:
            body = orjson.loads(response.body)
            access_token = str(body["access_token"])
            expires_in = int(body.get("expires_in", 3600))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise PermanentError(
                f"{self.connector}: the token endpoint answered without an access_token"
            ) from None
        ttl = max(1, expires_in - EXPIRY_MARGIN_S)
        await self.ctx.redis.set(
            self._key(credentials), self.ctx.cipher.encrypt({"access_token": access_token}), ex=ttl
        )
        return access_token
