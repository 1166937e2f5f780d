"""A fake Workday Recruiting web service: strict about envelopes (our XSD, WS-Security), stateful.

It keeps Assess Candidate entries per candidate, answers Get_Assess_Candidate from them, records every
Assess_Candidate write, and can answer SOAP faults. Every request body is validated against the schema
written from the reference; any deviation fails the test (`assert_clean`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aiohttp import web
from lxml import etree

from hub_connectors.framework.testing.fake_vendor import FakeVendorServer, RecordedCall
from hub_connectors.workday.namespaces import NSMAP, soapenv, wd, wsse
from hub_connectors.workday.schema import EnvelopeSchemaError, validate_envelope
from hub_connectors.workday.xml_safety import parse_xml

TENANT = "acme_impl"
VERSION = "v46.0"
TEST_ID_TYPE = "Recruiting_Assessment_Test_ID"
TEST_ID = "RECRUITING_ASSESSMENT_TEST-6-111"


@dataclass
class Entry:
    candidate_id: str
    requisition_id: str
    event_wid: str
    job_application_wid: str
    assess_candidate_reference: str
    test_result_wid: str


@dataclass
class SoapFault:
    code: str
    message: str
    detail: str | None = None
    http_status: int = 500


@dataclass
class Write:
    """One Assess_Candidate the fake accepted, read back from the XML."""

    event_wid: str | None
    status_wid: str
    assessed_on: str
    comment: str | None
    test_url: str | None
    score: str | None
    test_date: str | None
    results_url: str | None
    test_status_wid: str | None
    raw: bytes = field(repr=False, default=b"")


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, wd(name), {wd(k): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _ref(parent: etree._Element, name: str, id_type: str, value: str) -> None:
    _sub(_sub(parent, name), "ID", value, type=id_type)


def _envelope(child: etree._Element) -> bytes:
    root = etree.Element(soapenv("Envelope"), nsmap={"soapenv": NSMAP["soapenv"], "wd": NSMAP["wd"]})
    etree.SubElement(root, soapenv("Body")).append(child)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def fault_envelope(fault: SoapFault) -> bytes:
    root = etree.Element(soapenv("Envelope"), nsmap={"soapenv": NSMAP["soapenv"], "wd": NSMAP["wd"]})
    element = etree.SubElement(etree.SubElement(root, soapenv("Body")), soapenv("Fault"))
    etree.SubElement(element, "faultcode").text = fault.code
    etree.SubElement(element, "faultstring").text = fault.message
    if fault.detail:
        detail = etree.SubElement(element, "detail")
        error = _sub(_sub(detail, "Validation_Fault"), "Validation_Error")
        _sub(error, "Message", fault.message)
        _sub(error, "Detail_Message", fault.detail)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


class FakeWorkday(FakeVendorServer):
    vendor = "workday"

    def __init__(self, username: str = f"isu_lextalent@{TENANT}", password: str = "wd-isu-Pa55word!") -> None:  # noqa: S107
        self.username = username
        self.password = password
        self.entries: list[Entry] = []
        self.writes: list[Write] = []
        self.soap_faults: list[SoapFault] = []  # answered, in order, to the next Assess_Candidate calls
        self.operations: list[str] = []
        super().__init__()

    def setup_routes(self) -> None:
        self.route(
            "soap",
            "POST",
            "/ccx/service/{tenant}/Recruiting/{version}",
            self._soap,
            headers={"Content-Type": re.compile(r'text/xml; charset="?utf-8"?', re.IGNORECASE)},
        )

    @property
    def services_url(self) -> str:
        return self.base_url

    def add_entry(self, candidate_id: str = "C00001", requisition_id: str = "R00001") -> Entry:
        n = len(self.entries) + 1
        entry = Entry(
            candidate_id,
            requisition_id,
            event_wid=f"ev{n:030d}",
            job_application_wid=f"ja{n:030d}",
            assess_candidate_reference=f"RECRUITING_ASSESSMENT-1-{n}",
            test_result_wid=f"tr{n:030d}",
        )
        self.entries.append(entry)
        return entry

    def _reply(self, body: bytes, status: int = 200) -> web.Response:
        try:
            validate_envelope(body)  # the fake speaks the schema too
        except EnvelopeSchemaError as exc:
            return self._deviation(f"fake built an invalid response: {exc}")
        return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")

    def _soap(self, call: RecordedCall) -> web.StreamResponse:
        if call.params != {"tenant": TENANT, "version": VERSION}:
            return self._deviation(f"wrong tenant or version in {call.path}")
        try:
            validate_envelope(call.body)
        except EnvelopeSchemaError as exc:
            return self._deviation(f"envelope fails the Workday schema: {exc}")
        root = parse_xml(call.body)
        token = root.find(f"{soapenv('Header')}/{wsse('Security')}/{wsse('UsernameToken')}")
        if token is None:
            return self._deviation("no WS-Security UsernameToken")
        if (
            token.findtext(wsse("Username")) != self.username
            or token.findtext(wsse("Password")) != self.password
        ):
            return self._reply(
                fault_envelope(
                    SoapFault("soapenv:Client.authenticationError", "invalid username or password")
                ),
                500,
            )
        request = root.find(soapenv("Body"))[0]  # type: ignore[index]
        operation = etree.QName(request).localname
        self.operations.append(operation)
        if request.get(wd("version")) != VERSION:
            return self._deviation(f"{operation} without wd:version={VERSION}")
        if operation == "Get_Assess_Candidate_Request":
            return self._get(request)
        if operation == "Assess_Candidate_Request":
            if self.soap_faults:
                fault = self.soap_faults.pop(0)
                return self._reply(fault_envelope(fault), fault.http_status)
            return self._assess(request, call.body)
        return self._deviation(f"unexpected operation {operation}")

    def _get(self, request: etree._Element) -> web.StreamResponse:
        criteria = request.find(wd("Request_Criteria"))
        candidate = (
            criteria.findtext(f".//{wd('Candidate_Reference')}/{wd('ID')}") if criteria is not None else None
        )
        requisition = (
            criteria.findtext(f".//{wd('Job_Requisition_Reference')}/{wd('ID')}")
            if criteria is not None
            else None
        )
        found = [
            e
            for e in self.entries
            if e.candidate_id == candidate and (requisition is None or e.requisition_id == requisition)
        ]
        response = etree.Element(wd("Get_Assess_Candidate_Response"), {wd("version"): VERSION})
        results = _sub(response, "Response_Results")
        _sub(results, "Total_Results", str(len(found)))
        data = _sub(response, "Response_Data")
        for entry in found:
            item = _sub(data, "Assess_Candidate_Data")
            _ref(item, "Event_Reference", "WID", entry.event_wid)
            _ref(item, "Job_Application_Reference", "WID", entry.job_application_wid)
            _ref(item, "Candidate_Reference", "Candidate_ID", entry.candidate_id)
            _ref(item, "Job_Requisition_Reference", "Job_Requisition_ID", entry.requisition_id)
            assessment = _sub(item, "Candidate_Assessment_Data")
            _sub(assessment, "Assess_Candidate_Reference", entry.assess_candidate_reference)
            _sub(assessment, "Assessed_On_Date", "2026-05-01")
            _ref(assessment, "Assessment_Status_Reference", "WID", "invited-status-wid")
            test = _sub(assessment, "Assess_Candidate_Test_Result_Data")
            _ref(test, "Assessment_Test_Result_Reference", "WID", entry.test_result_wid)
            _ref(test, "Assessment_Test_Reference", TEST_ID_TYPE, TEST_ID)
        return self._reply(_envelope(response))

    def _assess(self, request: etree._Element, raw: bytes) -> web.StreamResponse:
        data = request.find(wd("Assess_Candidate_Data"))
        assert data is not None  # the schema requires it
        event = data.findtext(f"{wd('Event_Reference')}/{wd('ID')}")
        candidate = data.findtext(f"{wd('Candidate_Criteria_Data')}/{wd('Candidate_Reference')}/{wd('ID')}")
        known = {e.event_wid for e in self.entries}
        if event is not None and event not in known:
            return self._reply(
                fault_envelope(
                    SoapFault(
                        "soapenv:Client.validationError",
                        "Invalid ID value",
                        f"'{event}' is not a valid ID value for type = WID",
                    )
                ),
                500,
            )
        if event is None and candidate not in {e.candidate_id for e in self.entries}:
            return self._reply(
                fault_envelope(
                    SoapFault(
                        "soapenv:Client.validationError",
                        "Validation error occurred.",
                        "The Job Application business process must be in the Assess Candidate state",
                    )
                ),
                500,
            )
        assessment = data.find(wd("Candidate_Assessment_Data"))
        assert assessment is not None
        test = assessment.find(wd("Assess_Candidate_Test_Result_Data"))

        def text(element: etree._Element | None, path: str) -> str | None:
            return element.findtext(path) if element is not None else None

        self.writes.append(
            Write(
                event_wid=event,
                status_wid=assessment.findtext(f"{wd('Assessment_Status_Reference')}/{wd('ID')}") or "",
                assessed_on=assessment.findtext(wd("Assessed_On_Date")) or "",
                comment=assessment.findtext(wd("Overall_Assessment_Comment")),
                test_url=assessment.findtext(wd("Assessment_Test_URL")),
                score=text(test, wd("Assessment_Test_Score")),
                test_date=text(test, wd("Assessment_Test_Date")),
                results_url=text(test, wd("Assessment_Test_Results_URL")),
                test_status_wid=text(test, f"{wd('Assessment_Test_Status_Reference')}/{wd('ID')}"),
                raw=raw,
            )
        )
        response = etree.Element(wd("Assess_Candidate_Response"), {wd("version"): VERSION})
        _ref(response, "Candidate_Assessment_Event_Reference", "WID", f"cae{len(self.writes):029d}")
        _ref(response, "Candidate_Assessment_Reference", "WID", f"ca{len(self.writes):030d}")
        return self._reply(_envelope(response))
