"""The tenant-configured Assess Candidate notification: mapped through settings, refused clearly."""

from __future__ import annotations

import orjson
import pytest
from workday_fixtures import TEST_REF, make_settings

from hub_connectors.workday.notification import InvalidNotificationError, parse_notification
from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.settings import AssessmentTestMapping, NotificationFields

CRITERIA_EXAMPLE = {
    "Candidate_First_Name": "Michael",
    "Candidate_Last_Name": "Scott",
    "Candidate_Email": "michael.scott@dm.com",
    "Candidate_Mobile": "+1 (999) 999 9999",
    "Candidate_ID": "C00001",
    "Job_Requisition_ID": "R00001",
    "Assessment_Status": "Initiated",
    "Assessment_ID": "RECRUITING_ASSESSMENT-1-10",
}


def test_the_documented_example_maps_with_default_fields() -> None:
    order = parse_notification(orjson.dumps(CRITERIA_EXAMPLE), "application/json", make_settings())
    assert order.candidate.name == "Michael Scott"
    assert order.candidate.email == "michael.scott@dm.com"
    assert order.candidate_ref == WorkdayReference(id_type="Candidate_ID", value="C00001")
    assert order.job_requisition_ref == WorkdayReference(id_type="Job_Requisition_ID", value="R00001")
    assert order.assessment_id == "RECRUITING_ASSESSMENT-1-10"
    assert order.scenario_id == "ma-due-diligence-v2"
    assert order.test == TEST_REF
    assert (
        order.order_key()
        == parse_notification(orjson.dumps(CRITERIA_EXAMPLE), "application/json", make_settings()).order_key()
    )


def test_nested_json_and_xml_through_a_custom_mapping() -> None:
    other = AssessmentTestMapping(
        reference=WorkdayReference(id_type="Recruiting_Assessment_Test_ID", value="T-2"),
        scenario_id="contract-review-v1",
    )
    settings = make_settings(
        tests=(*make_settings().tests, other),
        notification=NotificationFields(
            candidate_email="candidate.email",
            candidate_first_name=None,
            candidate_last_name=None,
            candidate_name="candidate.name",
            candidate_id="candidate.id",
            job_requisition_id=None,
            assessment_id=None,
            assessment_status="status",
            test_reference="tests.0.id",
        ),
        trigger_statuses=("Invited",),
    )
    body = {
        "candidate": {"email": "a@b.example", "name": "Ann Bee", "id": "C9"},
        "status": "Invited",
        "tests": [{"id": "T-2"}],
    }
    order = parse_notification(orjson.dumps(body), "application/json", settings)
    assert order.scenario_id == "contract-review-v1"
    assert order.candidate.name == "Ann Bee"
    xml = (
        b"<wd:Notification xmlns:wd='urn:example'><wd:candidate><wd:email>a@b.example</wd:email>"
        b"<wd:name>Ann Bee</wd:name><wd:id>C9</wd:id></wd:candidate><wd:status>Invited</wd:status>"
        b"<wd:tests><wd:id>T-2</wd:id></wd:tests></wd:Notification>"
    )
    settings_xml = settings.model_copy(
        update={"notification": settings.notification.model_copy(update={"test_reference": "tests.id"})}
    )
    order_xml = parse_notification(xml, "application/xml", settings_xml)
    assert order_xml.candidate_ref.value == "C9"
    assert order_xml.scenario_id == "contract-review-v1"


def test_every_unmappable_field_is_named() -> None:
    body = dict(CRITERIA_EXAMPLE, Candidate_Email="not-an-email", Assessment_Status="Completed")
    del body["Candidate_ID"], body["Candidate_First_Name"], body["Candidate_Last_Name"]
    with pytest.raises(InvalidNotificationError) as caught:
        parse_notification(orjson.dumps(body), "application/json", make_settings())
    fields = {p.field for p in caught.value.problems}
    assert {"Candidate_Email", "Candidate_ID", "Assessment_Status"} <= fields
    assert any("name" in p.message for p in caught.value.problems)
    messages = " ".join(p.message for p in caught.value.problems)
    assert "'Completed' does not order an assessment" in messages


@pytest.mark.parametrize("body", [b"[1,2]", b"{not json", b"<a><b></a>", b"<!DOCTYPE x><a/>"])
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidNotificationError) as caught:
        parse_notification(body, "application/json", make_settings())
    assert caught.value.problems[0].field == "<body>"


def test_unknown_test_is_refused() -> None:
    settings = make_settings(notification=NotificationFields(test_reference="Test"))
    with pytest.raises(InvalidNotificationError, match="not mapped to a LexTalent scenario"):
        parse_notification(orjson.dumps(dict(CRITERIA_EXAMPLE, Test="T-404")), "application/json", settings)
