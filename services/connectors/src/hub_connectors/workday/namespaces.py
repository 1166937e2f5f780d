"""XML namespaces of a Workday SOAP exchange (ats-formats.md §3.3)."""

from __future__ import annotations

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"  # noqa: S105 (a URI, not a password)
)
WD = "urn:com.workday/bsvc"

NSMAP = {"soapenv": SOAPENV, "wsse": WSSE, "wd": WD}


def wd(local: str) -> str:
    """Clark notation of an element or attribute in the Workday namespace."""
    return f"{{{WD}}}{local}"


def soapenv(local: str) -> str:
    return f"{{{SOAPENV}}}{local}"


def wsse(local: str) -> str:
    return f"{{{WSSE}}}{local}"
