"""SmartRecruiters translations: partner-endpoint bodies, the results body, 429 headers, the report PDF."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from hub_connectors.framework.testing.events import sample_results, snapshot
from hub_connectors.smartrecruiters.partner_models import (
    AssessmentOrder,
    order_accepted_body,
    packages_body,
)
from hub_connectors.smartrecruiters.report_pdf import pdf_bytes, report_pdf
from hub_connectors.smartrecruiters.results import results_body
from hub_connectors.smartrecruiters.throttle import RateLimitHeaders, credential_key
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.scenarios import SCENARIOS

ORDER = {
    "id": "ord-123",
    "assessmentPackageId": "ma-due-diligence-v2",
    "applicationId": "app-9",
    "candidate": {
        "id": "c1",
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "jane@example.com",
        "phone": "+1 555",
    },
    "company": {"id": "ACME", "name": "Acme LLP"},
    "job": {"id": "j1", "title": "Associate"},
    "requestor": {"firstName": "Rita", "email": "rita@acme.example"},
    "somethingNew": [1, 2],
}


def snap(status: AssessmentStatus, **kw: object) -> object:
    return snapshot(
        "asmt_7kX9mPqR2vNw", "acct_12345678", source="smartrecruiters", status=status, version=2, **kw
    )  # type: ignore[arg-type]


def test_order_parses_known_and_ignores_unknown_keys() -> None:
    order = AssessmentOrder.model_validate(ORDER)
    assert order.order_id == "ord-123"
    assert order.package == "ma-due-diligence-v2"
    assert order.candidate_name == "Jane Doe"
    assert order.company.id == "ACME"
    legacy = AssessmentOrder.model_validate(
        {**ORDER, "assessmentPackageId": None, "offer": {"catalogId": "contract-review-v1"}}
    )
    assert legacy.package == "contract-review-v1"


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in ORDER.items() if k != "id"},
        {**ORDER, "candidate": {"firstName": "x", "email": "not-an-email"}},
        {k: v for k, v in ORDER.items() if k != "company"},
    ],
)
def test_order_without_what_we_need_is_refused(broken: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AssessmentOrder.model_validate(broken)


def test_packages_and_accept_bodies() -> None:
    body = packages_body(list(SCENARIOS.values()))
    assert body["totalFound"] == len(SCENARIOS)
    assert {p["id"] for p in body["content"]} == set(SCENARIOS)
    accepted = order_accepted_body(AssessmentOrder.model_validate(ORDER), "asmt_7kX9mPqR2vNw", "https://x/c")
    assert accepted == {
        "orderId": "ord-123",
        "externalId": "asmt_7kX9mPqR2vNw",
        "status": "ACCEPTED",
        "assessmentUrl": "https://x/c",
    }


def test_results_body_for_completion() -> None:
    body = results_body(
        snap(AssessmentStatus.COMPLETED, results=sample_results(91)), push_status_updates=False
    )  # type: ignore[arg-type]
    assert body is not None
    assert body["status"] == "COMPLETED"
    assert body["score"] == 91
    assert body["scoreLabel"] == "Expert"
    assert body["resultUrl"] == "https://app.lextalent.ai/reports/rpt_123"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["completedOn"])
    assert body["details"][0] == {"name": "Verification of agent output", "score": 91}


@pytest.mark.parametrize(
    "status", [AssessmentStatus.IN_PROGRESS, AssessmentStatus.EXPIRED, AssessmentStatus.CANCELLED]
)
def test_status_updates_only_when_switched_on(status: AssessmentStatus) -> None:
    assert results_body(snap(status), push_status_updates=False) is None  # type: ignore[arg-type]
    body = results_body(snap(status), push_status_updates=True)  # type: ignore[arg-type]
    assert body is not None
    assert body["status"] == status.value.upper()
    assert results_body(snap(AssessmentStatus.PENDING), push_status_updates=True) is None  # type: ignore[arg-type]


def test_rate_limit_headers_and_cooldown() -> None:
    headers = RateLimitHeaders.parse(
        {
            "X-RateLimit-Limit": "10",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Concurrent-Limit": "8",
            "X-RateLimit-Concurrent-Remaining": "7",
        }
    )
    assert (headers.limit, headers.remaining, headers.concurrent_limit, headers.concurrent_remaining) == (
        10,
        0,
        8,
        7,
    )
    assert headers.cooldown_s(200) == 1.0
    assert RateLimitHeaders.parse({"Retry-After": "3"}).cooldown_s(429) == 3.0
    assert RateLimitHeaders.parse({}).cooldown_s(429) == 1.0
    assert RateLimitHeaders.parse({"X-RateLimit-Remaining": "5"}).cooldown_s(200) is None
    assert credential_key("client-a") != credential_key("client-b")
    assert "client-a" not in credential_key("client-a")


def test_report_pdf_is_a_pdf_naming_score_and_link() -> None:
    data = report_pdf(snap(AssessmentStatus.COMPLETED, results=sample_results(77)))  # type: ignore[arg-type]
    assert data.startswith(b"%PDF-1.4")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"Overall score: 77/100 \\(advanced\\)" in data
    assert b"https://app.lextalent.ai/reports/rpt_123" in data
    xref_at = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref_at : xref_at + 4] == b"xref"
    assert b"\\(x\\)" in pdf_bytes(["(x)"])
