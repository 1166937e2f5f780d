"""Reading Workday responses: the Get entry, the Assess result, and SOAP faults as retryable or permanent."""

from __future__ import annotations

import pytest
from lxml import etree
from workday_fixtures import TEST_REF, wid

from hub_connectors.workday.faults import WorkdayError, error_from_http
from hub_connectors.workday.namespaces import NSMAP, soapenv, wd
from hub_connectors.workday.operations import choose_entry, read_assess_candidate, read_get_assess_candidate
from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.schema import validate_envelope
from hub_connectors.workday.soap import read_response


def soap(body_xml: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{NSMAP["soapenv"]}" '
        f'xmlns:wd="{NSMAP["wd"]}"><soapenv:Body>{body_xml}</soapenv:Body></soapenv:Envelope>'
    ).encode()


GET_RESPONSE = soap(f"""
<wd:Get_Assess_Candidate_Response wd:version="v46.0">
 <wd:Response_Results><wd:Total_Results>2</wd:Total_Results></wd:Response_Results>
 <wd:Response_Data>
  <wd:Assess_Candidate_Data>
   <wd:Event_Reference><wd:ID wd:type="WID">other-event</wd:ID></wd:Event_Reference>
   <wd:Candidate_Assessment_Data>
    <wd:Assessed_On_Date>2026-04-01</wd:Assessed_On_Date>
    <wd:Assessment_Status_Reference><wd:ID wd:type="WID">x</wd:ID></wd:Assessment_Status_Reference>
    <wd:Assess_Candidate_Test_Result_Data>
     <wd:Assessment_Test_Reference><wd:ID wd:type="Recruiting_Assessment_Test_ID">SOMEONE-ELSE</wd:ID>
     </wd:Assessment_Test_Reference>
    </wd:Assess_Candidate_Test_Result_Data>
   </wd:Candidate_Assessment_Data>
  </wd:Assess_Candidate_Data>
  <wd:Assess_Candidate_Data>
   <wd:Event_Reference wd:Descriptor="Assess Candidate"><wd:ID wd:type="WID">{wid("event").value}</wd:ID>
   </wd:Event_Reference>
   <wd:Job_Application_Reference><wd:ID wd:type="WID">{wid("jobapp").value}</wd:ID>
     <wd:ID wd:type="Job_Application_ID">JA-7</wd:ID></wd:Job_Application_Reference>
   <wd:Candidate_Reference><wd:ID wd:type="Candidate_ID">C00001</wd:ID></wd:Candidate_Reference>
   <wd:Candidate_Assessment_Data>
    <wd:Assess_Candidate_Reference>RECRUITING_ASSESSMENT-1-10</wd:Assess_Candidate_Reference>
    <wd:Assessed_On_Date>2026-05-01</wd:Assessed_On_Date>
    <wd:Assessment_Status_Reference><wd:ID wd:type="WID">{wid("invited").value}</wd:ID>
    </wd:Assessment_Status_Reference>
    <wd:Assess_Candidate_Test_Result_Data>
     <wd:Assessment_Test_Result_Reference><wd:ID wd:type="WID">{wid("testresult").value}</wd:ID>
     </wd:Assessment_Test_Result_Reference>
     <wd:Assessment_Test_Reference><wd:ID wd:type="{TEST_REF.id_type}">{TEST_REF.value}</wd:ID>
     </wd:Assessment_Test_Reference>
    </wd:Assess_Candidate_Test_Result_Data>
   </wd:Candidate_Assessment_Data>
  </wd:Assess_Candidate_Data>
 </wd:Response_Data>
</wd:Get_Assess_Candidate_Response>""")


def fault(code: str, detail: str = "") -> bytes:
    return soap(
        f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>Validation error occurred."
        f"</faultstring><detail>{detail}</detail></soapenv:Fault>"
    )


def test_get_response_yields_the_entry_with_our_test() -> None:
    validate_envelope(GET_RESPONSE)
    entries = read_get_assess_candidate(read_response(GET_RESPONSE, 200, "Get_Assess_Candidate_Response"))
    assert len(entries) == 2
    entry = choose_entry(entries, TEST_REF)
    assert entry is not None
    assert entry.event == (wid("event"),)
    assert entry.job_application == (
        wid("jobapp"),
        WorkdayReference(id_type="Job_Application_ID", value="JA-7"),
    )
    assert entry.assess_candidate_reference == "RECRUITING_ASSESSMENT-1-10"
    test = entry.test_entry(TEST_REF)
    assert test is not None
    assert test.result == (wid("testresult"),)
    assert choose_entry(entries, WorkdayReference(id_type="WID", value="nope")) is None


