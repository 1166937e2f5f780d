"""OpenAPI 3.1 customisation: bearer security scheme and the problem schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from hub_gateway.lean_route import DOCUMENTED_BODIES
from hub_gateway.problems import Problem

PUBLIC_DOCUMENT = Path(__file__).with_name("public_openapi.json")

IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Retry safely: the same key with the same request within 24 h replays the first answer "
                   "(with `Idempotent-Replayed: true`); the same key with another request is a 409 "
                   "`idempotency_conflict`. Answers of 500 and above are not kept, so a retry runs again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "6c2d3a0e-8f4b-4c55-9a7e-1f0b2d3c4e5f",
}


def customise_openapi(app: FastAPI) -> None:
    """`app.openapi()` serves the public document (the gateway's operations plus the forwarded
    management APIs and the webhook catalogue, built by `hub_devtools.public_openapi`);
    `app.openapi_generated()` is what this app alone generates."""

    def openapi() -> dict[str, Any]:
        if PUBLIC_DOCUMENT.exists():
            document: dict[str, Any] = json.loads(PUBLIC_DOCUMENT.read_text())
            return document
        return generated()

    def generated() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, servers=app.servers)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        models: list[type[BaseModel]] = [Problem, *DOCUMENTED_BODIES.values()]
        for model in models:
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(model_schema.pop("$defs", {}))
            schemas[model.__name__] = model_schema
        components["schemas"] = dict(sorted(schemas.items()))
        components["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "lt_sk_live_… / lt_sk_test_…"}
        }
        schema["security"] = [{"bearerAuth": []}]
        for path in schema.get("paths", {}).values():
            for method, operation in path.items():
                responses = operation.get("responses", {})
                responses.pop("422", None)
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.openapi_generated = generated  # type: ignore[attr-defined]
