"""A fake Lever, written from the Lever developer documentation (reference §2).

Serves the OAuth endpoints (`/authorize` redirects like the consent screen, `/oauth/token` issues
one-hour access tokens and rotates single-use refresh tokens) and the Data API endpoints the
connector uses, each with Bearer auth and a strict body model; and sends webhooks signed as Lever
signs them (HMAC-SHA256 of `token + triggeredAt`, in the body).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub_connectors.framework.testing.fake_vendor import (
    FakeVendorServer,
    RecordedCall,
    bearer_auth,
    json_response,
)

SCOPES_REQUIRED = {"offline_access", "opportunities:write:admin", "notes:write:admin"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TagsBody(_Strict):
    tags: list[str] = Field(min_length=1)


class LinksBody(_Strict):
    links: list[str] = Field(min_length=1)


class NoteBody(_Strict):
    value: str = Field(min_length=1)
    secret: bool | None = None
    score: int | None = Field(default=None, ge=1, le=4)
    notifyFollowers: bool | None = None  # noqa: N815
    createdAt: int | None = None  # noqa: N815


class FakeLever(FakeVendorServer):
    vendor = "lever"

    def __init__(self, client_id: str = "lexhub-client", client_secret: str = "lexhub-client-secret") -> None:  # noqa: S107
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris: set[str] = set()
        self.codes: dict[str, str] = {}  # code → redirect_uri
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.opportunities: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[str]] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.links: dict[str, list[str]] = {}
        super().__init__()

    def setup_routes(self) -> None:
        bearer = bearer_auth(lambda: self.access_tokens)
        self.route("authorize", "GET", "/authorize", self._authorize, body_kind="none")
        self.route("token", "POST", "/oauth/token", self._token, body_kind="form")
        self.route(
            "get_opportunity",
            "GET",
            "/v1/opportunities/{opportunity}",
            self._get_opportunity,
            auth=bearer,
            body_kind="none",
        )
        self.route(
            "add_tags",
            "POST",
            "/v1/opportunities/{opportunity}/addTags",
            self._add_tags,
            auth=bearer,
            body=TagsBody,
        )
        self.route(
            "remove_tags",
            "POST",
            "/v1/opportunities/{opportunity}/removeTags",
            self._remove_tags,
            auth=bearer,
            body=TagsBody,
        )
        self.route(
            "add_note",
            "POST",
            "/v1/opportunities/{opportunity}/notes",
            self._add_note,
            auth=bearer,
            body=NoteBody,
        )
        self.route(
            "add_links",
            "POST",
            "/v1/opportunities/{opportunity}/addLinks",
            self._add_links,
            auth=bearer,
            body=LinksBody,
        )

    @property
    def api_routes(self) -> list[str]:
        return ["get_opportunity", "add_tags", "remove_tags", "add_note", "add_links"]

    def add_opportunity(self, name: str = "Hermione Granger", email: str = "hgranger@hogwarts.edu") -> str:
        opportunity_id = str(uuid.uuid4())
        self.opportunities[opportunity_id] = {
            "id": opportunity_id,
            "name": name,
            "contact": str(uuid.uuid4()),
            "headline": "Associate",
            "emails": [email],
            "phones": [],
            "archived": None,
            "tags": [],
            "createdAt": int(time.time() * 1000),
        }
        return opportunity_id

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    # -------------------------------------------------------------------------------- OAuth side

    def _authorize(self, call: RecordedCall) -> web.Response:
        q = call.query
        problems = [
            f"authorize: {k}={q.get(k)!r}"
            for k, ok in {
                "client_id": q.get("client_id") == self.client_id,
                "response_type": q.get("response_type") == "code",
                "audience": q.get("audience") == "https://api.lever.co/v1/",
                "state": bool(q.get("state")),
                "redirect_uri": bool(q.get("redirect_uri")),
                "scope": set(q.get("scope", "").split(" ")) >= SCOPES_REQUIRED,
            }.items()
            if not ok
        ]
        if problems:
            self.deviations.extend(problems)
            return json_response({"error": "invalid_request"}, 400)
        code = secrets.token_urlsafe(12)
        self.codes[code] = q["redirect_uri"]
        location = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        return web.Response(status=302, headers={"Location": location})

    def _issue(self) -> web.Response:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "offline_access opportunities:write:admin",
            }
        )

    def _token(self, call: RecordedCall) -> web.Response:
        form = call.form or {}
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            self.deviations.append("token: wrong client credentials")
            return json_response({"error": "invalid_client"}, 401)
        if form.get("grant_type") == "authorization_code":
            redirect_uri = self.codes.pop(form.get("code", ""), None)
            if redirect_uri is None or redirect_uri != form.get("redirect_uri"):
                return json_response({"error": "invalid_grant"}, 400)
            return self._issue()
        if form.get("grant_type") == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens:
                return json_response({"error": "invalid_grant"}, 400)
            self.refresh_tokens.discard(token)  # single use: Lever rotates refresh tokens
            return self._issue()
        self.deviations.append(f"token: grant_type {form.get('grant_type')!r}")
        return json_response({"error": "unsupported_grant_type"}, 400)

    # ---------------------------------------------------------------------------------- Data API

    def _opportunity_or_404(self, call: RecordedCall) -> str | web.Response:
        opportunity_id = call.params["opportunity"]
        if opportunity_id not in self.opportunities:
            return json_response({"code": "ResourceNotFound", "message": "Opportunity not found"}, 404)
        return opportunity_id

    def _get_opportunity(self, call: RecordedCall) -> web.Response:
        found = self._opportunity_or_404(call)
        if isinstance(found, web.Response):
            return found
        return json_response({"data": self.opportunities[found] | {"tags": self.tags.get(found, [])}})

    def _add_tags(self, call: RecordedCall) -> web.Response:
        found = self._opportunity_or_404(call)
        if isinstance(found, web.Response):
            return found
        current = self.tags.setdefault(found, [])
        current.extend(t for t in call.json["tags"] if t not in current)
        return json_response({"data": self.opportunities[found] | {"tags": current}})

    def _remove_tags(self, call: RecordedCall) -> web.Response:
        found = self._opportunity_or_404(call)
        if isinstance(found, web.Response):
            return found
        self.tags[found] = [t for t in self.tags.get(found, []) if t not in call.json["tags"]]
        return json_response({"data": self.opportunities[found] | {"tags": self.tags[found]}})

    def _add_note(self, call: RecordedCall) -> web.Response:
        found = self._opportunity_or_404(call)
        if isinstance(found, web.Response):
            return found
        created_at = call.json.get("createdAt")
        if created_at is not None and created_at > time.time() * 1000 + 5_000:
            self.deviations.append("notes: createdAt is in the future")
            return json_response({"code": "BadRequest", "message": "createdAt in the future"}, 400)
        note_id = str(uuid.uuid4())
        self.notes.setdefault(found, []).append(call.json | {"noteId": note_id})
        return json_response({"data": {"noteId": note_id}}, 201)

    def _add_links(self, call: RecordedCall) -> web.Response:
        found = self._opportunity_or_404(call)
        if isinstance(found, web.Response):
            return found
        self.links.setdefault(found, []).extend(call.json["links"])
        return json_response({"data": self.opportunities[found]})

    # ---------------------------------------------------------------------------------- webhooks

    @staticmethod
    def signed(
        event: str,
        data: dict[str, Any],
        signature_token: str,
        *,
        triggered_at: int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        triggered_at = triggered_at or int(time.time() * 1000)
        token = token or secrets.token_hex(20)
        signature = hmac.new(
            signature_token.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256
        ).hexdigest()
        return {
            "triggeredAt": triggered_at,
            "event": event,
            "data": data,
            "signature": signature,
            "token": token,
        }

    @staticmethod
    async def deliver(url: str, delivery: dict[str, Any]) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url,
                data=orjson.dumps(delivery),
                headers={"Content-Type": "application/json", "User-Agent": "Lever-Webhooks"},
            ) as resp,
        ):
            raw = await resp.read()
            return resp.status, orjson.loads(raw) if raw else None

    def stage_change(self, opportunity_id: str, to_stage: str) -> dict[str, Any]:
        return {
            "opportunityId": opportunity_id,
            "candidateId": opportunity_id,
            "contactId": self.opportunities[opportunity_id]["contact"],
            "toStageId": to_stage,
            "fromStageId": str(uuid.uuid4()),
        }

    def archive_change(self, opportunity_id: str, reason: str = "Withdrew") -> dict[str, Any]:
        return {
            "opportunityId": opportunity_id,
            "candidateId": opportunity_id,
            "contactId": self.opportunities[opportunity_id]["contact"],
            "fromArchived": None,
            "toArchived": {"archivedAt": int(time.time() * 1000), "reason": reason},
        }


async def connect_through_browser(authorize_url: str) -> tuple[int, str]:
    """What the customer's browser does: open the consent screen, follow the redirect to the hub."""
    assert urlparse(authorize_url).path == "/authorize"
    assert parse_qs(urlparse(authorize_url).query)["response_type"] == ["code"]
    async with aiohttp.ClientSession() as session, session.get(authorize_url) as resp:
        return resp.status, await resp.text()
