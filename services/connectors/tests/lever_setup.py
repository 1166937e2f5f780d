"""Connecting a Lever integration in tests: create it, run the OAuth consent, return it active."""

from __future__ import annotations

from typing import Any

from fake_lever import FakeLever, connect_through_browser

from hub_connectors.framework.testing.harness import InternalApi
from hub_connectors.lever.settings import LeverVendorSettings

SIGNATURE_TOKEN = "lever-webhook-signature-token-7f3a"
TRIGGER_STAGE = "7c2690d8-assessment-stage"


def lever_vendor_settings(fake: FakeLever) -> LeverVendorSettings:
    return LeverVendorSettings(
        client_id=fake.client_id,
        client_secret=fake.client_secret,  # type: ignore[arg-type]
        auth_base_url=fake.base_url,
        api_base_url=f"{fake.base_url}/v1",
    )


def lever_settings(**overrides: Any) -> dict[str, Any]:
    return {"trigger_stage_id": TRIGGER_STAGE, "scenario_id": "litigation-discovery-v1", **overrides}


async def connect_lever(api: InternalApi, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    created = await api.create("lever", settings or lever_settings(), {"signature_token": SIGNATURE_TOKEN})
    assert created["status"] == "pending_authorization"
    status, page = await connect_through_browser(created["connect"]["authorize_url"])
    assert status == 200, page
    _, view, _ = await api.call("GET", f"/{created['id']}")
    assert view["status"] == "active"
    assert view["connect"] is None
    return view
