"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a rotating key list (MultiFernet).

The first key of `credentials_keys` encrypts; every key decrypts. To rotate: prepend a new key,
deploy, run `IntegrationStore.rotate_credentials()` (re-encrypts under the new key), then drop the old.
"""

from __future__ import annotations

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class CredentialsUnreadableError(Exception):
    """No configured key decrypts the stored credentials (a key was dropped too early)."""


class CredentialCipher:
    def __init__(self, keys: SecretStr) -> None:
        parts = [k.strip() for k in keys.get_secret_value().split(",") if k.strip()]
        if not parts:
            raise ValueError("credentials_keys must hold at least one Fernet key")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])

    def encrypt(self, credentials: dict[str, object]) -> bytes:
        return self._fernet.encrypt(orjson.dumps(credentials))

    def decrypt(self, token: bytes) -> dict[str, object]:
        try:
            value = orjson.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise CredentialsUnreadableError(
                "credentials cannot be decrypted with the configured keys"
            ) from None
        if not isinstance(value, dict):
            raise CredentialsUnreadableError("credentials are not an object")
        return value

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext under the primary key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise CredentialsUnreadableError(
                "credentials cannot be decrypted with the configured keys"
            ) from None
