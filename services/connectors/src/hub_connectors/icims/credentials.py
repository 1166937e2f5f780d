"""The secrets of one iCIMS integration: how we call the API, and how iCIMS proves its event POSTs.

Plain `str` fields (the framework encrypts the whole blob; SecretStr would be masked when it is stored).
Which ones are required depends on the integration's `api_auth` and `event_auth` (checked by `missing`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub_connectors.icims.settings import AuthMode

_Text = Field(default=None, min_length=1, max_length=500)


class IcimsCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # our calls to api.icims.com / api-eu.icims.com
    api_username: str | None = _Text
    api_password: str | None = _Text
    api_client_id: str | None = _Text
    api_client_secret: str | None = _Text
    api_hmac_user: str | None = _Text
    api_hmac_secret: str | None = _Text
    # iCIMS's event POSTs to us
    event_username: str | None = _Text
    event_password: str | None = _Text
    event_client_id: str | None = _Text
    event_client_secret: str | None = _Text
    event_hmac_user: str | None = _Text
    event_hmac_secret: str | None = _Text

    def missing(self, api_auth: AuthMode, event_auth: AuthMode) -> list[str]:
        need = {
            "basic": ("username", "password"),
            "oauth2": ("client_id", "client_secret"),
            "hmac": ("hmac_user", "hmac_secret"),
        }
        names = [f"api_{n}" for n in need[api_auth]] + [f"event_{n}" for n in need[event_auth]]
        return [n for n in names if not getattr(self, n)]
