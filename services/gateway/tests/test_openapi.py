"""The exported OpenAPI document is the code's, and it documents what callers rely on."""

from __future__ import annotations

import json

from hub_gateway.openapi_export import EXPORT_PATH, current_document, render


def test_export_matches_the_code() -> None:
    assert EXPORT_PATH.read_text() == render(current_document()), "run scripts/export-docs"


def test_document_describes_auth_errors_and_no_422() -> None:
    doc = json.loads(EXPORT_PATH.read_text())
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = doc["paths"]["/v1/assessments"]["post"]
    assert {"201", "400", "401", "403", "429", "503"} <= set(create["responses"])
    for path in doc["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
    created = doc["components"]["schemas"]["AssessmentCreatedResponse"]
    assert set(created["properties"]) == {"id", "status", "candidate_url", "expires_at", "created_at"}
