"""Bodies of the partner endpoints SmartRecruiters calls (ats-formats.md §5.2, §5.3).

The endpoint inventory is official; the request and response SCHEMAS are not public (§5.5). What is
below is our reading, kept in this module only: field names follow SmartRecruiters' JSON conventions
(camelCase, ISO-8601) and the legacy `AssessmentOrder` (id, candidate, job, company, requestor,
offer.catalogId). Unknown keys are accepted and ignored, so a richer real payload still parses;
aliases accept the spellings we think likely. Confirm against the registry schemas at certification.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, EmailStr, Field

from hub_contracts.scenarios import Scenario


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class OrderCandidate(_Inbound):
    id: str | None = None
    first_name: str = Field(default="", alias="firstName", max_length=100)
    last_name: str = Field(default="", alias="lastName", max_length=100)
    email: EmailStr


class OrderCompany(_Inbound):
    id: str = Field(min_length=1, max_length=100)
    name: str | None = None


class OrderJob(_Inbound):
    id: str | None = None
    name: str | None = Field(default=None, validation_alias=AliasChoices("name", "title"))


class OrderOffer(_Inbound):
    catalog_id: str = Field(alias="catalogId")


class AssessmentOrder(_Inbound):
    """`POST /packages/orders` (and `/packages/inline/orders`)."""

    order_id: str = Field(min_length=1, max_length=100, validation_alias=AliasChoices("orderId", "id"))
    package_id: str | None = Field(
        default=None, validation_alias=AliasChoices("assessmentPackageId", "packageId")
    )
    offer: OrderOffer | None = None  # legacy spelling of the package
    application_id: str | None = Field(default=None, validation_alias=AliasChoices("applicationId"))
    candidate: OrderCandidate
    company: OrderCompany
    job: OrderJob | None = None

    @property
    def package(self) -> str | None:
        return self.package_id or (self.offer.catalog_id if self.offer else None)

    @property
    def candidate_name(self) -> str:
        name = f"{self.candidate.first_name} {self.candidate.last_name}".strip()
        return name or str(self.candidate.email)


def package_body(scenario: Scenario) -> dict[str, Any]:
    """One package of `GET /packages` / `GET /packages/{id}`."""
    return {
        "id": scenario.id,
        "name": scenario.name,
        "description": scenario.description,
        "durationMinutes": scenario.duration_minutes,
        "type": "ASSESSMENT",
    }


def packages_body(scenarios: list[Scenario]) -> dict[str, Any]:
    """SmartRecruiters' list envelope (`totalFound` + `content`), as its public list endpoints use."""
    return {"totalFound": len(scenarios), "content": [package_body(s) for s in scenarios]}


def order_accepted_body(order: AssessmentOrder, assessment_id: str, candidate_url: str) -> dict[str, Any]:
    """Our 201 to an order: the order id echoed, our id, and the link the candidate uses."""
    return {
        "orderId": order.order_id,
        "externalId": assessment_id,
        "status": "ACCEPTED",
        "assessmentUrl": candidate_url,
    }


class TokenRequest(_Inbound):
    """`POST /oauth/token` (form-encoded, client credentials), as SmartRecruiters asks us for a token."""

    grant_type: str
    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
