"""Public identifiers."""

from __future__ import annotations

import re

from hub_contracts.base import base62

ASSESSMENT_ID_PATTERN = r"^asmt_[0-9A-Za-z]{12}$"
_ASSESSMENT_ID = re.compile(ASSESSMENT_ID_PATTERN)


def new_assessment_id() -> str:
    """`asmt_` + 12 base62 characters (about 71 bits of entropy), as on the seed page."""
    return f"asmt_{base62(12)}"


def is_assessment_id(value: str) -> bool:
    return bool(_ASSESSMENT_ID.match(value))


def challenge_token(assessment_id: str) -> str:
    """The part of the candidate URL that names the challenge: the id without its prefix."""
    return assessment_id.removeprefix("asmt_")
