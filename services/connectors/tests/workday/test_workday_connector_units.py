"""Workday connector helpers: which hosts get the ISU password, API keys from headers, error mapping."""

from __future__ import annotations

import base64

import pytest

from hub_connectors.framework.errors import PermanentError, RetryableError, VendorAuthError
from hub_connectors.workday.connector import (
    WorkdayVendorSettings,
    api_key_of,
    connector_error,
    endpoint_problem,
)
from hub_connectors.workday.faults import WorkdayError

PRODUCTION = WorkdayVendorSettings()


@pytest.mark.parametrize(
    "url",
    [
        "https://wd2-impl-services1.workday.com/ccx/service/acme/Recruiting/v46.0",
        "https://services1.myworkday.com/ccx/service/acme/Recruiting/v46.0",
        "https://impl-services1.wd105.myworkday.com/ccx/service/acme/Recruiting/v46.0",
    ],
)
def test_workday_hosts_are_allowed(url: str) -> None:
    assert endpoint_problem(url, PRODUCTION) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://wd2-impl-services1.workday.com/x", "https"),
        ("https://workday.com.evil.example/x", "not a Workday"),
        ("https://evilworkday.com/x", "not a Workday"),
        ("https://169.254.169.254/latest/meta-data", "not a Workday"),
        ("https://user:pw@services1.myworkday.com/x", "credentials"),
    ],
)
def test_other_hosts_never_get_the_password(url: str, why: str) -> None:
    problem = endpoint_problem(url, PRODUCTION)
    assert problem is not None
    assert why in problem


def test_api_key_from_basic_or_bearer() -> None:
    key = "lt_sk_live_" + "a" * 32
    assert api_key_of("Basic " + base64.b64encode(f"{key}:".encode()).decode()) == key
    assert api_key_of(f"Bearer {key}") == key
    assert api_key_of("Basic !!") is None
    assert api_key_of("Digest x") is None
    assert api_key_of(None) is None


def test_workday_errors_become_framework_errors() -> None:
    server = connector_error(
        WorkdayError("busy", retryable=True, fault_code="soapenv:Server.processingFault", retry_after_s=3.0)
    )
    assert isinstance(server, RetryableError)
    assert server.retry_after == 3.0
    assert isinstance(
        connector_error(WorkdayError("bad", retryable=False, fault_code="soapenv:Client")), PermanentError
    )
    auth = connector_error(
        WorkdayError("no", retryable=False, fault_code="soapenv:Client.authenticationError")
    )
    assert isinstance(auth, VendorAuthError)
    assert isinstance(connector_error(WorkdayError("401", retryable=False, http_status=401)), VendorAuthError)
