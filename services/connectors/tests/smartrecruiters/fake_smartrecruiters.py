"""A fake SmartRecruiters: its token endpoint, the Assessment API calls we make, and the calls it makes to us.

Strict about what the reference documents and about our written assumption of the results body
(`ResultsBody`, the same reading as `hub_connectors.smartrecruiters.results`): Bearer tokens it issued,
form-encoded client-credentials grants, JSON PATCH bodies, multipart attachments with a PDF, and its
limits per credential (10 requests/s, 8 concurrent) with the X-RateLimit-* headers on every answer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from email.parser import BytesParser
from email.policy import default
from typing import Any, Literal

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub_connectors.framework.testing.fake_vendor import FakeVendorServer, RecordedCall, json_response

API = "/assessment-api/v202010"


class ResultDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    score: int = Field(ge=0, le=100)


class ResultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["IN_PROGRESS", "COMPLETED", "EXPIRED", "CANCELLED"]
    score: int | None = Field(default=None, ge=0, le=100)
    scoreLabel: str | None = None  # noqa: N815 (SmartRecruiters' camelCase)
    resultUrl: str | None = None  # noqa: N815
    summary: str | None = None
    completedOn: str | None = Field(default=None, pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")  # noqa: N815
    details: list[ResultDetail] | None = None


class FakeSmartRecruiters(FakeVendorServer):
    vendor = "smartrecruiters"

    def __init__(self) -> None:
        self.partner_client = ("partner-client", "PARTNER-secret-123")
        self.clients = {self.partner_client[0]: self.partner_client[1]}
        self.tokens: dict[str, str] = {}  # token → client id
        self.orders: set[str] = set()
        self.enabled_companies: list[str] = []
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.attachments: dict[str, list[bytes]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.call_times: list[float] = []
        self.patch_delay_s = 0.0
        super().__init__()

    def setup_routes(self) -> None:
        auth = self._bearer
        self.route("token", "POST", "/identity/oauth/token", self._token, body_kind="form")
        self.route(
            "enable_company", "POST", f"{API}/integration/company/{{company_id}}", self._enable, auth=auth
        )
        self.route(
            "results",
            "PATCH",
            f"{API}/orders/{{order_id}}/results",
            self._results,
            auth=auth,
            body=ResultsBody,
        )
        self.route(
            "attachment",
            "POST",
            f"{API}/orders/{{order_id}}/results/attachment",
            self._attachment,
            auth=auth,
            body_kind="multipart",
        )

    def _bearer(self, request: web.Request) -> str | None:
        value = request.headers.get("Authorization", "")
        return None if value.removeprefix("Bearer ") in self.tokens else "unknown or expired token"

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def _limits(self, remaining: int = 9) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "10",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Concurrent-Limit": "8",
            "X-RateLimit-Concurrent-Remaining": str(8 - self.in_flight),
        }

    def _token(self, call: RecordedCall) -> web.Response:
        form = call.form or {}
        if form.get("grant_type") != "client_credentials":
            return self._deviation(f"token grant {form.get('grant_type')!r}")
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            return json_response({"error": "invalid_client"}, 401)
        token = secrets.token_hex(16)
        self.tokens[token] = form["client_id"]
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": 1800})

    def _enable(self, call: RecordedCall) -> web.Response:
        self.enabled_companies.append(call.params["company_id"])
        return json_response({}, headers=self._limits())

    async def _counted(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.call_times.append(time.monotonic())
        try:
            if self.in_flight > 8:
                self.deviations.append(f"{self.in_flight} concurrent calls on one credential (limit 8)")
            await asyncio.sleep(self.patch_delay_s)
        finally:
            self.in_flight -= 1

    async def _results(self, call: RecordedCall) -> web.Response:
        order_id = call.params["order_id"]
        if order_id not in self.orders:
            return json_response(
                {"code": "NOT_FOUND", "message": f"order {order_id} not found"}, 404, self._limits()
            )
        await self._counted()
        self.results.setdefault(order_id, []).append(call.json)
        return web.Response(status=204, headers=self._limits())

    async def _attachment(self, call: RecordedCall) -> web.Response:
        order_id = call.params["order_id"]
        message = BytesParser(policy=default).parsebytes(
            f"Content-Type: {call.headers['Content-Type']}\r\n\r\n".encode() + call.body
        )
        parts = [
            p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"
        ]
        if len(parts) != 1:
            return self._deviation("attachment without exactly one `file` part")
        data = parts[0].get_payload(decode=True)
        if (
            not isinstance(data, bytes)
            or not data.startswith(b"%PDF")
            or parts[0].get_content_type() != "application/pdf"
        ):
            return self._deviation("attachment is not a PDF")
        self.attachments.setdefault(order_id, []).append(data)
        return json_response({"id": f"att-{len(self.attachments[order_id])}"}, 201, self._limits())

    # ------------------------------------------------------------------ what SmartRecruiters sends us
    async def our_token(self, session: aiohttp.ClientSession, url: str, client_id: str, secret: str) -> str:
        async with session.post(
            url, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        ) as resp:
            body = await resp.json()
            assert resp.status == 200, body
            return str(body["access_token"])

    def order(
        self, order_id: str = "ord-1", company: str = "ACME", package: str = "ma-due-diligence-v2"
    ) -> dict[str, Any]:
        self.orders.add(order_id)
        return {
            "id": order_id,
            "assessmentPackageId": package,
            "applicationId": f"app-{order_id}",
            "candidate": {"id": "c-1", "firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"},
            "company": {"id": company, "name": "Acme LLP"},
            "job": {"id": "j-1", "title": "Associate"},
            "requestor": {"firstName": "Rita", "lastName": "Recruiter", "email": "rita@acme.example"},
        }
