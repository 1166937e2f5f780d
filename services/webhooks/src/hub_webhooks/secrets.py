"""Account signing secrets: one `whsec_…` per account signs the webhooks sent to callback URLs.

`account_signing_secret` is public: the gateway's CLI imports it to show a customer their secret.
"""

from __future__ import annotations

from redis.asyncio import Redis

from hub_webhooks.keys import WebhookKeys
from hub_webhooks.signing import new_secret


async def account_signing_secret(redis: Redis, namespace: str, account_id: str) -> str:
    """The account's secret, created on first use; concurrent callers all get the same one."""
    key = WebhookKeys(namespace).account_secret(account_id)
    candidate = new_secret()
    # SET NX GET (Redis >= 7.0): one atomic step that either stores ours or returns the existing one.
    existing = await redis.set(key, candidate, nx=True, get=True)
    if existing is None:
        return candidate
    return existing.decode() if isinstance(existing, bytes) else str(existing)
