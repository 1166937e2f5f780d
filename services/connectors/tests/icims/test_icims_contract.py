"""iCIMS runs the shared connector contract suite against the fake iCIMS."""

from __future__ import annotations

from typing import Any

import pytest
from fake_icims import FakeIcims

from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.testing.contract import ConnectorContract, ContractEnv
from hub_connectors.framework.testing.events import event_for, snapshot
from hub_connectors.framework.testing.fake_vendor import FakeVendorServer
from hub_connectors.icims.connector import IcimsVendorSettings
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase
from hub_contracts.ids import new_assessment_id

pytestmark = pytest.mark.kafka


def icims_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "customer_id": "2187",
        "region": "us",
        "api_auth": "basic",
        "event_auth": "basic",
        "packages": [
            {
                "scenario_id": "ma-due-diligence-v2",
                "assessment_name": {"id": "D37002019001"},
                "job_assessment_types": ["C51234"],
            }
        ],
        "statuses": {
            "pending": {"id": "D37002020001", "label": "Sent"},
            "in_progress": {"id": "D37002020002", "label": "In Progress"},
            "completed": {"id": "D37002020003", "label": "Complete"},
        },
    }
    settings.update(overrides)
    return settings


def icims_credentials(fake: FakeIcims | None = None) -> dict[str, Any]:
    fake = fake or FakeIcims()
    return {
        "api_username": fake.api_user,
        "api_password": fake.api_password,
        "api_client_id": fake.client_id,
        "api_client_secret": fake.client_secret,
        "api_hmac_user": fake.hmac_user,
        "api_hmac_secret": fake.hmac_secret,
        "event_username": "icims_events",
        "event_password": "EVENTS-pa55word-1",
        "event_client_id": "icims-events-client",
        "event_client_secret": "EVENTS-client-secret-1",
        "event_hmac_user": "icims_hmac_events",
        "event_hmac_secret": "EVENTS-hmac-secret-1",
    }


def icims_vendor_settings(fake: FakeVendorServer) -> IcimsVendorSettings:
    return IcimsVendorSettings(
        us_api_base=fake.base_url,
        eu_api_base=fake.base_url,
        oauth_token_url=f"{fake.base_url}/oauth/token",
        intake_block_ms=100,
        intake_retry_delay_s=0.05,
    )


class TestIcimsContract(ConnectorContract):
    connector_name = "icims"
    push_route = "add_row"

    def valid_settings(self) -> dict[str, Any]:
        return icims_settings()

    def invalid_settings(self) -> dict[str, Any]:
        return icims_settings(customer_id="not-a-number", statuses={"completed": {"id": "X"}})

    def valid_credentials(self) -> dict[str, Any]:
        return icims_credentials()

    def make_fake_vendor(self) -> FakeVendorServer:
        return FakeIcims()

    def vendor_settings(self, fake: FakeVendorServer) -> IcimsVendorSettings:
        return icims_vendor_settings(fake)

    async def prepare_push(
        self, env: ContractEnv, integration: Integration
    ) -> tuple[EventBase, AssessmentLink]:
        assessment_id = new_assessment_id()
        link = AssessmentLink(
            assessment_id=assessment_id,
            connector="icims",
            integration_id=integration.id,
            account_id=env.account_id,
            livemode=True,
            vendor_ref="2187:13820",
            refs={"customer_id": "2187", "workflow_id": "13820", "links": {}, "kind": "status_flow_update"},
            created_at=utcnow(),
        )
        await env.running.ctx.links.claim(link)
        snap = snapshot(
            assessment_id, env.account_id, source="icims", status=AssessmentStatus.COMPLETED, version=3
        )
        return event_for(snap), link
