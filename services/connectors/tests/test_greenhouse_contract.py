"""Greenhouse runs the shared connector contract suite."""

from __future__ import annotations

from typing import Any

import pytest
from fake_greenhouse import FakeGreenhouse

from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.testing.contract import ConnectorContract, ContractEnv
from hub_connectors.framework.testing.events import event_for, snapshot
from hub_connectors.framework.testing.fake_vendor import FakeVendorServer
from hub_connectors.greenhouse.connector import GreenhouseConnector, GreenhouseVendorSettings
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase
from hub_contracts.ids import new_assessment_id

pytestmark = pytest.mark.kafka


def greenhouse_vendor_settings(fake: FakeGreenhouse) -> GreenhouseVendorSettings:
    return GreenhouseVendorSettings(callback_url_prefixes=[fake.take_home_test_url("")])


class TestGreenhouseContract(ConnectorContract):
    connector_name = "greenhouse"
    push_route = "mark_completed"

    def valid_settings(self) -> dict[str, Any]:
        return {"scenario_ids": ["ma-due-diligence-v2", "contract-review-v3"]}

    def invalid_settings(self) -> dict[str, Any]:
        return {"scenario_ids": ["no-such-scenario"]}

    def make_fake_vendor(self) -> FakeVendorServer:
        fake = FakeGreenhouse()
        fake.follow_up_status = False
        return fake

    def vendor_settings(self, fake: FakeVendorServer) -> GreenhouseVendorSettings:
        assert isinstance(fake, FakeGreenhouse)
        return greenhouse_vendor_settings(fake)

    async def prepare_push(
        self, env: ContractEnv, integration: Integration
    ) -> tuple[EventBase, AssessmentLink]:
        fake = env.fake
        assert isinstance(fake, FakeGreenhouse)
        fake.api_key = env.api_key
        connector = env.running.connector("greenhouse")
        assert isinstance(connector, GreenhouseConnector)
        assessment_id = new_assessment_id()
        url = fake.take_home_test_url("4242")
        link = AssessmentLink(
            assessment_id=assessment_id,
            connector="greenhouse",
            integration_id=integration.id,
            account_id=env.account_id,
            livemode=True,
            vendor_ref=url,
            refs={
                "url": url,
                "partner_test_id": "ma-due-diligence-v2",
                "sealed_patch_auth": connector._seal_patch_credential(env.api_key),
            },
            created_at=utcnow(),
        )
        await env.running.ctx.links.claim(link)
        snap = snapshot(
            assessment_id, env.account_id, source="greenhouse", status=AssessmentStatus.COMPLETED, version=3
        )
        return event_for(snap), link
