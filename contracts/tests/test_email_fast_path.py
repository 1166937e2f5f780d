"""The fast e-mail check accepts exactly what pydantic's EmailStr accepts, normalised the same way."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, EmailStr, ValidationError

from hub_contracts.emails import EmailAddress


class Fast(BaseModel):
    email: EmailAddress


class Reference(BaseModel):
    email: EmailStr


def outcome(model: type[BaseModel], value: str) -> tuple[str, str]:
    try:
        return "ok", model.model_validate({"email": value}).email  # type: ignore[attr-defined]
    except ValidationError as exc:
        return "error", exc.errors()[0]["msg"]


_local = st.text(alphabet="aZ09._+-!#'`~\"é ", min_size=0, max_size=70)
_label = st.text(alphabet="aZ09-_.é", min_size=0, max_size=70)
_tld = st.sampled_from(["com", "COM", "test", "local", "localhost", "invalid", "onion", "arpa", "c", "co1", "xn--p1ai",
                        "museum", "a" * 64, "", "123"])
addresses = st.builds(lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
                      _local, st.lists(_label, min_size=0, max_size=4), _tld)


@settings(max_examples=3000, deadline=None)
@given(addresses | st.text(max_size=80))
@example("jane.doe@lawfirm.com")
@example("Jane.Doe@LawFirm.COM")
@example("ab--cd@ex--ample.com")
@example("a@xn--80ak6aa92e.com")
@example(" jane@lawfirm.com ")
@example("Jane Doe <jane@lawfirm.com>")
@example("a" * 64 + "@" + "b" * 63 + ".com")
@example("a" * 65 + "@lawfirm.com")
@example("x@" + ".".join(["a" * 63] * 4) + ".com")
@example("jane@mail.local")
@example("jane@sub.example.onion")
@example("jane@lawfirm.c0m")
def test_fast_path_agrees_with_emailstr(value: str) -> None:
    assert outcome(Fast, value) == outcome(Reference, value)


@pytest.mark.parametrize("value", ["jane.doe@lawfirm.com", "a.b+c@sub.firm.co.uk"])
def test_plain_addresses_take_the_fast_path(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(_: str) -> tuple[str, str]:
        raise AssertionError("slow path used")

    monkeypatch.setattr("hub_contracts.emails.validate_email", slow)
    assert Fast(email=value).email == value
