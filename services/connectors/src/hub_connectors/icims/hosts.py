"""iCIMS API hosts (US and EU) and the check that an event's links point at the customer's own API."""

from __future__ import annotations

from urllib.parse import urlsplit

from hub_connectors.icims.settings import IcimsRegion

PUBLIC_HOSTS = {IcimsRegion.US: "https://api.icims.com", IcimsRegion.EU: "https://api-eu.icims.com"}


def customer_base(api_base: str, customer_id: str) -> str:
    """`https://api.icims.com/customers/{customerId}` (or the EU host, or a test server)."""
    return f"{api_base.rstrip('/')}/customers/{customer_id}"


def link_is_for_customer(url: str, api_base: str, customer_id: str) -> bool:
    """We send credentials to event links: only to the customer's API on the configured host."""
    parts, base = urlsplit(url), urlsplit(api_base)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query or parts.fragment:
        return False
    prefix = urlsplit(customer_base(api_base, customer_id)).path + "/"
    return parts.path.startswith(prefix) and ".." not in parts.path.split("/")
