"""SOAP faults and HTTP failures of Workday, classified as retryable or permanent.

Workday answers errors as SOAP 1.1 Faults (ats-formats.md §3.3, §3.6). The fault codes it uses
(`SOAP-ENV:Client.validationError`, `SOAP-ENV:Server.processingFault`, `…Client.authenticationError`)
are not in the reference: the rule below keys on the SOAP 1.1 class only, which is documented —
`Client…` means the request itself is wrong (retrying the same envelope cannot help),
`Server…` means the server failed to process a valid request (retry later).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from hub_connectors.workday.namespaces import wd

RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ValidationError:
    message: str
    detail: str | None = None
    xpath: str | None = None


@dataclass
class WorkdayError(Exception):
    """A failed Workday call. `retryable` says whether the same call may succeed later."""

    message: str
    retryable: bool
    fault_code: str | None = None
    http_status: int | None = None
    validation_errors: tuple[ValidationError, ...] = field(default_factory=tuple)
    retry_after_s: float | None = None

    def __str__(self) -> str:
        kind = "retryable" if self.retryable else "permanent"
        code = f" {self.fault_code}" if self.fault_code else ""
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        details = "; ".join(e.detail or e.message for e in self.validation_errors)
        return f"Workday {kind} fault{code}{status}: {self.message}" + (f" [{details}]" if details else "")


def fault_class(fault_code: str) -> str:
    """`SOAP-ENV:Client.validationError` → `Client`."""
    local = fault_code.rsplit(":", 1)[-1]
    return local.split(".", 1)[0]


def is_retryable_fault(fault_code: str) -> bool:
    return fault_class(fault_code) == "Server"


def error_from_fault(fault: etree._Element, http_status: int | None) -> WorkdayError:
    code = (fault.findtext("faultcode") or "").strip()
    message = (fault.findtext("faultstring") or "").strip() or "SOAP fault without faultstring"
    detail = fault.find("detail")
    errors: list[ValidationError] = []
    if detail is not None:
        for item in detail.iter(wd("Validation_Error")):
            errors.append(
                ValidationError(
                    message=(item.findtext(wd("Message")) or "").strip(),
                    detail=(item.findtext(wd("Detail_Message")) or "").strip() or None,
                    xpath=(item.findtext(wd("Xpath")) or "").strip() or None,
                )
            )
        for item in detail.iter(wd("Processing_Fault")):
            text = (item.findtext(wd("Detail_Message")) or "").strip()
            if text:
                errors.append(ValidationError(message=text))
    retryable = is_retryable_fault(code) if code else True
    return WorkdayError(
        message=message,
        retryable=retryable,
        fault_code=code or None,
        http_status=http_status,
        validation_errors=tuple(errors),
    )


def error_from_http(status: int, reason: str, retry_after: str | None = None) -> WorkdayError:
    """An HTTP failure without a SOAP fault in the body (gateway errors, throttling, auth at the edge)."""
    delay: float | None = None
    if retry_after and retry_after.strip().isdigit():
        delay = float(retry_after.strip())
    return WorkdayError(
        message=reason or f"HTTP {status}",
        retryable=status in RETRYABLE_HTTP,
        http_status=status,
        retry_after_s=delay,
    )
