"""A fake vendor server for tests: written from the vendor's documented formats, strict, recording.

Each expected route names its method, path (with `{param}` segments), an auth check, required
headers, a body model (pydantic, `extra="forbid"`, strict types) and a responder. Any request
that matches no route, or breaks a rule of its route, is answered 400 and recorded as a
*deviation*; `assert_clean()` (called by the fixture on teardown) fails the test if there is any.
Faults can be queued per route: 401, 429 (with Retry-After), 5xx, or a timeout (a delay longer
than the client's timeout).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

AuthCheck = Callable[[web.Request], str | None]
"""Returns None when the request is authorised, else what is wrong with its credentials."""
Responder = Callable[["RecordedCall"], Awaitable[web.StreamResponse] | web.StreamResponse]


@dataclass
class RecordedCall:
    route: str
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, str] | None = None
    answered: int = 0


@dataclass
class Fault:
    status: int | None = None  # None with delay_s: a timeout
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class Route:
    name: str
    method: str
    path: str
    responder: Responder
    auth: AuthCheck | None = None
    headers: Mapping[str, str | re.Pattern[str]] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    body_kind: str = "json"  # json | form | none | multipart
    faults: list[Fault] = field(default_factory=list)
    sticky_fault: Fault | None = None
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        self.pattern = re.compile(f"^{regex}$")


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


def basic_auth(username: str, password: str = "") -> AuthCheck:
    import base64

    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def check(request: web.Request) -> str | None:
        return (
            None if request.headers.get("Authorization") == expected else "wrong or missing Basic credentials"
        )

    return check


def bearer_auth(tokens: Callable[[], set[str]]) -> AuthCheck:
    def check(request: web.Request) -> str | None:
        value = request.headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            return "missing Bearer token"
        return None if value.removeprefix("Bearer ") in tokens() else "unknown or expired token"

    return check


class FakeVendorServer:
    """Subclass per vendor; register routes in `setup_routes`; start with `async with`."""

    vendor = "vendor"

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.calls: list[RecordedCall] = []
        self.deviations: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.setup_routes()

    def setup_routes(self) -> None:
        """Register the vendor's documented endpoints with `self.route(...)`."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, name: str, method: str, path: str, responder: Responder, **options: Any) -> Route:
        r = Route(name=name, method=method, path=path, responder=responder, **options)
        self.routes.append(r)
        return r

    def get_route(self, name: str) -> Route:
        return next(r for r in self.routes if r.name == name)

    def inject(self, route: str, *faults: Fault) -> None:
        """Answer the next calls of `route` with these faults, in order."""
        self.get_route(route).faults.extend(faults)

    def fail_until_cleared(self, route: str, fault: Fault) -> None:
        """Answer every call of `route` with `fault` until `clear_faults`."""
        self.get_route(route).sticky_fault = fault

    def clear_faults(self) -> None:
        for r in self.routes:
            r.faults.clear()
            r.sticky_fault = None

    def calls_to(self, route: str, answered: int | None = None) -> list[RecordedCall]:
        return [c for c in self.calls if c.route == route and (answered is None or c.answered == answered)]

    async def wait_for_calls(
        self, route: str, count: int = 1, within_s: float = 15.0, answered: int | None = None
    ) -> list[RecordedCall]:
        async with asyncio.timeout(within_s):
            while len(self.calls_to(route, answered)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.calls_to(route, answered)

    def assert_clean(self) -> None:
        assert not self.deviations, (
            f"{self.vendor} fake saw deviations from its documented API: {self.deviations}"
        )

    async def __aenter__(self) -> FakeVendorServer:
        app = web.Application(client_max_size=40 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _deviation(self, message: str) -> web.Response:
        self.deviations.append(message)
        return json_response({"fake_vendor_deviation": message}, status=400)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match is None or route.method != request.method:
                continue
            call = RecordedCall(
                route=route.name,
                method=request.method,
                path=request.path,
                params=match.groupdict(),
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
            )
            self.calls.append(call)
            response = await self._answer(route, request, call)
            call.answered = response.status
            return response
        return self._deviation(f"no documented endpoint {request.method} {request.path}")

    async def _answer(self, route: Route, request: web.Request, call: RecordedCall) -> web.StreamResponse:
        where = f"{route.name} ({request.method} {request.path})"
        fault = route.faults.pop(0) if route.faults else route.sticky_fault
        if fault is not None:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.status is not None:
                return json_response(
                    fault.body or {"code": "Fault", "message": "injected"}, fault.status, fault.headers
                )
        if route.auth is not None and (problem := route.auth(request)) is not None:
            return json_response({"code": "Unauthorized", "message": problem}, status=401)
        for name, rule in route.headers.items():
            value = request.headers.get(name)
            ok = value is not None and (
                rule.fullmatch(value) if isinstance(rule, re.Pattern) else value == rule
            )
            if not ok:
                return self._deviation(f"{where}: header {name}={value!r} does not match {rule!r}")
        problem = self._check_body(route, request, call)
        if problem is not None:
            return self._deviation(f"{where}: {problem}")
        result = route.responder(call)
        return await result if isinstance(result, Awaitable) else result

    def _check_body(self, route: Route, request: web.Request, call: RecordedCall) -> str | None:
        body = call.body
        if route.body_kind == "none":
            return f"expected no body, got {len(body)} bytes" if body else None
        if route.body_kind == "multipart":
            ctype = request.headers.get("Content-Type", "")
            return None if ctype.startswith("multipart/form-data") else f"expected multipart, got {ctype!r}"
        if route.body_kind == "form":
            if not request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                return "expected a form-encoded body"
            from urllib.parse import parse_qsl

            call.form = dict(parse_qsl(body.decode()))
            data: Any = call.form
        else:
            if route.body is None:
                return None
            if not request.headers.get("Content-Type", "").startswith("application/json"):
                return f"expected Content-Type application/json, got {request.headers.get('Content-Type')!r}"
            try:
                data = call.json = orjson.loads(body)
            except orjson.JSONDecodeError:
                return "body is not JSON"
        if route.body is not None:
            try:
                route.body.model_validate(data, strict=route.body_kind == "json")
            except ValidationError as exc:
                return f"body does not match {route.body.__name__}: {exc.errors(include_url=False)}"
        return None
