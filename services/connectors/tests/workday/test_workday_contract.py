"""Workday runs the shared connector contract suite against the fake Workday."""

from __future__ import annotations

from typing import Any

import pytest
from fake_workday import TEST_ID, TEST_ID_TYPE, FakeWorkday

from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.testing.contract import ConnectorContract, ContractEnv
from hub_connectors.framework.testing.events import event_for, snapshot
from hub_connectors.framework.testing.fake_vendor import FakeVendorServer
from hub_connectors.workday.connector import WorkdayVendorSettings
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.base import utcnow
from hub_contracts.events import EventBase
from hub_contracts.ids import new_assessment_id

pytestmark = pytest.mark.kafka


def workday_settings(services_url: str = "https://wd2-impl-services1.workday.com") -> dict[str, Any]:
    def wid(value: str) -> dict[str, str]:
        return {"id_type": "WID", "value": value}

    return {
        "services_url": services_url,
        "tenant": "acme_impl",
        "api_version": "v46.0",
        "overall_status": {
            "pending": wid("invited-wid"),
            "in_progress": wid("inprogress-wid"),
            "completed": wid("completed-wid"),
            "expired": wid("expired-wid"),
        },
        "test_status": {"completed": wid("passed-wid")},
        "tests": [
            {"reference": {"id_type": TEST_ID_TYPE, "value": TEST_ID}, "scenario_id": "ma-due-diligence-v2"}
        ],
    }


WORKDAY_CREDENTIALS = {"isu_username": "isu_lextalent", "isu_password": "wd-isu-Pa55word!"}


def workday_vendor_settings() -> WorkdayVendorSettings:
    return WorkdayVendorSettings(allowed_host_suffixes=["127.0.0.1"], allow_http=True)


class TestWorkdayContract(ConnectorContract):
    connector_name = "workday"
    push_route = "soap"

    def valid_settings(self) -> dict[str, Any]:
        return workday_settings()

    def invalid_settings(self) -> dict[str, Any]:
        settings = workday_settings()
        settings["overall_status"] = {"completed": {"id_type": "WID", "value": "x"}}  # no invite status
        settings["date_timezone"] = "Mars/Olympus"
        return settings

    def valid_credentials(self) -> dict[str, Any]:
        return dict(WORKDAY_CREDENTIALS)

    def make_fake_vendor(self) -> FakeVendorServer:
        return FakeWorkday()

    def vendor_settings(self, fake: FakeVendorServer) -> WorkdayVendorSettings:
        return workday_vendor_settings()

    async def activate(self, env: ContractEnv, integration: Integration) -> Integration:
        """Point the integration at the fake (the contract creates it with a real-looking host)."""
        return await env.running.ctx.integrations.save(
            integration.model_copy(update={"settings": workday_settings(env.fake.base_url)})
        )

    async def prepare_push(
        self, env: ContractEnv, integration: Integration
    ) -> tuple[EventBase, AssessmentLink]:
        fake = env.fake
        assert isinstance(fake, FakeWorkday)
        fake.add_entry("C00001", "R00001")
        assessment_id = new_assessment_id()
        link = AssessmentLink(
            assessment_id=assessment_id,
            connector="workday",
            integration_id=integration.id,
            account_id=env.account_id,
            livemode=True,
            vendor_ref=f"C00001|R00001||{TEST_ID}",
            refs={
                "candidate": {"id_type": "Candidate_ID", "value": "C00001"},
                "job_requisition": {"id_type": "Job_Requisition_ID", "value": "R00001"},
                "job_application": None,
                "assessment_id": None,
                "test": {"id_type": TEST_ID_TYPE, "value": TEST_ID},
            },
            created_at=utcnow(),
        )
        await env.running.ctx.links.claim(link)
        snap = snapshot(
            assessment_id, env.account_id, source="workday", status=AssessmentStatus.COMPLETED, version=3
        )
        return event_for(snap), link
