"""A fake Greenhouse, written from the Assessment Partner API docs (reference §1).

It plays both of Greenhouse's parts: the client that calls the partner's `list_tests`,
`send_test`, `test_status` and `response_error` (HTTP Basic, the customer's key as username and
an empty password), validating every answer against the documented rules; and the server of the
bodiless completion `PATCH {url}`, after which (as Greenhouse does) it calls `test_status`.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from hub_connectors.framework.testing.fake_vendor import FakeVendorServer, RecordedCall

FIXTURES = Path(__file__).parent / "fixtures" / "greenhouse"
PATCH_PATH = "/integrations/testing_partners/take_home_tests/{take_home_test_id}"
PRIMITIVES = (str, int, float, bool, type(None))


def doc_example(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def list_tests_problems(body: Any) -> list[str]:
    if not isinstance(body, list):
        return ["list_tests must answer a JSON array"]
    return [
        f"list_tests item {i} needs string partner_test_id and partner_test_name"
        for i, item in enumerate(body)
        if not (
            isinstance(item, dict)
            and isinstance(item.get("partner_test_id"), str)
            and isinstance(item.get("partner_test_name"), str)
        )
    ]


def send_test_problems(body: Any) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("partner_interview_id"), str):
        return ["send_test must answer {partner_interview_id: string}"]
    return []


def test_status_problems(body: Any) -> list[str]:
    """Greenhouse's rules for a test_status answer (_test_status.md, _introduction.md)."""
    if not isinstance(body, dict):
        return ["test_status must answer a JSON object"]
    problems = [
        f"property {k} missing (empty properties must be null)"
        for k in ("partner_status", "partner_profile_url", "partner_score", "metadata")
        if k not in body
    ]
    if not isinstance(body.get("partner_status"), str):
        problems.append("partner_status must be a string")
    if body.get("partner_status") == "complete" and not body.get("partner_profile_url"):
        problems.append("partner_status is 'complete' but partner_profile_url is missing")
    score = body.get("partner_score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        problems.append("partner_score must be a number")
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            problems.append("metadata must be an object")
        else:
            problems.extend(
                f"metadata[{k!r}] is not a JavaScript primitive"
                for k, v in metadata.items()
                if not isinstance(v, PRIMITIVES)
            )
    return problems


test_status_problems.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


class FakeGreenhouse(FakeVendorServer):
    vendor = "greenhouse"

    def __init__(self) -> None:
        self.api_key = ""  # the customer's LexTalent key Greenhouse was given
        self.partner_base_url = ""  # where the partner's four endpoints live
        self.follow_up_status = True
        self.status_answers: list[dict[str, Any]] = []
        self._follow_ups: set[asyncio.Task[None]] = set()
        self.interviews: dict[str, str] = {}  # take-home test id → partner_interview_id
        super().__init__()

    def setup_routes(self) -> None:
        self.route("mark_completed", "PATCH", PATCH_PATH, self._on_patch, auth=self._auth, body_kind="none")

    def _auth(self, request: web.Request) -> str | None:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        return None if request.headers.get("Authorization") == expected else "not the customer's key as Basic"

    def take_home_test_url(self, take_home_test_id: str) -> str:
        return f"{self.base_url}{PATCH_PATH.format(take_home_test_id=take_home_test_id)}"

    async def _on_patch(self, call: RecordedCall) -> web.Response:
        if self.follow_up_status:
            task = asyncio.get_running_loop().create_task(self._follow_up(call.params["take_home_test_id"]))
            self._follow_ups.add(task)
            task.add_done_callback(self._follow_ups.discard)
        return web.Response(status=200)

    async def _follow_up(self, take_home_test_id: str) -> None:
        interview_id = self.interviews.get(take_home_test_id)
        if interview_id is None:
            self.deviations.append(f"PATCH for take-home test {take_home_test_id} that was never sent")
            return
        status, body = await self.test_status(interview_id)
        self.status_answers.append({"status": status, "body": body, "take_home_test_id": take_home_test_id})

    # ----------------------------------------------------------- Greenhouse calling the partner

    def _headers(self) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()}

    async def _call(
        self,
        method: str,
        endpoint: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        api_key: str | None = None,
    ) -> tuple[int, Any]:
        headers = (
            self._headers()
            if api_key is None
            else {"Authorization": "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()}
        )
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                f"{self.partner_base_url}/{endpoint}",
                json=body,
                params=params,
                headers=headers,
            ) as resp,
        ):
            raw = await resp.read()
            return resp.status, json.loads(raw) if raw else None

    async def list_tests(self, api_key: str | None = None) -> tuple[int, Any]:
        status, body = await self._call("GET", "list_tests", api_key=api_key)
        if status == 200:
            self.deviations.extend(list_tests_problems(body))
        return status, body

    async def send_test(self, body: dict[str, Any], api_key: str | None = None) -> tuple[int, Any]:
        status, answer = await self._call("POST", "send_test", body=body, api_key=api_key)
        if status == 200:
            self.deviations.extend(send_test_problems(answer))
            if not send_test_problems(answer):
                self.interviews.setdefault(body["url"].rsplit("/", 1)[-1], answer["partner_interview_id"])
        return status, answer

    async def test_status(self, partner_interview_id: str, api_key: str | None = None) -> tuple[int, Any]:
        status, body = await self._call(
            "GET", "test_status", params={"partner_interview_id": partner_interview_id}, api_key=api_key
        )
        if status == 200:
            self.deviations.extend(test_status_problems(body))
        return status, body

    async def response_error(self, body: dict[str, Any]) -> tuple[int, Any]:
        return await self._call("POST", "response_error", body=body)

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._follow_ups):
            task.cancel()
        await super().__aexit__(*exc)
