"""The Assess Candidate notification a tenant's Integration System sends us, mapped through settings.

Its payload is tenant-configured, not a Workday schema (ats-formats.md §3.2): we accept a flat or nested
JSON object, or XML, read each value from the path the integration's `NotificationFields` names, and
refuse what cannot be mapped with one error per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from email_validator import EmailNotValidError, validate_email
from lxml import etree

from hub_connectors.workday.references import WorkdayReference
from hub_connectors.workday.settings import WorkdayIntegrationSettings
from hub_connectors.workday.xml_safety import UnreadableXmlError, parse_xml
from hub_contracts.assessment import Candidate

MAX_VALUE_LENGTH = 500


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class InvalidNotificationError(ValueError):
    """The payload cannot be turned into an order; `problems` name each field (for a 400 problem body)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class WorkdayOrder:
    candidate: Candidate
    candidate_ref: WorkdayReference
    job_requisition_ref: WorkdayReference | None
    job_application_ref: WorkdayReference | None
    assessment_id: str | None
    status: str | None
    scenario_id: str
    test: WorkdayReference

    def order_key(self) -> str:
        """Stable identity of the order within one integration: one notification, one assessment."""
        parts = [
            self.candidate_ref.value,
            self.job_requisition_ref.value if self.job_requisition_ref else "",
            self.assessment_id or "",
            self.test.value,
        ]
        return "|".join(parts)


def _flatten_json(value: Any, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(_flatten_json(item, f"{prefix}{key}."))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(_flatten_json(item, f"{prefix}{index}."))
    elif value is not None and not isinstance(value, bool):
        out[prefix.rstrip(".")] = str(value)
    return out


def _flatten_xml(element: etree._Element, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        path = f"{prefix}{name}"
        if len(child):
            out.update(_flatten_xml(child, f"{path}."))
        elif (child.text or "").strip():
            out.setdefault(path, child.text.strip())  # type: ignore[union-attr]
    return out


def flatten_payload(body: bytes, content_type: str) -> dict[str, str]:
    """Dotted path → text, from JSON (objects, arrays by index) or XML (element local names)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.endswith("xml") or body.lstrip().startswith(b"<"):
        try:
            return _flatten_xml(parse_xml(body))
        except UnreadableXmlError as exc:
            raise InvalidNotificationError([FieldProblem("<body>", str(exc))]) from None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidNotificationError([FieldProblem("<body>", "not valid JSON or XML")]) from None
    if not isinstance(parsed, dict):
        raise InvalidNotificationError([FieldProblem("<body>", "expected a JSON object")])
    return _flatten_json(parsed)


def parse_notification(body: bytes, content_type: str, settings: WorkdayIntegrationSettings) -> WorkdayOrder:
    values = flatten_payload(body, content_type)
    fields = settings.notification
    problems: list[FieldProblem] = []

    def read(path: str | None, *, required: bool) -> str | None:
        if path is None:
            return None
        value = values.get(path)
        if value is None or not value.strip():
            if required:
                problems.append(FieldProblem(path, "required by this integration's field mapping, missing"))
            return None
        if len(value) > MAX_VALUE_LENGTH:
            problems.append(FieldProblem(path, f"longer than {MAX_VALUE_LENGTH} characters"))
            return None
        return value.strip()

    email = read(fields.candidate_email, required=True)
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(FieldProblem(fields.candidate_email, f"not an email address ({exc})"))
            email = None
    full_name = read(fields.candidate_name, required=False)
    first = read(fields.candidate_first_name, required=False)
    last = read(fields.candidate_last_name, required=False)
    name = full_name or " ".join(p for p in (first, last) if p)
    if not name:
        named = [
            f for f in (fields.candidate_name, fields.candidate_first_name, fields.candidate_last_name) if f
        ]
        problems.append(
            FieldProblem(
                " / ".join(named) or "candidate_name",
                "no candidate name in the payload (full name or first/last name)",
            )
        )
    candidate_id = read(fields.candidate_id, required=True)
    requisition = read(fields.job_requisition_id, required=False)
    application = read(fields.job_application_id, required=False)
    assessment_id = read(fields.assessment_id, required=False)
    status = read(fields.assessment_status, required=False)
    if status is not None and status not in settings.trigger_statuses:
        problems.append(
            FieldProblem(
                fields.assessment_status or "assessment_status",
                f"status {status!r} does not order an assessment "
                f"(configured trigger statuses: {', '.join(settings.trigger_statuses)})",
            )
        )
    test_value = read(fields.test_reference, required=False)
    scenario_id: str | None = None
    test: WorkdayReference | None = None
    if test_value is not None:
        for mapping in settings.tests:
            if mapping.reference.value == test_value:
                scenario_id, test = mapping.scenario_id, mapping.reference
        if test is None:
            problems.append(
                FieldProblem(
                    fields.test_reference or "test_reference",
                    f"test {test_value!r} is not mapped to a LexTalent scenario",
                )
            )
    elif settings.default_scenario_id is not None:
        scenario_id = settings.default_scenario_id
        test = settings.test_for_scenario(scenario_id)
    elif len(settings.tests) == 1:
        scenario_id, test = settings.tests[0].scenario_id, settings.tests[0].reference
    else:
        problems.append(
            FieldProblem(
                fields.test_reference or "test_reference",
                "the payload names no test and the integration maps several",
            )
        )
    if problems:
        raise InvalidNotificationError(problems)
    assert email is not None
    assert candidate_id is not None
    assert scenario_id is not None
    assert test is not None
    return WorkdayOrder(
        candidate=Candidate(email=email, name=name[:200]),
        candidate_ref=WorkdayReference(id_type=settings.candidate_id_type, value=candidate_id),
        job_requisition_ref=WorkdayReference(id_type=settings.job_requisition_id_type, value=requisition)
        if requisition
        else None,
        job_application_ref=WorkdayReference(id_type=settings.job_application_id_type, value=application)
        if application
        else None,
        assessment_id=assessment_id,
        status=status,
        scenario_id=scenario_id,
        test=test,
    )
