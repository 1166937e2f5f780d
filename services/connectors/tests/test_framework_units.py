"""The framework's parts on their own, over real Redis: credentials at rest and key rotation, the
shared token bucket, the management API's internal auth, the dead-letter path of a connector."""

from __future__ import annotations

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from cryptography.fernet import Fernet
from dead_letter_reading import first_dead_letter
from pydantic import SecretStr
from redis.asyncio import Redis

from hub_connectors.framework.crypto import CredentialCipher, CredentialsUnreadableError
from hub_connectors.framework.integrations import IntegrationStatus, IntegrationStore
from hub_connectors.framework.ratelimit import RateLimit, RateLimiter
from hub_connectors.framework.testing.clock import ManualClock
from hub_connectors.framework.testing.harness import InternalApi, running_connectors, settings_for_test
from hub_contracts.cloudevents import make_headers
from hub_contracts.topics import ASSESSMENT_EVENTS


async def test_credentials_are_encrypted_and_survive_key_rotation(redis: Redis, namespace: str) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    store = IntegrationStore(redis, CredentialCipher(SecretStr(old_key)), namespace)
    integration = await store.create(
        account_id="acct_RotateTest0001",
        livemode=True,
        connector="lever",
        settings={},
        credentials={"signature_token": "sekrit-value-123"},
        status=IntegrationStatus.ACTIVE,
    )
    raw = await redis.hget(store.keys.integration(integration.id), "credentials")
    assert raw is not None
    assert b"sekrit-value-123" not in raw

    rotated = IntegrationStore(redis, CredentialCipher(SecretStr(f"{new_key},{old_key}")), namespace)
    assert await rotated.credentials(integration.id) == {
        "signature_token": "sekrit-value-123"
    }  # old key reads
    assert await rotated.rotate_credentials() == 1
    only_new = IntegrationStore(redis, CredentialCipher(SecretStr(new_key)), namespace)
    assert await only_new.credentials(integration.id) == {"signature_token": "sekrit-value-123"}
    with pytest.raises(CredentialsUnreadableError):
        await store.credentials(integration.id)  # the retired key alone no longer reads them


async def test_token_bucket_allows_the_burst_then_the_rate(redis: Redis, namespace: str) -> None:
    clock = ManualClock()
    limiter = RateLimiter(redis, clock, namespace)
    lever = RateLimit(rate_per_s=10, burst=20)
    waits = [await limiter.try_take("lever", lever, "int_a") for _ in range(21)]
    assert waits[:20] == [0.0] * 20
    assert 0.09 <= waits[20] <= 0.11  # one token every 100 ms
    assert await limiter.try_take("lever", lever, "int_b") == 0.0  # another customer's token: its own bucket
    await clock.advance(0.5)
    assert [await limiter.try_take("lever", lever, "int_a") for _ in range(5)] == [0.0] * 5
    assert await limiter.try_take("lever", lever, "int_a") > 0


@pytest.mark.kafka
async def test_internal_api_needs_the_gateways_token(
    kafka_bootstrap: str, redis_url: str, topics: str
) -> None:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    async with (
        running_connectors(settings, enabled=["greenhouse"]) as running,
        aiohttp.ClientSession() as session,
    ):
        api = InternalApi(session, running, "acct_InternalAuth001")
        assert (await api.call("GET"))[0] == 200
        async with session.get(
            running.url("/internal/v1/integrations"),
            headers=api.headers() | {"Authorization": "Bearer wrong"},
        ) as resp:
            assert resp.status == 401
            assert resp.headers["Content-Type"].startswith("application/problem+json")
        status, body, _ = await api.call("POST", "", {"connector": "taleo"})
        assert (status, body["errors"][0]["field"]) == (400, "connector")
        async with session.post(
            running.url("/internal/v1/integrations"), data=b"{not json", headers=api.headers()
        ) as resp:
            assert resp.status == 400


