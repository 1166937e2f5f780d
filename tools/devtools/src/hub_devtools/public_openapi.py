"""The public OpenAPI document: the gateway's own operations, the management operations the gateway
forwards to their owning services (rewritten from `/internal/v1/…` to `/v1/…`), and the webhook
event catalogue in the `webhooks` section.

The gateway cannot import the other services, so this document is built here and committed as
package data of the gateway (`hub_gateway/public_openapi.json`), which serves it at `/openapi.json`.
`python -m hub_devtools.public_openapi` rewrites it; a test fails when it drifts from the code.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from hub_contracts.base import isoformat_z, utcnow
from hub_contracts.views import WebhookPayload
from hub_contracts.webhook_catalogue import webhook_catalogue
from hub_gateway.openapi_doc import IDEMPOTENCY_KEY_PARAMETER

PUBLIC_DOC_PATH = Path(__file__).resolve().parents[4] / "services/gateway/src/hub_gateway/public_openapi.json"
INTERNAL_HEADERS = {"authorization", "x-hub-account-id", "x-hub-livemode", "x-request-id"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _gateway_document() -> dict[str, Any]:
    from hub_gateway.app import create_app
    from hub_gateway.settings import GatewaySettings

    app = create_app(GatewaySettings(public_base_url="https://api.lextalent.ai"))
    return copy.deepcopy(app.openapi_generated())  # type: ignore[attr-defined]


def _internal_apps() -> list[tuple[str, FastAPI]]:
    from hub_connectors.app import create_app as connectors_app
    from hub_webhooks.app import create_app as webhooks_app

    return [("webhooks", webhooks_app()), ("integrations", connectors_app())]


def _merge_internal(doc: dict[str, Any], tag: str, internal: dict[str, Any]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    text = json.dumps(internal)
    for name, schema in internal.get("components", {}).get("schemas", {}).items():
        if name in schemas and schemas[name] != schema:
            renamed = f"{tag.capitalize()}{name}"
            text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{renamed}"')
    internal = json.loads(text)
    for name, schema in internal.get("components", {}).get("schemas", {}).items():
        schemas.setdefault(name, schema)
    for name in list(internal.get("components", {}).get("schemas", {})):
        if name.startswith(tag.capitalize()):
            schemas[name] = internal["components"]["schemas"][name]
    for path, operations in internal.get("paths", {}).items():
        if not path.startswith("/internal/v1/"):
            continue
        public_path = "/v1/" + path.removeprefix("/internal/v1/")
        for method, operation in operations.items():
            operation["parameters"] = [p for p in operation.get("parameters", [])
                                       if not (p.get("in") == "header" and p["name"].lower() in INTERNAL_HEADERS)]
            if not operation["parameters"]:
                operation.pop("parameters")
            operation["tags"] = [tag]
            operation["operationId"] = f"{tag}_{operation.get('operationId', '')}"
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, title in _problem_statuses(method, operation, public_path):
                responses.setdefault(status, {"description": title,
                                              "content": {"application/problem+json": {"schema": PROBLEM_REF}}})
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
        doc["paths"][public_path] = operations


def _problem_statuses(method: str, operation: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """The error answers a forwarded operation can give: the gateway's own (auth, plan, rate limit, an
    unreachable owner, an unexpected error) and the owner's (validation, unknown id, conflicts)."""
    statuses = [("401", "Unauthorized"), ("403", "Forbidden"), ("429", "Too Many Requests"),
                ("500", "Internal Server Error"), ("503", "Service Unavailable")]
    if operation.get("parameters") or "requestBody" in operation or method in ("post", "patch"):
        statuses.append(("400", "Bad Request"))
    if "{" in path or any(p.get("name", "").endswith("_id") for p in operation.get("parameters", [])):
        statuses.append(("404", "Not Found"))  # an unknown id, in the path or in a filter
    if method == "post":
        statuses.append(("409", "Conflict"))  # an Idempotency-Key used with another request
    return statuses


def _webhooks_section(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc["components"]["schemas"]
    payload_schema = WebhookPayload.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in payload_schema.pop("$defs", {}).items():
        schemas.setdefault(name, schema)
    schemas["WebhookPayload"] = payload_schema
    section: dict[str, Any] = {}
    for event in webhook_catalogue():
        example = {"id": "evt_3hK9xQ2mNpR7sT1vW4yZ6bC8", "type": event.name, "timestamp": isoformat_z(utcnow()),
                   "data": {"id": "asmt_7kX9mPqR2vNw", "object": "assessment", "status": event.name.split(".")[-1]}}
        section[event.name] = {"post": {
            "summary": event.name,
            "description": event.description + " Signed with Standard Webhooks headers `webhook-id` (the same on "
                           "every retry), `webhook-timestamp` and `webhook-signature` (`v1,` + base64 HMAC-SHA256 "
                           "of `id.timestamp.body` with your `whsec_` secret).",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookPayload"}, "example": example}}},
            "responses": {"2XX": {"description": "Received. Anything else (including 3xx) is retried for about "
                                                 "3 days; 410 disables the endpoint."}},
        }}
    return section


def build() -> dict[str, Any]:
    doc = _gateway_document()
    for tag, app in _internal_apps():
        _merge_internal(doc, tag, app.openapi())
    doc["webhooks"] = _webhooks_section(doc)
    for item in doc["webhooks"].values():
        item["post"]["requestBody"]["content"]["application/json"]["example"]["timestamp"] = "2026-02-23T10:30:00Z"
    return doc


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    PUBLIC_DOC_PATH.write_text(render(build()))
    sys.stdout.write(f"wrote {PUBLIC_DOC_PATH}\n")
