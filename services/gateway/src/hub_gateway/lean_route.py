"""Routes whose endpoint takes the `Request` and returns a `Response` itself.

FastAPI's per-request machinery (parameter solving, stdlib JSON decoding of the body, then Python-mode
validation) costs more CPU than the rest of `POST /v1/assessments` together; a `LeanRoute` hands the
request straight to the endpoint, which validates its body with pydantic's own JSON parser
(`read_json_body`). Exception handlers, middleware and routing are unchanged. Such a route is
documented from its `openapi_extra` (see `json_request_body`), since its signature names no body.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from hub_gateway.problems import ProblemError

Model = TypeVar("Model", bound=BaseModel)

DOCUMENTED_BODIES: dict[str, type[BaseModel]] = {}


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


def json_request_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` describing a required JSON body of `model` (its schema joins the components)."""
    DOCUMENTED_BODIES[model.__name__] = model
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


async def read_json_body(request: Request, model: type[Model]) -> Model:
    """The body validated as `model`: 413 over the size limit, 415 unless JSON, 400 with field errors."""
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if getattr(request.state, "body_too_large", False):
        raise ProblemError(413, "payload_too_large", "The body is over 64 KB.")
    if "json" not in content_type:
        raise ProblemError(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None
