"""SmartRecruiters runs the shared connector contract suite against the fake SmartRecruiters."""

from __future__ import annotations

from typing import Any

import pytest
from fake_smartrecruiters import FakeSmartRecruiters

from hub_connectors.framework.integrations import Integration, IntegrationStatus
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.testing.contract import ConnectorContract, ContractEnv
from hub_connectors.framework.testing.events import event_for, snapshot
from hub_connectors.framework.testing.fake_vendor import FakeVendorServer
from hub_connectors.smartrecruiters.connector import SmartRecruitersVendorSettings
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase
from hub_contracts.ids import new_assessment_id

pytestmark = pytest.mark.kafka

INBOUND = ("smartrecruiters-at-lextalent", "INBOUND-secret-456")


def sr_settings(**overrides: Any) -> dict[str, Any]:
    return {
        "company_id": "ACME",
        "scenario_ids": [],
        "push_status_updates": True,
        "attach_report": True,
    } | overrides


def sr_vendor_settings(fake: FakeVendorServer) -> SmartRecruitersVendorSettings:
    assert isinstance(fake, FakeSmartRecruiters)
    return SmartRecruitersVendorSettings(
        api_base=fake.base_url,
        token_url=f"{fake.base_url}/identity/oauth/token",
        partner_client_id=fake.partner_client[0],
        partner_client_secret=fake.partner_client[1],  # type: ignore[arg-type]
        inbound_client_id=INBOUND[0],
        inbound_client_secret=INBOUND[1],  # type: ignore[arg-type]
    )


class TestSmartRecruitersContract(ConnectorContract):
    connector_name = "smartrecruiters"
    push_route = "results"

    def valid_settings(self) -> dict[str, Any]:
        return sr_settings()

    def invalid_settings(self) -> dict[str, Any]:
        return sr_settings(company_id="not a company id!", scenario_ids=["no-such-scenario"])

    def valid_credentials(self) -> dict[str, Any]:
        return {"client_id": "acme-customer-client", "client_secret": "CUSTOMER-secret-789"}

    def make_fake_vendor(self) -> FakeVendorServer:
        fake = FakeSmartRecruiters()
        fake.clients["acme-customer-client"] = "CUSTOMER-secret-789"
        return fake

    def vendor_settings(self, fake: FakeVendorServer) -> SmartRecruitersVendorSettings:
        return sr_vendor_settings(fake)

    async def activate(self, env: ContractEnv, integration: Integration) -> Integration:
        """The consent flow, as the customer's admin completes it in the browser."""
        async with env.session.post(
            env.running.url("/connectors/smartrecruiters/integration"),
            data={"company_id": "ACME", "api_key": env.api_key},
        ) as resp:
            assert resp.status == 200, await resp.text()
        activated = await env.running.ctx.integrations.get(integration.id)
        assert activated is not None
        assert activated.status is IntegrationStatus.ACTIVE
        return activated

    async def prepare_push(
        self, env: ContractEnv, integration: Integration
    ) -> tuple[EventBase, AssessmentLink]:
        fake = env.fake
        assert isinstance(fake, FakeSmartRecruiters)
        fake.order("ord-contract")
        assessment_id = new_assessment_id()
        link = AssessmentLink(
            assessment_id=assessment_id,
            connector="smartrecruiters",
            integration_id=integration.id,
            account_id=env.account_id,
            livemode=True,
            vendor_ref="ACME:ord-contract",
            refs={"order_id": "ord-contract", "company_id": "ACME", "inline": False},
            created_at=utcnow(),
        )
        await env.running.ctx.links.claim(link)
        snap = snapshot(
            assessment_id,
            env.account_id,
            source="smartrecruiters",
            status=AssessmentStatus.COMPLETED,
            version=3,
        )
        return event_for(snap), link
