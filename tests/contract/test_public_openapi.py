"""The public OpenAPI document served by the gateway is current and complete."""

from __future__ import annotations

import json

from hub_contracts.webhook_catalogue import webhook_event_names
from hub_devtools.public_openapi import PUBLIC_DOC_PATH, build, render


def test_committed_public_document_matches_the_code() -> None:
    assert PUBLIC_DOC_PATH.read_text() == render(build()), "run scripts/export-docs"


def test_public_document_covers_management_apis_and_the_webhook_catalogue() -> None:
    doc = json.loads(PUBLIC_DOC_PATH.read_text())
    paths = set(doc["paths"])
    assert {"/v1/assessments", "/v1/assessments/{assessment_id}", "/v1/scenarios", "/v1/integrations",
            "/v1/webhook-endpoints", "/v1/webhook-deliveries"} <= paths
    assert set(doc["webhooks"]) == set(webhook_event_names())
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            names = {p["name"].lower() for p in operation.get("parameters", [])}
            assert not names & {"x-hub-account-id", "x-hub-livemode"}, path
            assert "422" not in operation["responses"], path
