"""Reading the profiles an event links to: the person (candidate) and the job (which package)."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from hub_contracts.assessment import Candidate

PERSON_FIELDS = ("firstname", "lastname", "email")
JOB_FIELDS = ("assessmenttype", "jobtitle")


class ProfileError(ValueError):
    """A profile lacks what we need to order an assessment (permanent: tell the customer)."""


def candidate_from_person(person: Any) -> Candidate:
    if not isinstance(person, dict):
        raise ProfileError("person profile is not a JSON object")
    email = person.get("email")
    if not isinstance(email, str) or not email.strip():
        raise ProfileError("person profile has no email")
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ProfileError(f"person profile email is not valid: {exc}") from None
    name = " ".join(str(person.get(k) or "").strip() for k in ("firstname", "lastname")).strip()
    return Candidate(email=email, name=(name or email)[:200])


def job_assessment_types(job: Any) -> list[str]:
    """Ids and values of the job's `assessmenttype` (LISTEDITOR_MULTIPLE) nodes."""
    if not isinstance(job, dict):
        return []
    raw = job.get("assessmenttype")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            out.extend(str(item[k]) for k in ("id", "value") if item.get(k) not in (None, ""))
    return out
