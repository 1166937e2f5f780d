"""A fake iCIMS: the profiles an event links to, the `assessmentresults` collection, OAuth, and events.

Strict about what the reference documents: lowercase JSON fields, list fields as `{"id": node}` of the
tenant's lists, `assessmentdate` as `yyyy-mm-dd hh:mm a`, `assessmentresult` ≤ 128, `assessmentnotes`
≤ 192, `Content-Type: application/json` on writes; the chosen auth on every call. Rows get a group id
answered in `Location` (201), PATCHes need an existing group id.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub_connectors.framework.testing.fake_vendor import FakeVendorServer, RecordedCall, json_response
from hub_connectors.icims import hmac_auth
from hub_connectors.icims.events import gzip_json

CUSTOMER = "2187"
NAME_NODES = {"D37002019001"}
STATUS_NODES = {"D37002020001": "Sent", "D37002020002": "In Progress", "D37002020003": "Complete"}
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2} (0[1-9]|1[0-2]):[0-5]\d (AM|PM)$"


class NodeRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str


class AssessmentResultRow(BaseModel):
    """One row of the `assessmentresults` collection (ats-formats.md §4.3)."""

    model_config = ConfigDict(extra="forbid")

    assessmentname: NodeRef
    assessmentstatus: NodeRef
    assessmentdate: str = Field(pattern=DATE_PATTERN)
    assessmentscore: int | float | None = None
    assessmentresult: str | None = Field(default=None, max_length=128)
    assessmentnotes: str | None = Field(default=None, max_length=192)


@dataclass
class Row:
    group_id: str
    fields: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)


class FakeIcims(FakeVendorServer):
    vendor = "icims"

    def __init__(self, api_auth: Literal["basic", "oauth2", "hmac"] = "basic") -> None:
        self.api_auth = api_auth
        self.api_user, self.api_password = "lextalent_api", "icims-API-pa55word"
        self.client_id, self.client_secret = "lextalent-client", "icims-CLIENT-secret-1"
        self.hmac_user, self.hmac_secret = "lextalent_hmac", "icims-HMAC-secret-1"
        self.tokens: set[str] = set()
        self.people: dict[str, dict[str, Any]] = {
            "11219": {"firstname": "Jane", "lastname": "Doe", "email": "jane.doe@example.com"}
        }
        self.jobs: dict[str, dict[str, Any]] = {
            "2039": {"jobtitle": "Associate", "assessmenttype": [{"id": "C51234", "value": "LexTalent M&A"}]}
        }
        self.rows: dict[str, list[Row]] = {}  # workflow id → rows
        super().__init__()

    # ------------------------------------------------------------------ auth the fake demands
    def _auth(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if self.api_auth == "basic":
            expected = "Basic " + base64.b64encode(f"{self.api_user}:{self.api_password}".encode()).decode()
            return None if header == expected else "wrong or missing Basic credentials"
        if self.api_auth == "oauth2":
            return None if header.removeprefix("Bearer ") in self.tokens else "unknown or expired token"
        return "HMAC is checked with the body"  # replaced per request in _hmac_ok

    def setup_routes(self) -> None:
        auth = self._auth if self.api_auth != "hmac" else None
        base = f"/customers/{CUSTOMER}"
        self.route("token", "POST", "/oauth/token", self._token, body_kind="form")
        self.route("person", "GET", f"{base}/people/{{person_id}}", self._person, auth=auth)
        self.route("job", "GET", f"{base}/jobs/{{job_id}}", self._job, auth=auth)
        self.route(
            "add_row",
            "POST",
            f"{base}/applicantworkflows/{{workflow_id}}/fields/assessmentresults",
            self._add_row,
            auth=auth,
            body=AssessmentResultRow,
        )
        self.route(
            "update_row",
            "PATCH",
            f"{base}/applicantworkflows/{{workflow_id}}/fields/assessmentresults/{{group_id}}",
            self._update_row,
            auth=auth,
            body=AssessmentResultRow,
        )

    def revoke_tokens(self) -> None:
        """Every token we handed out expires now (the client must get a new one)."""
        self.tokens.clear()

    def _token(self, call: RecordedCall) -> web.Response:
        form = call.form or {}
        if form.get("grant_type") != "client_credentials":
            return self._deviation(f"token request with grant_type {form.get('grant_type')!r}")
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return json_response({"error": "invalid_client"}, 401)
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _hmac_problem(self, call: RecordedCall) -> str | None:
        if self.api_auth != "hmac":
            return None
        url = f"{self.base_url}{call.path}" + (
            f"?{'&'.join(f'{k}={v}' for k, v in call.query.items())}" if call.query else ""
        )
        return hmac_auth.verify(
            call.method,
            url,
            call.headers,
            call.body,
            user=self.hmac_user,
            secret=self.hmac_secret,
            now=datetime.now(UTC),
        )

    def _guard(self, call: RecordedCall) -> web.Response | None:
        problem = self._hmac_problem(call)
        if problem is not None:
            return json_response({"errors": [{"errorMessage": problem, "errorCode": 3}]}, 401)
        return None

    def _profile(self, call: RecordedCall, profiles: dict[str, dict[str, Any]], key: str) -> web.Response:
        if (denied := self._guard(call)) is not None:
            return denied
        profile = profiles.get(call.params[key])
        if profile is None:
            return json_response(
                {"errors": [{"errorMessage": "not found", "errorCode": 2}]},
                404,
                {"X-Error": "2;Resource not found"},
            )
        wanted = call.query.get("fields")
        return json_response({k: v for k, v in profile.items() if not wanted or k in wanted.split(",")})

    def _person(self, call: RecordedCall) -> web.Response:
        return self._profile(call, self.people, "person_id")

    def _job(self, call: RecordedCall) -> web.Response:
        return self._profile(call, self.jobs, "job_id")

    def _check_nodes(self, row: dict[str, Any]) -> str | None:
        if row["assessmentname"]["id"] not in NAME_NODES:
            return f"assessmentname {row['assessmentname']} is no node of the tenant's list"
        if row["assessmentstatus"]["id"] not in STATUS_NODES:
            return f"assessmentstatus {row['assessmentstatus']} is no node of the tenant's list"
        return None

    def _add_row(self, call: RecordedCall) -> web.Response:
        if (denied := self._guard(call)) is not None:
            return denied
        row = orjson.loads(call.body)
        if (problem := self._check_nodes(row)) is not None:
            return self._deviation(problem)
        rows = self.rows.setdefault(call.params["workflow_id"], [])
        group_id = str(4700 + sum(len(r) for r in self.rows.values()))
        rows.append(Row(group_id, row, [row]))
        location = f"{self.base_url}{call.path}/{group_id}"
        return web.Response(status=201, headers={"Location": location})

    def _update_row(self, call: RecordedCall) -> web.Response:
        if (denied := self._guard(call)) is not None:
            return denied
        row = orjson.loads(call.body)
        if (problem := self._check_nodes(row)) is not None:
            return self._deviation(problem)
        existing = next(
            (
                r
                for r in self.rows.get(call.params["workflow_id"], [])
                if r.group_id == call.params["group_id"]
            ),
            None,
        )
        if existing is None:
            return json_response({"errors": [{"errorMessage": "no such group", "errorCode": 2}]}, 404)
        existing.fields = row
        existing.history.append(row)
        return web.Response(status=200)

    # ------------------------------------------------------------------ what iCIMS sends us
    def event(
        self,
        kind: Literal["status", "complete"],
        workflow_id: str = "13820",
        person_id: str = "11219",
        job_id: str = "2039",
        new_status: str = "C2028",
    ) -> dict[str, Any]:
        links = [
            {
                "rel": "applicantWorkflow",
                "title": "Applicant Workflow",
                "url": f"{self.base_url}/customers/{CUSTOMER}/applicantworkflows/{workflow_id}",
            },
            {
                "rel": "job",
                "title": "Job Profile",
                "url": f"{self.base_url}/customers/{CUSTOMER}/jobs/{job_id}",
            },
            {
                "rel": "person",
                "title": "Person Profile",
                "url": f"{self.base_url}/customers/{CUSTOMER}/people/{person_id}",
            },
        ]
        body: dict[str, Any] = {
            "systemId": workflow_id,
            "userId": "11",
            "customerId": CUSTOMER,
            "links": links,
        }
        if kind == "status":
            body |= {
                "eventType": "WorkFlowStatusChangeEvent",
                "newStatus": new_status,
                "oldStatus": "C2027",
                "jobId": job_id,
                "personId": person_id,
            }
        else:
            body |= {
                "eventType": "ApplicationCompletedEvent",
                "returnUrl": f"https://jobs-acme.icims.com/jobs/{job_id}/assessment?i=1",
            }
        return body


async def post_event(
    session: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    *,
    auth: Literal["basic", "oauth2", "hmac"],
    user: str = "",
    secret: str = "",
    token: str = "",
) -> aiohttp.ClientResponse:
    """POST an event the way iCIMS does: gzip-compressed JSON, with the integration's auth."""
    body = gzip_json(payload)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    if auth == "basic":
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    elif auth == "oauth2":
        headers["Authorization"] = f"Bearer {token}"
    else:
        headers = hmac_auth.sign(
            "POST", url, body, user=user, secret=secret, now=datetime.now(UTC), headers=headers
        )
    async with session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
        await resp.read()
        return resp
