"""Greenhouse translations against the Assessment Partner API doc examples (tests/fixtures/greenhouse)."""

from __future__ import annotations

from fake_greenhouse import doc_example, list_tests_problems, send_test_problems, test_status_problems

from hub_connectors.framework.testing.events import sample_results, snapshot
from hub_connectors.greenhouse import formats
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.ids import new_assessment_id
from hub_contracts.scenarios import SCENARIOS, get_scenario

ACCOUNT = "acct_GreenhouseTest01"


def _snapshot(status: AssessmentStatus, **kw: object) -> object:
    return snapshot(new_assessment_id(), ACCOUNT, source="greenhouse", status=status, version=2, **kw)  # type: ignore[arg-type]


def test_doc_examples_are_valid_by_the_fakes_rules() -> None:
    assert list_tests_problems(doc_example("list_tests_response")) == []
    assert send_test_problems(doc_example("send_test_response")) == []
    assert test_status_problems(doc_example("test_status_response")) == []


def test_list_tests_has_the_doc_examples_shape() -> None:
    body = formats.list_tests_body(SCENARIOS.values())
    example = doc_example("list_tests_response")
    assert [set(item) for item in body] == [set(example[0])] * len(SCENARIOS)
    assert {item["partner_test_id"] for item in body} == set(SCENARIOS)
    assert list_tests_problems(body) == []


def test_send_test_doc_example_becomes_a_create_command_input() -> None:
    order = formats.SendTestRequest.model_validate(doc_example("send_test_request"))
    candidate = formats.candidate_of(order)
    assert (candidate.email, candidate.name) == ("hpotter@hogwarts.edu", "Harry Potter")
    assert formats.metadata_of(order) == {
        "ats": "greenhouse",
        "greenhouse_profile_url": "https://app.greenhouse.io/people/17681532?application_id=26234709",
        "greenhouse_sent_by": "test_sender@example.org",
    }
    assert order.url.endswith("/take_home_tests/12345")


def test_send_test_tolerates_properties_greenhouse_adds_later() -> None:
    body = doc_example("send_test_request") | {"new_property": {"x": 1}}
    body["candidate"] = body["candidate"] | {"pronouns": "he/him"}
    assert formats.SendTestRequest.model_validate(body).partner_test_id == "12345"


def test_completed_status_matches_the_doc_example_shape() -> None:
    results = sample_results(81)
    snap = _snapshot(AssessmentStatus.COMPLETED, results=results)
    body = formats.status_body(snap, get_scenario("ma-due-diligence-v2"))  # type: ignore[arg-type]
    example = doc_example("test_status_response")
    assert set(body) == set(example)
    assert body["partner_status"] == example["partner_status"] == "complete"
    assert body["partner_score"] == 81
    assert body["partner_profile_url"] == str(results.report_url)
    assert body["metadata"]["Band"] == "Advanced"
    assert body["metadata"]["Verification of agent output"] == 81
    assert test_status_problems(body) == []


def test_every_state_answers_with_all_properties_and_nulls() -> None:
    for status in AssessmentStatus:
        body = formats.status_body(_snapshot(status), None)  # type: ignore[arg-type]
        assert test_status_problems(body) == [], status
        assert body["partner_status"] == formats.PARTNER_STATUS[status]
        if status != AssessmentStatus.COMPLETED:
            assert body["partner_score"] is None
            assert body["partner_profile_url"] is None
    assert test_status_problems(formats.status_body(None, None)) == []


def test_response_error_doc_example_parses() -> None:
    report = formats.ResponseErrorRequest.model_validate(doc_example("response_error_request"))
    assert report.api_call == "test_status"
    assert report.partner_interview_id == "299506"


def test_display_time_follows_the_doc_examples_style() -> None:
    from datetime import UTC, datetime

    assert formats.display_time(datetime(2014, 3, 26, 10, 15, tzinfo=UTC)) == "10:15 AM 26 March 2014 UTC"
