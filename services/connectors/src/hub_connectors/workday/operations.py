"""The two Recruiting operations the hub calls: request elements and response readers.

`Get_Assess_Candidate` finds the Assess Candidate entry (event, job application, test references);
`Assess_Candidate` writes status, dates, score, results URL and comments to it (ats-formats.md §3.4).
Element order follows the WSDL sequences; `schema/workday-recruiting-assessment.xsd` checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from hub_connectors.workday.namespaces import wd
from hub_connectors.workday.references import WorkdayReference


def _reference(parent: etree._Element, name: str, *refs: WorkdayReference) -> etree._Element:
    element = etree.SubElement(parent, wd(name))
    for ref in refs:
        etree.SubElement(element, wd("ID"), {wd("type"): ref.id_type}).text = ref.value
    return element


def _text(parent: etree._Element, name: str, value: str) -> None:
    etree.SubElement(parent, wd(name)).text = value


def xsd_date(value: date) -> str:
    """`xsd:date` as Workday writes it: `YYYY-MM-DD`, no time and no zone."""
    return value.isoformat()


def xsd_decimal(value: Decimal | int | float) -> str:
    number = Decimal(str(value)).normalize()
    return format(number, "f")


# --- Get_Assess_Candidate -------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessCandidateQuery:
    """Find the entry by candidate (+ requisition), or by job application."""

    candidate: WorkdayReference | None = None
    job_requisition: WorkdayReference | None = None
    job_application: WorkdayReference | None = None

    def __post_init__(self) -> None:
        if self.candidate is None and self.job_application is None:
            raise ValueError("a Get_Assess_Candidate query needs a candidate or a job application")


def get_assess_candidate_request(version: str, query: AssessCandidateQuery) -> etree._Element:
    request = etree.Element(wd("Get_Assess_Candidate_Request"), {wd("version"): version})
    criteria = etree.SubElement(request, wd("Request_Criteria"))
    if query.job_application is not None:
        _reference(criteria, "Job_Application_Reference", query.job_application)
    if query.candidate is not None:
        candidate_data = etree.SubElement(criteria, wd("Candidate_Criteria_Data"))
        _reference(candidate_data, "Candidate_Reference", query.candidate)
        if query.job_requisition is not None:
            _reference(candidate_data, "Job_Requisition_Reference", query.job_requisition)
    return request


@dataclass(frozen=True)
class AssessmentTestEntry:
    test: WorkdayReference
    result: tuple[WorkdayReference, ...] = ()


@dataclass(frozen=True)
class AssessCandidateEntry:
    """One `Assess_Candidate_Data` of the Get response: the ids needed to write back."""

    event: tuple[WorkdayReference, ...] = ()
    job_application: tuple[WorkdayReference, ...] = ()
    candidate: tuple[WorkdayReference, ...] = ()
    job_requisition: tuple[WorkdayReference, ...] = ()
    assess_candidate_reference: str | None = None
    tests: tuple[AssessmentTestEntry, ...] = ()

    def test_entry(self, test: WorkdayReference) -> AssessmentTestEntry | None:
        for entry in self.tests:
            if entry.test == test:
                return entry
        return None


def _ids(element: etree._Element | None) -> tuple[WorkdayReference, ...]:
    if element is None:
        return ()
    return tuple(
        WorkdayReference(id_type=item.get(wd("type")) or "WID", value=(item.text or "").strip())
        for item in element.findall(wd("ID"))
        if (item.text or "").strip()
    )


def read_get_assess_candidate(response: etree._Element) -> list[AssessCandidateEntry]:
    entries: list[AssessCandidateEntry] = []
    data = response.find(wd("Response_Data"))
    if data is None:
        return entries
    for item in data.findall(wd("Assess_Candidate_Data")):
        assessment = item.find(wd("Candidate_Assessment_Data"))
        tests: list[AssessmentTestEntry] = []
        reference: str | None = None
        if assessment is not None:
            reference = (assessment.findtext(wd("Assess_Candidate_Reference")) or "").strip() or None
            for result in assessment.findall(wd("Assess_Candidate_Test_Result_Data")):
                test_ids = _ids(result.find(wd("Assessment_Test_Reference")))
                for test_id in test_ids:
                    tests.append(
                        AssessmentTestEntry(
                            test=test_id, result=_ids(result.find(wd("Assessment_Test_Result_Reference")))
                        )
                    )
        entries.append(
            AssessCandidateEntry(
                event=_ids(item.find(wd("Event_Reference"))),
                job_application=_ids(item.find(wd("Job_Application_Reference"))),
                candidate=_ids(item.find(wd("Candidate_Reference"))),
                job_requisition=_ids(item.find(wd("Job_Requisition_Reference"))),
                assess_candidate_reference=reference,
                tests=tuple(tests),
            )
        )
    return entries


def choose_entry(entries: list[AssessCandidateEntry], test: WorkdayReference) -> AssessCandidateEntry | None:
    """The entry that carries our test; otherwise the only entry, if there is exactly one."""
    with_test = [e for e in entries if e.test_entry(test) is not None]
    if with_test:
        return with_test[-1]
    return entries[0] if len(entries) == 1 else None


# --- Assess_Candidate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentTestWrite:
    test: WorkdayReference
    result: tuple[WorkdayReference, ...] = ()
    score: Decimal | None = None
    status: WorkdayReference | None = None
    tested_on: date | None = None
    comment: str | None = None
    results_url: str | None = None


@dataclass(frozen=True)
class AssessCandidateWrite:
    """Everything one `Assess_Candidate` call writes."""

    assessed_on: date
    status: WorkdayReference
    event: tuple[WorkdayReference, ...] = ()
    job_application: tuple[WorkdayReference, ...] = ()
    candidate: WorkdayReference | None = None
    job_requisition: WorkdayReference | None = None
    assess_candidate_reference: str | None = None
    overall_comment: str | None = None
    test_url: str | None = None
    tests: tuple[AssessmentTestWrite, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.event and not self.job_application and self.candidate is None:
            raise ValueError("Assess_Candidate needs an event, a job application or a candidate reference")


def assess_candidate_request(version: str, write: AssessCandidateWrite) -> etree._Element:
    request = etree.Element(wd("Assess_Candidate_Request"), {wd("version"): version})
    data = etree.SubElement(request, wd("Assess_Candidate_Data"))
    if write.event:
        _reference(data, "Event_Reference", *write.event)
    if write.job_application:
        _reference(data, "Job_Application_Reference", *write.job_application)
    if write.candidate is not None and not write.event and not write.job_application:
        criteria = etree.SubElement(data, wd("Candidate_Criteria_Data"))
        _reference(criteria, "Candidate_Reference", write.candidate)
        if write.job_requisition is not None:
            _reference(criteria, "Job_Requisition_Reference", write.job_requisition)
    assessment = etree.SubElement(data, wd("Candidate_Assessment_Data"))
    if write.assess_candidate_reference:
        _text(assessment, "Assess_Candidate_Reference", write.assess_candidate_reference)
    _text(assessment, "Assessed_On_Date", xsd_date(write.assessed_on))
    _reference(assessment, "Assessment_Status_Reference", write.status)
    if write.overall_comment:
        _text(assessment, "Overall_Assessment_Comment", write.overall_comment)
    if write.test_url:
        _text(assessment, "Assessment_Test_URL", write.test_url)
    for test in write.tests:
        result = etree.SubElement(assessment, wd("Assess_Candidate_Test_Result_Data"))
        if test.result:
            _reference(result, "Assessment_Test_Result_Reference", *test.result)
        _reference(result, "Assessment_Test_Reference", test.test)
        if test.score is not None:
            _text(result, "Assessment_Test_Score", xsd_decimal(test.score))
        if test.status is not None:
            _reference(result, "Assessment_Test_Status_Reference", test.status)
        if test.tested_on is not None:
            _text(result, "Assessment_Test_Date", xsd_date(test.tested_on))
        if test.comment:
            _text(result, "Comment", test.comment)
        if test.results_url:
            _text(result, "Assessment_Test_Results_URL", test.results_url)
    return request


@dataclass(frozen=True)
class AssessCandidateResult:
    event: tuple[WorkdayReference, ...]
    assessment: tuple[WorkdayReference, ...]


def read_assess_candidate(response: etree._Element) -> AssessCandidateResult:
    return AssessCandidateResult(
        event=_ids(response.find(wd("Candidate_Assessment_Event_Reference"))),
        assessment=_ids(response.find(wd("Candidate_Assessment_Reference"))),
    )
