"""The `x-icims-v1-hmac-sha256` scheme: sign our API calls, verify iCIMS's event POSTs.

Confirmed by the reference (ats-formats.md §4.2 and the iCIMS HMAC page it cites): the header
`Authorization: x-icims-v1-hmac-sha256 user=…,signedheaders=a;b;x-icims-date,signature=<64 hex>`
and the `x-icims-date` (`2017-10-18T14:53:40+0000`) and `x-icims-content-sha256` (hex SHA-256 of the
body) headers. NOT public: the exact string to sign. We use the SigV4-style layout below, kept in this
module only, and must confirm it against iCIMS's validator at onboarding:

    canonical = METHOD, path, sorted query, one "name:value" line per signed header,
                signedheaders, hex(sha256(body)) — joined by newlines
    string_to_sign = "x-icims-v1-hmac-sha256", x-icims-date, hex(sha256(canonical)) — joined by newlines
    signature = hex(hmac_sha256(secret, string_to_sign))
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

ALGORITHM = "x-icims-v1-hmac-sha256"
DATE_HEADER = "x-icims-date"
CONTENT_HEADER = "x-icims-content-sha256"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
MAX_SKEW = timedelta(minutes=5)
_HEADER = re.compile(
    rf"^{ALGORITHM} user=(?P<user>[^,\s]+),\s*signedheaders=(?P<signed>[a-z0-9\-;]+),"
    r"\s*signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class ParsedAuthorization:
    user: str
    signed_headers: tuple[str, ...]
    signature: str


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def icims_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def _canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


def string_to_sign(
    method: str, url: str, headers: Mapping[str, str], signed: tuple[str, ...], body: bytes
) -> str:
    parts = urlsplit(url)
    lower = {k.lower(): " ".join(v.split()) for k, v in headers.items()}
    header_lines = "".join(f"{name}:{lower.get(name, '')}\n" for name in signed)
    canonical = "\n".join(
        [
            method.upper(),
            parts.path or "/",
            _canonical_query(parts.query),
            header_lines,
            ";".join(signed),
            body_sha256(body),
        ]
    )
    return "\n".join([ALGORITHM, lower.get(DATE_HEADER, ""), hashlib.sha256(canonical.encode()).hexdigest()])


def _signature(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign(
    method: str,
    url: str,
    body: bytes,
    *,
    user: str,
    secret: str,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers to add to a request: x-icims-date, x-icims-content-sha256 and Authorization."""
    out = dict(headers or {})
    out[DATE_HEADER] = icims_date(now)
    out[CONTENT_HEADER] = body_sha256(body)
    out["host"] = urlsplit(url).netloc
    signed = tuple(
        sorted(
            {"host", DATE_HEADER, CONTENT_HEADER}
            | ({"content-type"} if any(k.lower() == "content-type" for k in out) else set())
        )
    )
    signature = _signature(secret, string_to_sign(method, url, out, signed, body))
    out["Authorization"] = f"{ALGORITHM} user={user},signedheaders={';'.join(signed)},signature={signature}"
    del out["host"]  # aiohttp sets Host itself, to the same value
    return out


def parse_authorization(value: str | None) -> ParsedAuthorization | None:
    match = _HEADER.match((value or "").strip())
    if match is None:
        return None
    return ParsedAuthorization(match["user"], tuple(match["signed"].split(";")), match["sig"])


def verify(
    method: str, url: str, headers: Mapping[str, str], body: bytes, *, user: str, secret: str, now: datetime
) -> str | None:
    """None when the request is signed by `user` with `secret`, else what is wrong (safe to log)."""
    lower = {k.lower(): v for k, v in headers.items()}
    parsed = parse_authorization(lower.get("authorization"))
    if parsed is None:
        return f"missing or malformed {ALGORITHM} Authorization header"
    if not hmac.compare_digest(parsed.user, user):
        return "unknown HMAC user"
    if DATE_HEADER not in parsed.signed_headers:
        return f"{DATE_HEADER} is not among the signed headers"
    try:
        signed_at = datetime.strptime(lower.get(DATE_HEADER, ""), DATE_FORMAT)
    except ValueError:
        return f"missing or malformed {DATE_HEADER}"
    if abs(now - signed_at) > MAX_SKEW:
        return f"{DATE_HEADER} is more than {int(MAX_SKEW.total_seconds())} s away from now"
    if CONTENT_HEADER in lower and not hmac.compare_digest(lower[CONTENT_HEADER], body_sha256(body)):
        return f"{CONTENT_HEADER} does not match the body"
    expected = _signature(secret, string_to_sign(method, url, lower, parsed.signed_headers, body))
    return None if hmac.compare_digest(expected, parsed.signature) else "signature does not match"