@pytest.mark.kafka
async def test_undecodable_event_goes_to_each_connectors_own_dead_letter_topic(
    kafka_bootstrap: str,
    redis_url: str,
    topics: str,
) -> None:
    settings = settings_for_test(kafka_bootstrap, redis_url, topics)
    async with running_connectors(settings, enabled=["greenhouse", "lever"]):
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                ASSESSMENT_EVENTS.full_name(topics),
                orjson.dumps({"type": "nonsense"}),
                key=b"asmt_000000000000",
                headers=make_headers(
                    id="evt_poison0001",
                    type="ai.lextalent.assessment.completed.v1",
                    source="//tests",
                    subject="asmt_000000000000",
                ),
            )
        finally:
            await producer.stop()
        for group in ("connectors.greenhouse", "connectors.lever"):
            batch = await first_dead_letter(kafka_bootstrap, topics, group)
            headers = {k: v.decode() for k, v in batch.headers}
            assert headers["x-dlq-group"] == group
            assert headers["x-dlq-reason"].startswith("invalid message")
            assert batch.key == b"asmt_000000000000"


def test_secret_fields_of_credentials_models_are_stored_revealed_for_encryption() -> None:
    from pydantic import BaseModel

    from hub_connectors.framework.management_api import plain_data

    class Credentials(BaseModel):
        password: SecretStr
        user: str

    assert plain_data(Credentials(password=SecretStr("pa55-word"), user="isu@tenant")) == {
        "password": "pa55-word",
        "user": "isu@tenant",
    }


async def test_sealed_link_refs_are_rotated_with_the_keys(redis: Redis, namespace: str) -> None:
    from hub_connectors.framework.links import AssessmentLink, LinkStore
    from hub_contracts.base import utcnow

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old, both = CredentialCipher(SecretStr(old_key)), CredentialCipher(SecretStr(f"{new_key},{old_key}"))
    links = LinkStore(redis, namespace)
    link = AssessmentLink(
        assessment_id="asmt_RotateLink001",
        connector="greenhouse",
        integration_id="int_x",
        account_id="acct_RotateTest0001",
        livemode=True,
        vendor_ref="u",
        refs={"sealed_auth": old.encrypt({"api_key": "k"}).decode(), "url": "u"},
        created_at=utcnow(),
    )
    await links.claim(link)
    assert await links.rotate_sealed_refs(both) == 1
    rotated = await links.get(link.assessment_id)
    assert rotated is not None
    assert rotated.refs["url"] == "u"
    assert CredentialCipher(SecretStr(new_key)).decrypt(rotated.refs["sealed_auth"].encode()) == {
        "api_key": "k"
    }


def test_every_registered_connector_runs_the_contract_suite() -> None:
    """A connector without a `ConnectorContract` subclass among the tests fails here."""
    import importlib.util
    import inspect
    from pathlib import Path

    from hub_connectors.framework.registry import registered
    from hub_connectors.framework.testing.contract import ConnectorContract

    covered: set[str] = set()
    for path in Path(__file__).parent.rglob("test_*_contract.py"):
        spec = importlib.util.spec_from_file_location(f"_contract_scan_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        import sys

        sys.path.insert(0, str(path.parent))
        try:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
        covered |= {
            cls.connector_name
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, ConnectorContract) and cls is not ConnectorContract
        }
    assert set(registered()) <= covered, f"connectors without a contract test: {set(registered()) - covered}"


async def test_key_rotation_never_overwrites_a_credential_changed_meanwhile(redis: Redis, namespace: str) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    store = IntegrationStore(redis, CredentialCipher(SecretStr(old_key)), namespace)
    integration = await store.create(
        account_id="acct_RotationRace01", livemode=True, connector="lever", settings={},
        credentials={"signature_token": "before"}, status=IntegrationStatus.ACTIVE,
    )
    rotating = IntegrationStore(redis, CredentialCipher(SecretStr(f"{new_key},{old_key}")), namespace)
    real_swap = rotating._swap_field
    swaps: list[int] = []

    async def customer_updates_first(**kwargs: object) -> object:
        if not swaps:  # between the rotation's read and its write, the customer sets a new credential
            fresh = rotating.cipher.encrypt({"signature_token": "after"})
            await redis.hset(store.keys.integration(integration.id), "credentials", fresh)
        result = await real_swap(**kwargs)  # type: ignore[arg-type]
        swaps.append(int(result))  # type: ignore[call-overload]
        return result

    rotating._swap_field = customer_updates_first  # type: ignore[assignment]
    assert await rotating.rotate_credentials() == 1
    assert swaps == [0, 1]  # the stale write was refused, the fresh value rotated
    only_new = IntegrationStore(redis, CredentialCipher(SecretStr(new_key)), namespace)
    assert await only_new.credentials(integration.id) == {"signature_token": "after"}
