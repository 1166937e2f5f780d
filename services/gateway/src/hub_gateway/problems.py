"""RFC 9457 problem details: one error shape for every failure, with a stable `code`."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
ERROR_DOCS = "https://docs.lextalent.ai/errors/"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class FieldError(BaseModel):
    field: str = Field(examples=["candidate_email"])
    message: str = Field(examples=["value is not a valid email address"])


class Problem(BaseModel):
    """An error (RFC 9457). `code` is stable and safe to switch on; `detail` is for humans."""

    type: str = Field(examples=["https://docs.lextalent.ai/errors/invalid_request"])
    title: str = Field(examples=["Bad Request"])
    status: int = Field(examples=[400])
    detail: str = Field(examples=["candidate_email: value is not a valid email address"])
    code: str = Field(examples=["invalid_request"])
    request_id: str = Field(examples=["req_4f9c2a7b1d3e5f60"])
    errors: list[FieldError] = Field(default_factory=list)


class ProblemError(Exception):
    def __init__(self, status: int, code: str, detail: str, *, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "req_unknown"))


# Stable codes of the errors HTTP frameworks raise themselves (ours, and the owners' of forwarded routes).
HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                    415: "unsupported_media_type"}


def problem_response(request: Request, error: ProblemError) -> JSONResponse:
    return problem_json(request_id_of(request), error)


def problem_json(request_id: str, error: ProblemError) -> JSONResponse:
    body = Problem(
        type=ERROR_DOCS + error.code, title=TITLES.get(error.status, "Error"), status=error.status,
        detail=error.detail, code=error.code, request_id=request_id, errors=error.errors,
    )
    return JSONResponse(body.model_dump(), status_code=error.status, media_type=PROBLEM_JSON,
                        headers=error.headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_problem(exc: RequestValidationError) -> ProblemError:
    errors: list[FieldError] = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif err.get("type") == "json_invalid":
            return ProblemError(400, "invalid_json", "The request body is not valid JSON.")
        errors.append(FieldError(field=_field_path(tuple(err.get("loc", ()))), message=msg))
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5]) or "invalid request"
    return ProblemError(400, "invalid_request", detail, errors=errors)


async def on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(request, validation_problem(exc))


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
    detail = "No such endpoint." if exc.status_code == 404 else str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(request, ProblemError(exc.status_code, code, detail, headers=headers))


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves on this path (Starlette names only the first route's)."""
    from starlette.routing import Match, Route

    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches({**request.scope, "method": next(iter(route.methods))})
            if match is Match.FULL:
                methods |= route.methods
    return sorted(methods)


def internal_error_response(request_id: str) -> JSONResponse:
    """The 500 of an unexpected error: a problem body that shows nothing of the error itself."""
    return problem_json(request_id, ProblemError(500, "internal_error",
                                                 "Something went wrong on our side. Retry with backoff."))


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Last resort (the request-id middleware answers unexpected errors before this one is reached)."""
    import structlog

    structlog.get_logger(__name__).exception("request.unhandled", path=request.url.path)
    return internal_error_response(request_id_of(request))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses."""
    return {s: {"model": Problem, "description": TITLES.get(s, "Error"),
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in statuses}
