"""Bearer tokens we issue to a vendor that calls us with OAuth 2.0 client credentials.

SmartRecruiters gets tokens from our `POST /oauth/token` (ats-formats.md §5.1); iCIMS may authenticate its
event POSTs the same way (§4.2). Only the SHA-256 of a token is stored, with what it grants and a TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import orjson

from hub_connectors.framework.context import ConnectorContext

TOKEN_TTL_S = 3600


class IssuedTokens:
    def __init__(self, ctx: ConnectorContext, connector: str) -> None:
        self.ctx = ctx
        self.connector = connector

    def _key(self, token: str) -> str:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return f"{self.ctx.namespace}conn:{self.connector}:issued:{digest}"

    async def issue(self, grant: dict[str, str], ttl_s: int = TOKEN_TTL_S) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        await self.ctx.redis.set(self._key(token), orjson.dumps(grant), ex=ttl_s)
        return token, ttl_s

    async def grant_of(self, token: str | None) -> dict[str, str] | None:
        if not token:
            return None
        raw = await self.ctx.redis.get(self._key(token))
        return orjson.loads(raw) if raw else None


def secrets_match(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def token_response(token: str, ttl_s: int) -> dict[str, object]:
    """RFC 6749 §5.1."""
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_s}
