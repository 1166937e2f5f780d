"""JSON Schemas of every published message, exported into `contracts/schemas/`, and the rule that
keeps them compatible: a newer schema may add optional fields and enum values, nothing else.

`python -m hub_contracts.schemas` rewrites the exported files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hub_contracts.activity import CandidateActivity
from hub_contracts.commands import CancelAssessment, CreateAssessment, ExtendAssessment, SimulateAssessment
from hub_contracts.events import EVENT_CLASSES
from hub_contracts.read_model import CommandOutcome
from hub_contracts.scoring import ScoringResultReported
from hub_contracts.views import AssessmentView, WebhookPayload
from hub_contracts.webhook_catalogue import WebhookTestPayload

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

PUBLISHED: dict[str, type[BaseModel]] = {
    **EVENT_CLASSES,
    CreateAssessment.model_fields["type"].default: CreateAssessment,
    CancelAssessment.model_fields["type"].default: CancelAssessment,
    ExtendAssessment.model_fields["type"].default: ExtendAssessment,
    SimulateAssessment.model_fields["type"].default: SimulateAssessment,
    CandidateActivity.model_fields["type"].default: CandidateActivity,
    ScoringResultReported.model_fields["type"].default: ScoringResultReported,
    "ai.lextalent.read-model.command-outcome.v1": CommandOutcome,
    "ai.lextalent.view.assessment.v1": AssessmentView,
    "ai.lextalent.view.webhook-payload.v1": WebhookPayload,
    "ai.lextalent.view.webhook-test-payload.v1": WebhookTestPayload,
}


def current_schemas() -> dict[str, dict[str, Any]]:
    return {name: cls.model_json_schema(mode="serialization") for name, cls in PUBLISHED.items()}


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in current_schemas().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return schema


def compatibility_errors(
    old: dict[str, Any], new: dict[str, Any], path: str = "", old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None, depth: int = 0,
) -> list[str]:
    """Why `new` would break a consumer or producer written against `old` (empty when compatible)."""
    old_root = old_root or old
    new_root = new_root or new
    if depth > 30:
        return []
    old = _resolve(old, old_root)
    new = _resolve(new, new_root)
    errors: list[str] = []
    where = path or "<root>"
    if old.get("type") != new.get("type"):
        errors.append(f"{where}: type changed from {old.get('type')!r} to {new.get('type')!r}")
    if "const" in old and old.get("const") != new.get("const"):
        errors.append(f"{where}: const changed")
    if "enum" in old:
        missing = set(map(str, old["enum"])) - set(map(str, new.get("enum", [])))
        if missing:
            errors.append(f"{where}: enum values removed: {sorted(missing)}")
    new_required = set(new.get("required", [])) - set(old.get("required", []))
    if new_required:
        errors.append(f"{where}: new required fields {sorted(new_required)}")
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            errors.append(f"{where}.{name}: field removed")
            continue
        errors.extend(compatibility_errors(old_prop, new_props[name], f"{path}.{name}", old_root, new_root,
                                           depth + 1))
    for key in ("items",):
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            errors.extend(compatibility_errors(old[key], new[key], f"{path}[]", old_root, new_root, depth + 1))
    for key in ("anyOf", "oneOf"):
        if key in old:
            old_n, new_n = len(old[key]), len(new.get(key, []))
            if new_n < old_n:
                errors.append(f"{where}: {key} alternatives removed")
    return errors


if __name__ == "__main__":
    for written_path in export():
        sys.stdout.write(f"wrote {written_path}\n")
