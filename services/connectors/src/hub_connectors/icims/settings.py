"""What a customer configures for one iCIMS integration (non-secret part).

Every list value is tenant data (iCIMS list nodes; ats-formats.md §4.3, §4.5), collected at onboarding:
the `assessmentname` node per scenario and the `assessmentstatus` node per state. Uncertain parts of
the write-back (a URL field, new row vs update) are switches here, in one place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub_contracts.assessment import AssessmentStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IcimsRegion(StrEnum):
    US = "us"  # api.icims.com
    EU = "eu"  # api-eu.icims.com: tenants hosted in the EU must use it


AuthMode = Literal["basic", "oauth2", "hmac"]


class ListNode(_Frozen):
    """A node of a tenant list (LISTEDITOR_SINGLE): iCIMS writes and reads `{"id": …}`."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$", examples=["D37002019001"])
    label: str | None = Field(default=None, max_length=100, description="What the tenant shows, for humans")


class StatusNodes(_Frozen):
    """`assessmentstatus` node per state; a state without a node is not written."""

    pending: ListNode | None = Field(default=None, description='Usually "Sent"')
    in_progress: ListNode | None = Field(default=None, description='"In Progress", if the tenant list has it')
    completed: ListNode | None = Field(default=None, description='Usually "Complete"')
    expired: ListNode | None = None
    cancelled: ListNode | None = None

    def for_status(self, status: AssessmentStatus) -> ListNode | None:
        node: ListNode | None = getattr(self, status.value)
        return node


class PackageMapping(_Frozen):
    """A LexTalent scenario, the `assessmentname` node it is written as, and how a job asks for it."""

    scenario_id: str = Field(min_length=1, max_length=100)
    assessment_name: ListNode
    job_assessment_types: tuple[str, ...] = Field(
        default=(),
        description="Values or node ids of the job's `assessmenttype` field that order this scenario",
    )


class IcimsIntegrationSettings(_Frozen):
    customer_id: str = Field(pattern=r"^\d{1,12}$", description="The iCIMS customer id in every API path")
    region: IcimsRegion = IcimsRegion.US
    api_auth: AuthMode = Field(default="basic", description="How we call the iCIMS REST API")
    event_auth: AuthMode = Field(default="basic", description="How iCIMS authenticates its event POSTs to us")
    packages: tuple[PackageMapping, ...] = Field(min_length=1)
    default_scenario_id: str | None = Field(default=None, description="When the job names no known package")
    statuses: StatusNodes
    trigger_statuses: tuple[str, ...] = Field(
        default=(),
        description="Status Flow Update `newStatus` ids that order an assessment (empty: any)",
    )
    url_field: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_]{1,40}$",
        description="Field of `assessmentresults` for the report link, once the tenant confirms one "
        "(the reference cannot confirm `assessmenturl`); otherwise the link goes into `assessmentnotes`",
    )
    row_mode: Literal["update", "new_row"] = Field(
        default="update",
        description="update: one row per assessment, PATCHed by the group id from `Location`; "
        "new_row: a new row per status change",
    )

    @model_validator(mode="after")
    def _complete(self) -> IcimsIntegrationSettings:
        if self.statuses.pending is None or self.statuses.completed is None:
            raise ValueError("statuses needs at least `pending` (Sent) and `completed` (Complete)")
        scenarios = [p.scenario_id for p in self.packages]
        if len(scenarios) != len(set(scenarios)):
            raise ValueError("each scenario may appear once in `packages`")
        if self.default_scenario_id is not None and self.default_scenario_id not in scenarios:
            raise ValueError("default_scenario_id must be one of the scenarios in `packages`")
        return self

    def package_for_scenario(self, scenario_id: str) -> PackageMapping | None:
        return next((p for p in self.packages if p.scenario_id == scenario_id), None)

    def scenario_for_job(self, assessment_types: list[str]) -> str | None:
        """The first package the job's `assessmenttype` values ask for, else the default (or the only one)."""
        wanted = set(assessment_types)
        for package in self.packages:
            if wanted & set(package.job_assessment_types):
                return package.scenario_id
        if self.default_scenario_id is not None:
            return self.default_scenario_id
        return self.packages[0].scenario_id if len(self.packages) == 1 else None
