"""Our signer against the Standard Webhooks test vectors and the `standardwebhooks` library."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hub_webhooks.signing import new_secret, secret_key, signature, webhook_headers

# The specification's published vectors, copied into the repo (from ../shared/reference/) so the test runs anywhere.
VECTORS = json.loads((Path(__file__).parent / "fixtures" / "standard-webhooks-vectors.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["msg_id"] for v in VECTORS])
def test_spec_vectors(vector: dict[str, object]) -> None:
    got = signature(
        str(vector["secret"]),
        str(vector["msg_id"]),
        int(str(vector["timestamp"])),
        str(vector["payload"]).encode(),
    )
    assert got == vector["signature"]


def test_library_verifies_our_headers_and_rejects_tampering() -> None:
    secret = new_secret()
    assert 24 <= len(secret_key(secret)) <= 64
    body = '{"type":"assessment.completed","data":{"candidate_name":"Zoë"}}'.encode()
    headers = webhook_headers([secret], "evt_abc123", int(time.time()), body)
    assert Webhook(secret).verify(body, headers)["type"] == "assessment.completed"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_rotation_header_carries_one_signature_per_secret() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"x":1}'
    headers = webhook_headers([new, old], "evt_rotating", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"x": 1}