def test_assess_response_yields_the_event_and_assessment() -> None:
    body = soap(
        '<wd:Assess_Candidate_Response wd:version="v46.0"><wd:Candidate_Assessment_Event_Reference>'
        '<wd:ID wd:type="WID">ev1</wd:ID></wd:Candidate_Assessment_Event_Reference>'
        '<wd:Candidate_Assessment_Reference><wd:ID wd:type="WID">as1</wd:ID>'
        "</wd:Candidate_Assessment_Reference></wd:Assess_Candidate_Response>"
    )
    validate_envelope(body)
    result = read_assess_candidate(read_response(body, 200, "Assess_Candidate_Response"))
    assert result.event == (WorkdayReference(id_type="WID", value="ev1"),)
    assert result.assessment == (WorkdayReference(id_type="WID", value="as1"),)


def test_client_validation_fault_is_permanent_with_its_messages() -> None:
    body = fault(
        "soapenv:Client.validationError",
        "<wd:Validation_Fault><wd:Validation_Error><wd:Message>Invalid ID value</wd:Message>"
        "<wd:Detail_Message>The job application is not in the Assess Candidate step</wd:Detail_Message>"
        "<wd:Xpath>/wd:Assess_Candidate_Request[1]</wd:Xpath></wd:Validation_Error>"
        "</wd:Validation_Fault>",
    )
    validate_envelope(body)
    with pytest.raises(WorkdayError) as caught:
        read_response(body, 500, "Assess_Candidate_Response")
    error = caught.value
    assert error.retryable is False
    assert error.fault_code == "soapenv:Client.validationError"
    assert error.validation_errors[0].detail == "The job application is not in the Assess Candidate step"
    assert error.validation_errors[0].xpath == "/wd:Assess_Candidate_Request[1]"
    assert "permanent" in str(error)
    assert "Assess Candidate step" in str(error)


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("SOAP-ENV:Server.processingFault", True),
        ("SOAP-ENV:Server", True),
        ("SOAP-ENV:Client.authenticationError", False),
        ("Client", False),
    ],
)
def test_fault_class_decides_retry(code: str, retryable: bool) -> None:
    body = fault(
        code, "<wd:Processing_Fault><wd:Detail_Message>busy</wd:Detail_Message></wd:Processing_Fault>"
    )
    with pytest.raises(WorkdayError) as caught:
        read_response(body, 500, "Assess_Candidate_Response")
    assert caught.value.retryable is retryable


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (502, True), (503, True), (401, False), (404, False)]
)
def test_http_failures_without_fault(status: int, retryable: bool) -> None:
    error = error_from_http(status, "gateway says no", retry_after="7")
    assert error.retryable is retryable
    assert error.retry_after_s == 7.0


def test_unexpected_or_unreadable_responses() -> None:
    with pytest.raises(WorkdayError, match="expected Assess_Candidate_Response"):
        read_response(GET_RESPONSE, 200, "Assess_Candidate_Response")
    with pytest.raises(WorkdayError, match="unreadable") as caught:
        read_response(b"<html>bad gateway", 502, "Assess_Candidate_Response")
    assert caught.value.retryable is True
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<soapenv:Envelope xmlns:soapenv="' + NSMAP["soapenv"].encode() + b'"><soapenv:Body>&e;'
        b"</soapenv:Body></soapenv:Envelope>"
    )
    with pytest.raises(WorkdayError, match="DOCTYPE"):
        read_response(xxe, 200, "Assess_Candidate_Response")


def test_a_fault_element_built_by_lxml_round_trips() -> None:
    root = etree.Element(soapenv("Envelope"), nsmap=NSMAP)
    body = etree.SubElement(root, soapenv("Body"))
    f = etree.SubElement(body, soapenv("Fault"))
    etree.SubElement(f, "faultcode").text = "soapenv:Server.processingFault"
    etree.SubElement(f, "faultstring").text = "Processing error occurred"
    detail = etree.SubElement(f, "detail")
    etree.SubElement(etree.SubElement(detail, wd("Processing_Fault")), wd("Detail_Message")).text = "later"
    document = etree.tostring(root)
    validate_envelope(document)
    with pytest.raises(WorkdayError) as caught:
        read_response(document, 500, "Get_Assess_Candidate_Response")
    assert caught.value.retryable
    assert caught.value.validation_errors[0].message == "later"
