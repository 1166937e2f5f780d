"""iCIMS translations: events in, the assessmentresults row out, dates and lengths, HMAC, hosts."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icims_fixtures import fixed_snapshot, make_icims_settings

from hub_connectors.framework.testing.events import sample_results
from hub_connectors.icims import hmac_auth
from hub_connectors.icims.events import EventKind, InvalidEventError, gzip_json, parse_event
from hub_connectors.icims.formats import NOTES_MAX, RESULT_MAX, fit, icims_datetime, parse_icims_datetime
from hub_connectors.icims.hosts import PUBLIC_HOSTS, customer_base, link_is_for_customer
from hub_connectors.icims.inbound_auth import basic_credentials, check_basic
from hub_connectors.icims.profiles import ProfileError, candidate_from_person, job_assessment_types
from hub_connectors.icims.results import assessment_row, group_id_from_location, notes_text, result_text
from hub_connectors.icims.settings import IcimsIntegrationSettings, IcimsRegion
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.results import DimensionScore

FIXTURE = {  # ats-formats.md §4.1, the public test fixture
    "systemId": "13820",
    "userId": "11219",
    "customerId": "2187",
    "returnUrl": "https://jobs-acme.icims.com/jobs/2039/assessment?i=1",
    "eventType": "ApplicationCompletedEvent",
    "links": [
        {
            "rel": "applicantWorkflow",
            "title": "Applicant Workflow",
            "url": "https://api.icims.com/customers/2187/applicantworkflows/13820",
        },
        {"rel": "job", "title": "Job Profile", "url": "https://api.icims.com/customers/2187/jobs/2039"},
        {
            "rel": "person",
            "title": "Person Profile",
            "url": "https://api.icims.com/customers/2187/people/11219",
        },
    ],
}


def test_application_complete_fixture_gzip_and_plain() -> None:
    for body, encoding in ((gzip_json(FIXTURE), "gzip"), (orjson.dumps(FIXTURE), None)):
        event = parse_event(body, encoding)
        assert event.kind is EventKind.APPLICATION_COMPLETE
        assert event.customer_id == "2187"
        assert event.workflow_id == "13820"
        assert event.links["person"].endswith("/people/11219")
        assert event.vendor_ref() == "2187:13820"


def test_status_flow_update_is_told_by_new_status() -> None:
    body = {
        **{k: v for k, v in FIXTURE.items() if k != "returnUrl"},
        "eventType": "WorkFlowStatusChangeEvent",
        "newStatus": "C2028",
        "oldStatus": "C2027",
        "jobId": "2039",
        "personId": "11219",
        "extra": {"x": 1},
    }
    event = parse_event(orjson.dumps(body))
    assert event.kind is EventKind.STATUS_FLOW_UPDATE
    assert event.new_status == "C2028"
    assert event.job_id == "2039"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        orjson.dumps({"systemId": "1"}),
        orjson.dumps({"systemId": "1", "customerId": "2", "links": []}),
        orjson.dumps({**FIXTURE, "links": []}),
        gzip.compress(b"{" + b" " * 400_000 + b"}"),
    ],
)
def test_bad_events_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidEventError):
        parse_event(body)


def test_links_must_point_at_the_customers_api() -> None:
    base = PUBLIC_HOSTS[IcimsRegion.EU]
    assert customer_base(base, "2187") == "https://api-eu.icims.com/customers/2187"
    assert link_is_for_customer("https://api-eu.icims.com/customers/2187/people/1", base, "2187")
    for bad in (
        "https://api.icims.com/customers/2187/people/1",
        "https://api-eu.icims.com/customers/9/people/1",
        "https://evil.example/customers/2187/people/1",
        "https://api-eu.icims.com/customers/2187/../x",
        "http://api-eu.icims.com/customers/2187/people/1",
    ):
        assert not link_is_for_customer(bad, base, "2187"), bad


def test_completed_row(icims_settings: IcimsIntegrationSettings) -> None:
    row = assessment_row(fixed_snapshot(AssessmentStatus.COMPLETED), icims_settings)
    assert row is not None
    assert row["assessmentname"] == {"id": "D37002019001"}
    assert row["assessmentstatus"] == {"id": "D37002020003"}
    assert row["assessmentdate"] == "2026-05-03 12:30 AM"
    assert row["assessmentscore"] == 82
    assert row["assessmentresult"].startswith("Agentic Readiness 82/100 - Advanced")
    assert row["assessmentnotes"].startswith("Report: https://app.lextalent.ai/reports/rpt_123")
    with_url = assessment_row(
        fixed_snapshot(AssessmentStatus.COMPLETED), make_icims_settings(url_field="assessmenturl")
    )
    assert with_url is not None
    assert with_url["assessmenturl"] == "https://app.lextalent.ai/reports/rpt_123"
    assert "Report:" not in with_url["assessmentnotes"]


def test_pending_row_and_unmapped_states(icims_settings: IcimsIntegrationSettings) -> None:
    row = assessment_row(fixed_snapshot(), icims_settings)
    assert row == {
        "assessmentname": {"id": "D37002019001"},
        "assessmentstatus": {"id": "D37002020001"},
        "assessmentdate": "2026-05-01 10:30 PM",
        "assessmentnotes": "Assessment sent to the candidate.",
    }
    assert assessment_row(fixed_snapshot(AssessmentStatus.EXPIRED), icims_settings) is None
    assert assessment_row(fixed_snapshot(scenario_id="unknown"), icims_settings) is None


def test_group_id_from_location() -> None:
    assert (
        group_id_from_location(
            "https://api.icims.com/customers/2187/applicantworkflows/13820/fields/assessmentresults/4711"
        )
        == "4711"
    )
    assert (
        group_id_from_location(
            "\u201capi.icims.com/customers/1/applicantworkflows/2/fields/assessmentresults/332\u201d"
        )
        == "332"
    )
    assert group_id_from_location("https://api.icims.com/customers/2187/applicantworkflows/13820") is None
    assert group_id_from_location(None) is None


def test_profiles() -> None:
    candidate = candidate_from_person({"firstname": "Jane", "lastname": "Doe", "email": "Jane@Example.com"})
    assert candidate.name == "Jane Doe"
    assert candidate.email == "Jane@example.com"
    with pytest.raises(ProfileError):
        candidate_from_person({"firstname": "No", "lastname": "Mail"})
    assert job_assessment_types({"assessmenttype": [{"id": "C51234", "value": "LexTalent M&A"}]}) == [
        "C51234",
        "LexTalent M&A",
    ]
    assert make_icims_settings().scenario_for_job(["C51234"]) == "ma-due-diligence-v2"


def test_settings_need_sent_and_complete() -> None:
    with pytest.raises(ValueError, match="pending"):
        make_icims_settings(statuses={"completed": {"id": "X1"}})


def test_basic_credentials() -> None:
    header = "Basic " + base64.b64encode(b"icims:pa:ss").decode()
    assert basic_credentials(header) == ("icims", "pa:ss")
    assert check_basic(header, "icims", "pa:ss")
    assert not check_basic(header, "icims", "other")
    assert basic_credentials("Basic !!!") is None


def test_hmac_round_trip_and_tampering() -> None:
    now = datetime(2026, 5, 3, 14, 30, tzinfo=UTC)
    url = "https://hub.example/connectors/icims/events/int_1?b=2&a=1"
    body = b'{"systemId":"1"}'
    headers = hmac_auth.sign(
        "POST", url, body, user="icims", secret="k3y", now=now, headers={"Content-Type": "application/json"}
    )
    assert headers["x-icims-date"] == "2026-05-03T14:30:00+0000"
    assert headers["Authorization"].startswith("x-icims-v1-hmac-sha256 user=icims,signedheaders=")
    full = {**headers, "Host": "hub.example"}
    assert hmac_auth.verify("POST", url, full, body, user="icims", secret="k3y", now=now) is None
    assert hmac_auth.verify("POST", url, full, body + b" ", user="icims", secret="k3y", now=now)
    assert hmac_auth.verify("POST", url, full, body, user="icims", secret="other", now=now)
    assert hmac_auth.verify(
        "POST", url, full, body, user="icims", secret="k3y", now=now + timedelta(minutes=6)
    )
    assert hmac_auth.verify(
        "POST", url, {"Authorization": "Basic x"}, body, user="icims", secret="k3y", now=now
    )


def test_documented_hmac_header_shape_parses() -> None:
    example = (
        "x-icims-v1-hmac-sha256 user=icimsremotelogin_i9everifysandbox,signedheaders=content-type;host;"
        "x-icims-content-sha256;x-icims-date,"
        "signature=b0d79e9f65b6bb16515ac82bd415aec7f5ef655aef94b7f66a6a2e0959680733"
    )
    parsed = hmac_auth.parse_authorization(example)
    assert parsed is not None
    assert parsed.signed_headers == ("content-type", "host", "x-icims-content-sha256", "x-icims-date")


# --- property-based: dates and field lengths -------------------------------------------------------


@settings(deadline=None)  # the machine is shared: no per-example time limit
@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.timezones())
)
def test_icims_dates_are_utc_12_hour_and_round_trip(moment: datetime) -> None:
    text = icims_datetime(moment)
    assert len(text) == 19
    assert text[4] == "-"
    assert text[7] == "-"
    assert text[10] == " "
    assert text[13] == ":"
    assert text[16] == " "
    hour = int(text[11:13])
    assert 1 <= hour <= 12
    assert text[17:] in ("AM", "PM")
    utc = moment.astimezone(UTC)
    assert parse_icims_datetime(text) == utc.replace(second=0, microsecond=0)


@settings(deadline=None)
@given(st.text(max_size=600), st.integers(min_value=0, max_value=300))
def test_fit_never_exceeds_the_limit_and_keeps_what_fits(text: str, limit: int) -> None:
    out = fit(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        kept = out.removesuffix("...") if limit > 3 else out
        assert text.startswith(kept)


@settings(max_examples=60, deadline=None)
@given(
    score=st.integers(min_value=0, max_value=100),
    reason=st.text(min_size=0, max_size=500),
    names=st.lists(st.text(min_size=1, max_size=80).filter(lambda s: s.strip()), min_size=1, max_size=20),
    status=st.sampled_from(list(AssessmentStatus)),
)
def test_rows_always_respect_field_lengths(
    score: int, reason: str, names: list[str], status: AssessmentStatus
) -> None:
    base = sample_results(score)
    dims = tuple(DimensionScore(key=f"d{i:02d}", name=n, score=score) for i, n in enumerate(names))
    r = base.model_copy(update={"dimensions": dims})
    snapshot = (
        fixed_snapshot(status, cancellation_reason=reason or None)
        if status is not AssessmentStatus.COMPLETED
        else fixed_snapshot(status, results=r)
    )
    settings_all = make_icims_settings(
        statuses={s.value: {"id": f"N{i}"} for i, s in enumerate(AssessmentStatus)}
    )
    row = assessment_row(snapshot, settings_all)
    assert row is not None
    assert len(row.get("assessmentresult", "")) <= RESULT_MAX
    assert len(row.get("assessmentnotes", "")) <= NOTES_MAX
    assert len(result_text(snapshot)) <= RESULT_MAX
    assert len(notes_text(snapshot, with_url=True)) <= NOTES_MAX
    if status is AssessmentStatus.COMPLETED:
        assert "https://app.lextalent.ai/reports/rpt_123" in row["assessmentnotes"]
    parse_icims_datetime(row["assessmentdate"])
