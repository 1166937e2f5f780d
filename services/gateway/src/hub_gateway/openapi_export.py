"""Export the gateway's OpenAPI document (`python -m hub_gateway.openapi_export`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hub_gateway.app import create_app
from hub_gateway.settings import GatewaySettings

EXPORT_PATH = Path(__file__).resolve().parents[2] / "openapi.json"


def current_document() -> dict[str, Any]:
    app = create_app(GatewaySettings(public_base_url="https://api.lextalent.ai"))
    document: dict[str, Any] = app.openapi_generated()  # type: ignore[attr-defined]
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    EXPORT_PATH.write_text(render(current_document()))
    sys.stdout.write(f"wrote {EXPORT_PATH}\n")
