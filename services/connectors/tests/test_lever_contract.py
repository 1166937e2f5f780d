"""Lever runs the shared connector contract suite."""

from __future__ import annotations

from typing import Any

import pytest
from fake_lever import FakeLever
from lever_setup import SIGNATURE_TOKEN, lever_settings, lever_vendor_settings

from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.testing.contract import ConnectorContract, ContractEnv
from hub_connectors.framework.testing.events import event_for, snapshot
from hub_connectors.framework.testing.fake_vendor import FakeVendorServer
from hub_connectors.lever.settings import LeverVendorSettings
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase
from hub_contracts.ids import new_assessment_id

pytestmark = pytest.mark.kafka


class TestLeverContract(ConnectorContract):
    connector_name = "lever"
    push_route = "add_tags"

    def valid_settings(self) -> dict[str, Any]:
        return lever_settings(tags={"completed": "ARS done"})

    def invalid_settings(self) -> dict[str, Any]:
        return {"trigger_stage_id": "", "scenario_id": "nope", "tags": {"unknown_state": "x"}}

    def valid_credentials(self) -> dict[str, Any]:
        return {"signature_token": SIGNATURE_TOKEN}

    def make_fake_vendor(self) -> FakeVendorServer:
        return FakeLever()

    def vendor_settings(self, fake: FakeVendorServer) -> LeverVendorSettings:
        assert isinstance(fake, FakeLever)
        return lever_vendor_settings(fake)

    async def activate(self, env: ContractEnv, integration: Integration) -> Integration:
        from fake_lever import connect_through_browser

        _, view, _ = await env.api.call("GET", f"/{integration.id}")
        status, page = await connect_through_browser(view["connect"]["authorize_url"])
        assert status == 200, page
        active = await env.running.ctx.integrations.get(integration.id)
        assert active is not None
        assert active.active
        return active

    async def prepare_push(
        self, env: ContractEnv, integration: Integration
    ) -> tuple[EventBase, AssessmentLink]:
        fake = env.fake
        assert isinstance(fake, FakeLever)
        opportunity_id = fake.add_opportunity()
        assessment_id = new_assessment_id()
        link = AssessmentLink(
            assessment_id=assessment_id,
            connector="lever",
            integration_id=integration.id,
            account_id=env.account_id,
            livemode=True,
            vendor_ref=opportunity_id,
            refs={"opportunity_id": opportunity_id},
            created_at=utcnow(),
        )
        await env.running.ctx.links.claim(link)
        snap = snapshot(
            assessment_id, env.account_id, source="lever", status=AssessmentStatus.IN_PROGRESS, version=2
        )
        return event_for(snap), link
