"""Lever Data API calls for one integration: Bearer token, rate limit, one refresh on 401."""

from __future__ import annotations

from typing import Any

from hub_connectors.framework.context import ConnectorContext
from hub_connectors.framework.http import VendorResponse, raise_for_vendor_status
from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.ratelimit import RateLimit
from hub_connectors.lever.formats import Opportunity
from hub_connectors.lever.oauth import LeverOAuth


class LeverApi:
    def __init__(
        self,
        ctx: ConnectorContext,
        oauth: LeverOAuth,
        integration: Integration,
        rate_limit: RateLimit,
        perform_as: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.oauth = oauth
        self.integration = integration
        self.rate_limit = rate_limit
        self.perform_as = perform_as

    async def _send(self, method: str, path: str, token: str, json: Any) -> VendorResponse:
        params = {"perform_as": self.perform_as} if self.perform_as else None
        return await self.ctx.http.request(
            "lever",
            method,
            f"{self.oauth.vendor.api_base_url}{path}",
            rate_limit=self.rate_limit,
            integration_id=self.integration.id,
            headers={"Authorization": f"Bearer {token}"},
            json=json,
            params=params,
            raise_for_status=False,
        )

    async def call(self, method: str, path: str, json: Any = None) -> VendorResponse:
        token = await self.oauth.access_token(self.integration)
        response = await self._send(method, path, token, json)
        if response.status == 401:  # expired or revoked early: refresh once, try once more
            token = await self.oauth.refresh(self.integration, stale_token=token)
            response = await self._send(method, path, token, json)
        raise_for_vendor_status("lever", method, response)
        return response

    async def opportunity(self, opportunity_id: str) -> Opportunity:
        body = (await self.call("GET", f"/opportunities/{opportunity_id}")).json()
        return Opportunity.model_validate(body["data"])

    async def add_tags(self, opportunity_id: str, tags: list[str]) -> None:
        await self.call("POST", f"/opportunities/{opportunity_id}/addTags", {"tags": tags})

    async def remove_tags(self, opportunity_id: str, tags: list[str]) -> None:
        await self.call("POST", f"/opportunities/{opportunity_id}/removeTags", {"tags": tags})

    async def add_note(self, opportunity_id: str, note: dict[str, Any]) -> str:
        body = (await self.call("POST", f"/opportunities/{opportunity_id}/notes", note)).json()
        return str(body["data"]["noteId"])

    async def add_links(self, opportunity_id: str, links: list[str]) -> None:
        await self.call("POST", f"/opportunities/{opportunity_id}/addLinks", {"links": links})
