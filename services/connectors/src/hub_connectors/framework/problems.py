"""RFC 9457 problem details, the error format of the internal management API."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

PROBLEM_TYPE = "https://docs.lextalent.ai/errors/"


class ProblemError(Exception):
    def __init__(
        self, status: int, code: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors or []


def request_id(request: Request) -> str | None:
    return request.headers.get("X-Request-Id")


def problem_response(problem: ProblemError, request: Request) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE}{problem.code}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "request_id": request_id(request),
    }
    if problem.errors:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type="application/problem+json")


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {
            "field": ".".join([p for p in (prefix,) if p] + [str(x) for x in e["loc"]]) or "body",
            "message": e["msg"],
        }
        for e in exc.errors(include_url=False, include_input=False)
    ]


def bad_request(detail: str, errors: list[dict[str, str]] | None = None) -> ProblemError:
    return ProblemError(400, "invalid_request", "Invalid request", detail, errors)


def not_found(what: str = "integration") -> ProblemError:
    return ProblemError(404, "resource_not_found", "Not found", f"No such {what}.")
