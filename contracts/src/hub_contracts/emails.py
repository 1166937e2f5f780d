"""E-mail syntax checking with a fast path for the everyday address.

pydantic's `EmailStr` (email-validator) was the largest single cost of `POST /v1/assessments`
(~8 % of the gateway's CPU under load) and ~3 % of every consumer that decodes an assessment snapshot.
Plain ASCII `local@host.tld` addresses, which are nearly all real ones, are checked here by one
regular expression and the same length and special-use-domain rules, with the same normalisation
(the domain lower-cased). Anything else, and every address the fast path does not accept, goes
through pydantic's own `validate_email`, so the accepted set and the error messages are exactly
EmailStr's; a property test holds the two paths equal.
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_SPECIAL_SUFFIXES = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_NAMES = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def normalized_email(value: str) -> str:
    """The address as `EmailStr` would store it; raises pydantic's error for an invalid one."""
    if len(value) <= 254 and _PLAIN_ADDRESS.fullmatch(value):
        local, _, domain = value.rpartition("@")
        domain = domain.lower()
        if (len(local) <= 64 and len(domain) <= 253 and "--" not in domain  # IDNA rules: slow path
                and domain not in _SPECIAL_NAMES and not domain.endswith(_SPECIAL_SUFFIXES)):
            return f"{local}@{domain}"
    return validate_email(value)[1]


EmailAddress = Annotated[str, AfterValidator(normalized_email), WithJsonSchema({"type": "string", "format": "email"})]
