"""SOAP 1.1 envelopes for Workday Web Services, built and read with lxml (never by string concatenation)."""

from __future__ import annotations

from lxml import etree

from hub_connectors.workday.faults import WorkdayError, error_from_fault
from hub_connectors.workday.namespaces import NSMAP, PASSWORD_TEXT, soapenv, wd, wsse
from hub_connectors.workday.xml_safety import UnreadableXmlError, parse_xml

CONTENT_TYPE = 'text/xml; charset="utf-8"'


def envelope(
    body_element: etree._Element, *, username: str, password: str, include_descriptors: bool = True
) -> bytes:
    """Wrap one request element in an envelope with a WS-Security UsernameToken (PasswordText)."""
    root = etree.Element(soapenv("Envelope"), nsmap=NSMAP)
    header = etree.SubElement(root, soapenv("Header"))
    security = etree.SubElement(header, wsse("Security"))
    token = etree.SubElement(security, wsse("UsernameToken"))
    etree.SubElement(token, wsse("Username")).text = username
    password_element = etree.SubElement(token, wsse("Password"), Type=PASSWORD_TEXT)
    password_element.text = password
    common = etree.SubElement(header, wd("Workday_Common_Header"))
    etree.SubElement(common, wd("Include_Reference_Descriptors_In_Response")).text = (
        "true" if include_descriptors else "false"
    )
    body = etree.SubElement(root, soapenv("Body"))
    body.append(body_element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def isu_username(isu_user: str, tenant: str) -> str:
    """Workday's UsernameToken user is `{ISU}@{tenant}`; accept either form from the customer."""
    return isu_user if "@" in isu_user else f"{isu_user}@{tenant}"


def read_response(body: bytes, http_status: int, expected: str) -> etree._Element:
    """The response element named `expected` (local name in the wd namespace), or a WorkdayError."""
    try:
        root = parse_xml(body)
    except UnreadableXmlError as exc:
        raise WorkdayError(
            message=f"unreadable response: {exc}", retryable=http_status >= 500, http_status=http_status
        ) from None
    if root.tag != soapenv("Envelope"):
        raise WorkdayError(
            message=f"response is not a SOAP envelope ({root.tag})",
            retryable=http_status >= 500,
            http_status=http_status,
        )
    body_element = root.find(soapenv("Body"))
    if body_element is None or len(body_element) == 0:
        raise WorkdayError(message="SOAP envelope without a body", retryable=True, http_status=http_status)
    child = body_element[0]
    if child.tag == soapenv("Fault"):
        raise error_from_fault(child, http_status)
    if child.tag != wd(expected):
        raise WorkdayError(
            message=f"expected {expected}, got {etree.QName(child).localname}",
            retryable=False,
            http_status=http_status,
        )
    return child
