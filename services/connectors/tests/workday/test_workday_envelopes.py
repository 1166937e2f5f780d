"""Workday envelopes: built with lxml, valid against the schema written from the reference, mapped right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from workday_fixtures import TEST_REF, make_settings, make_snapshot, results, wid

from hub_connectors.workday.mapping import assess_candidate_write
from hub_connectors.workday.namespaces import PASSWORD_TEXT, wd, wsse
from hub_connectors.workday.operations import (
    AssessCandidateEntry,
    AssessCandidateQuery,
    AssessmentTestEntry,
    assess_candidate_request,
    get_assess_candidate_request,
)
from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.schema import EnvelopeSchemaError, validate_envelope
from hub_connectors.workday.settings import WorkdayIntegrationSettings
from hub_connectors.workday.soap import envelope, isu_username
from hub_contracts.assessment import AssessmentStatus

ENTRY = AssessCandidateEntry(
    event=(wid("event"),),
    job_application=(wid("jobapp"),),
    candidate=(wid("cand"),),
    assess_candidate_reference="RECRUITING_ASSESSMENT-1-10",
    tests=(AssessmentTestEntry(test=TEST_REF, result=(wid("testresult"),)),),
)


def wrap(element: etree._Element, password: str = "s3cr<et>&") -> bytes:  # noqa: S107
    return envelope(element, username="isu_lextalent@acme_impl", password=password)


def all_envelopes(settings: WorkdayIntegrationSettings) -> list[bytes]:
    out = [
        wrap(
            get_assess_candidate_request(
                settings.api_version,
                AssessCandidateQuery(
                    candidate=WorkdayReference(id_type="Candidate_ID", value="C00001"),
                    job_requisition=WorkdayReference(id_type="Job_Requisition_ID", value="R00001"),
                ),
            )
        ),
        wrap(
            get_assess_candidate_request(
                settings.api_version, AssessCandidateQuery(job_application=wid("ja"))
            )
        ),
    ]
    for status in AssessmentStatus:
        for entry in (ENTRY, None):
            write = assess_candidate_write(
                make_snapshot(status),
                settings,
                entry,
                test=TEST_REF,
                candidate=WorkdayReference(id_type="Candidate_ID", value="C00001"),
            )
            if write is not None:
                out.append(wrap(assess_candidate_request(settings.api_version, write)))
    return out


def test_every_envelope_validates_against_the_schema(settings: WorkdayIntegrationSettings) -> None:
    envelopes = all_envelopes(settings)
    assert len(envelopes) >= 10
    for document in envelopes:
        validate_envelope(document)


def test_the_schema_rejects_what_workday_would() -> None:
    settings = make_settings()
    write = assess_candidate_write(make_snapshot(AssessmentStatus.COMPLETED), settings, ENTRY, test=TEST_REF)
    assert write is not None
    good = wrap(assess_candidate_request(settings.api_version, write))
    # Elements out of WSDL order, a date-time where xsd:date is required, an unknown element.
    swapped = good.replace(b"<wd:Assessed_On_Date>2026-05-03</wd:Assessed_On_Date>", b"").replace(
        b"</wd:Overall_Assessment_Comment>",
        b"</wd:Overall_Assessment_Comment><wd:Assessed_On_Date>2026-05-03</wd:Assessed_On_Date>",
    )
    assert swapped != good
    dated = good.replace(b"<wd:Assessed_On_Date>2026-05-03<", b"<wd:Assessed_On_Date>2026-05-03T10:00:00Z<")
    unknown = good.replace(
        b"<wd:Overall_Assessment_Comment>",
        b"<wd:Overall_Score>1</wd:Overall_Score><wd:Overall_Assessment_Comment>",
    )
    no_token = good.replace(b"<wsse:Username>isu_lextalent@acme_impl</wsse:Username>", b"")
    for bad in (swapped, dated, unknown, no_token):
        assert bad != good
        with pytest.raises(EnvelopeSchemaError):
            validate_envelope(bad)


def test_ws_security_username_token_is_password_text_and_escaped() -> None:
    doc = etree.fromstring(wrap(etree.Element(wd("Get_Assess_Candidate_Request")), password="p<&>'\""))
    token = doc.find(f".//{wsse('UsernameToken')}")
    assert token is not None
    assert token.findtext(wsse("Username")) == "isu_lextalent@acme_impl"
    password = token.find(wsse("Password"))
    assert password is not None
    assert password.text == "p<&>'\""
    assert password.get("Type") == PASSWORD_TEXT
    assert isu_username("isu_lextalent", "acme_impl") == "isu_lextalent@acme_impl"
    assert isu_username("isu@other", "acme_impl") == "isu@other"


def test_completed_write_carries_status_score_dates_url_and_comments(
    settings: WorkdayIntegrationSettings,
) -> None:
    write = assess_candidate_write(make_snapshot(AssessmentStatus.COMPLETED), settings, ENTRY, test=TEST_REF)
    assert write is not None
    request = assess_candidate_request("v46.0", write)
    assert request.get(wd("version")) == "v46.0"
    data = request.find(wd("Assess_Candidate_Data"))
    assert data is not None
    assert [etree.QName(c).localname for c in data] == [
        "Event_Reference",
        "Job_Application_Reference",
        "Candidate_Assessment_Data",
    ]
    assessment = data.find(wd("Candidate_Assessment_Data"))
    assert assessment is not None
    assert assessment.findtext(wd("Assess_Candidate_Reference")) == "RECRUITING_ASSESSMENT-1-10"
    assert assessment.findtext(wd("Assessed_On_Date")) == "2026-05-03"
    status_id = assessment.find(f"{wd('Assessment_Status_Reference')}/{wd('ID')}")
    assert status_id is not None
    assert status_id.text == wid("completed").value
    assert status_id.get(wd("type")) == "WID"
    assert "81/100 (advanced)" in (assessment.findtext(wd("Overall_Assessment_Comment")) or "")
    assert assessment.find(wd("Assessment_Test_URL")) is None
    test = assessment.find(wd("Assess_Candidate_Test_Result_Data"))
    assert test is not None
    assert test.findtext(f"{wd('Assessment_Test_Result_Reference')}/{wd('ID')}") == wid("testresult").value
    assert test.findtext(f"{wd('Assessment_Test_Reference')}/{wd('ID')}") == TEST_REF.value
    assert test.findtext(wd("Assessment_Test_Score")) == "81"
    assert test.findtext(f"{wd('Assessment_Test_Status_Reference')}/{wd('ID')}") == wid("passed").value
    assert test.findtext(wd("Assessment_Test_Date")) == "2026-05-03"
    assert test.findtext(wd("Assessment_Test_Results_URL")) == "https://app.lextalent.ai/reports/7kX9mPqR2vNw"
    assert "Verification of agent output: 81" in (test.findtext(wd("Comment")) or "")


def test_invite_sends_the_test_url_and_no_score(settings: WorkdayIntegrationSettings) -> None:
    write = assess_candidate_write(make_snapshot(), settings, ENTRY, test=TEST_REF)
    assert write is not None
    assert write.status == wid("invited")
    assert write.test_url == "https://app.lextalent.ai/challenge/7kX9mPqR2vNw"
    assert write.tests == ()  # no test status configured for pending
    assert write.assessed_on.isoformat() == "2026-05-01"


def test_dates_follow_the_tenant_time_zone() -> None:
    late = datetime(2026, 5, 3, 23, 30, tzinfo=UTC)
    snapshot = make_snapshot(
        AssessmentStatus.COMPLETED, results=results(completed_at=late), completed_at=late
    )
    utc = assess_candidate_write(snapshot, make_settings(), ENTRY, test=TEST_REF)
    tokyo = assess_candidate_write(snapshot, make_settings(date_timezone="Asia/Tokyo"), ENTRY, test=TEST_REF)
    assert utc is not None
    assert tokyo is not None
    assert utc.assessed_on.isoformat() == "2026-05-03"
    assert tokyo.assessed_on == (late + timedelta(hours=9)).date()
    assert tokyo.tests[0].tested_on == tokyo.assessed_on


def test_unmapped_state_is_not_written(settings: WorkdayIntegrationSettings) -> None:
    assert (
        assess_candidate_write(make_snapshot(AssessmentStatus.CANCELLED), settings, ENTRY, test=TEST_REF)
        is None
    )


def test_without_an_entry_the_candidate_criteria_identify_the_assessment(
    settings: WorkdayIntegrationSettings,
) -> None:
    candidate = WorkdayReference(id_type="Candidate_ID", value="C00001")
    write = assess_candidate_write(
        make_snapshot(AssessmentStatus.COMPLETED), settings, None, test=TEST_REF, candidate=candidate
    )
    assert write is not None
    data = assess_candidate_request("v46.0", write).find(wd("Assess_Candidate_Data"))
    assert data is not None
    assert (
        data.findtext(f"{wd('Candidate_Criteria_Data')}/{wd('Candidate_Reference')}/{wd('ID')}") == "C00001"
    )


def test_settings_refuse_incomplete_status_mapping() -> None:
    with pytest.raises(ValueError, match="pending"):
        make_settings(overall_status={"completed": wid("completed")})
    with pytest.raises(ValueError, match="time zone"):
        make_settings(date_timezone="Mars/Olympus")
    assert (
        make_settings().endpoint
        == "https://wd2-impl-services1.workday.com/ccx/service/acme_impl/Recruiting/v46.0"
    )


def test_created_at_time_is_irrelevant_only_the_date_is_sent() -> None:
    snapshot = make_snapshot(created_at=datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC))
    write = assess_candidate_write(snapshot, make_settings(), ENTRY, test=TEST_REF)
    assert write is not None
    request = etree.tostring(assess_candidate_request("v46.0", write))
    assert b"<wd:Assessed_On_Date>2026-01-02</wd:Assessed_On_Date>" in etree.tostring(
        etree.fromstring(wrap(etree.fromstring(request)))
    )
