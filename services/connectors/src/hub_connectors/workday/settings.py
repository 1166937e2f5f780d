"""What a customer configures for one Workday integration (non-secret part).

Workday has no status enum: statuses, tests and ID types are tenant data collected at onboarding
(ats-formats.md §3.5). Everything tenant-specific is in this one model, so one place decides how our
states become Workday references. The ISU user name and password are credentials, kept apart.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from hub_connectors.workday.references import WorkdayReference
from hub_contracts.assessment import AssessmentStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StatusReferences(_Frozen):
    """The tenant's Recruiting Assessment Status for each of our states; a missing state is not written."""

    pending: WorkdayReference | None = Field(default=None, description='Usually the "Invited" status')
    in_progress: WorkdayReference | None = None
    completed: WorkdayReference | None = None
    expired: WorkdayReference | None = None
    cancelled: WorkdayReference | None = None

    def for_status(self, status: AssessmentStatus) -> WorkdayReference | None:
        reference: WorkdayReference | None = getattr(self, status.value)
        return reference


class AssessmentTestMapping(_Frozen):
    """One Recruiting Assessment Test of the tenant (linked to our Integration System) and our scenario."""

    reference: WorkdayReference = Field(
        description="e.g. Recruiting_Assessment_Test_ID=RECRUITING_ASSESSMENT_TEST-6-111"
    )
    scenario_id: str = Field(min_length=1, max_length=100)


class NotificationFields(_Frozen):
    """Where each value sits in the tenant's notification payload (dotted paths for nested JSON or XML).

    Defaults follow the one public example (Criteria's Workday order, ats-formats.md §3.2).
    """

    candidate_email: str = "Candidate_Email"
    candidate_first_name: str | None = "Candidate_First_Name"
    candidate_last_name: str | None = "Candidate_Last_Name"
    candidate_name: str | None = Field(default=None, description="A full-name field, if the tenant sends one")
    candidate_id: str = "Candidate_ID"
    job_requisition_id: str | None = "Job_Requisition_ID"
    job_application_id: str | None = None
    assessment_id: str | None = "Assessment_ID"
    assessment_status: str | None = "Assessment_Status"
    test_reference: str | None = Field(
        default=None, description="Field naming the test, to pick the scenario"
    )


class WorkdayIntegrationSettings(_Frozen):
    services_url: HttpUrl = Field(
        description="The tenant's web-services host, e.g. https://wd2-impl-services1.workday.com",
    )
    tenant: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    api_version: str = Field(default="v46.0", pattern=r"^v\d{1,3}(\.\d{1,2})?$")
    overall_status: StatusReferences
    test_status: StatusReferences = StatusReferences()
    tests: tuple[AssessmentTestMapping, ...] = Field(min_length=1)
    default_scenario_id: str | None = Field(default=None, description="When the notification names no test")
    notification: NotificationFields = NotificationFields()
    trigger_statuses: tuple[str, ...] = Field(
        default=("Invited", "Initiated"),
        description="Values of the notification's status field that order an assessment (others are refused)",
    )
    candidate_id_type: str = "Candidate_ID"
    job_requisition_id_type: str = "Job_Requisition_ID"
    job_application_id_type: str = "WID"
    lookup: Literal["candidate", "job_application"] = Field(
        default="candidate",
        description="How Get_Assess_Candidate finds the entry: by candidate (+ requisition)"
        " or by job application reference",
    )
    date_timezone: str = Field(
        default="UTC", description="Time zone of Assessed_On_Date / Assessment_Test_Date"
    )
    send_test_url: bool = Field(default=True, description="Send our candidate URL as Assessment_Test_URL")

    @field_validator("date_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _needs_invite_and_completion(self) -> WorkdayIntegrationSettings:
        if self.overall_status.pending is None or self.overall_status.completed is None:
            raise ValueError("overall_status needs at least `pending` (Invited) and `completed`")
        references = [t.reference for t in self.tests]
        if len(references) != len(set(references)):
            raise ValueError("each Workday test reference may appear once in `tests`")
        if self.default_scenario_id is not None and self.test_for_scenario(self.default_scenario_id) is None:
            raise ValueError("default_scenario_id must be one of the scenarios in `tests`")
        return self

    @property
    def endpoint(self) -> str:
        """`https://{host}/ccx/service/{tenant}/Recruiting/{version}` (ats-formats.md §3.3)."""
        base = str(self.services_url).rstrip("/")
        return f"{base}/ccx/service/{self.tenant}/Recruiting/{self.api_version}"

    def scenario_for_test(self, reference: WorkdayReference) -> str | None:
        for test in self.tests:
            if test.reference == reference:
                return test.scenario_id
        return None

    def test_for_scenario(self, scenario_id: str) -> WorkdayReference | None:
        for test in self.tests:
            if test.scenario_id == scenario_id:
                return test.reference
        return None
