"""The contract every connector passes: subclass `ConnectorContract` in the connector's tests.

    class TestLeverContract(ConnectorContract):
        connector_name = "lever"
        push_route = "add_tags"
        def valid_settings(self): ...
        def invalid_settings(self): ...
        def valid_credentials(self): ...
        def make_fake_vendor(self): return FakeLever()
        def vendor_settings(self, fake): return LeverVendorSettings(api_base_url=fake.base_url, ...)
        async def prepare_push(self, env): ...  # returns (event, link) whose push calls `push_route`

The suite checks: registration and consumer group; the state mapping covers all five states;
settings validated per connector through the management API (400 problem+json); credentials
never returned, never stored in clear, never logged; tenant isolation (404 for another account);
update and delete; a push against the strict fake vendor succeeds with no deviation; 5xx, 429
and timeouts surface as `RetryableError` (429 with its Retry-After).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
import pytest
from pydantic_settings import BaseSettings
from redis.asyncio import Redis

from hub_connectors.framework.errors import RetryableError
from hub_connectors.framework.integrations import Integration
from hub_connectors.framework.links import AssessmentLink
from hub_connectors.framework.registry import consumer_group, registered
from hub_connectors.framework.testing.fake_vendor import FakeVendorServer, Fault
from hub_connectors.framework.testing.harness import (
    InternalApi,
    RunningConnectors,
    running_connectors,
    seed_account,
    settings_for_test,
    stored_values,
)
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.events import EventBase
from hub_contracts.topics import CONSUMER_GROUPS


@dataclass
class ContractEnv:
    running: RunningConnectors
    fake: FakeVendorServer
    session: aiohttp.ClientSession
    api: InternalApi
    account_id: str
    api_key: str
    redis: Redis


class ConnectorContract:
    connector_name: ClassVar[str]
    push_route: ClassVar[str]
    """The fake vendor route the push of `prepare_push` calls (faults are injected there)."""

    def valid_settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def invalid_settings(self) -> dict[str, Any]:
        """Settings the connector must refuse (at least one field wrong)."""
        raise NotImplementedError

    def valid_credentials(self) -> dict[str, Any]:
        """Credentials with recognisable secret string values (checked for leaks)."""
        return {}

    def make_fake_vendor(self) -> FakeVendorServer:
        raise NotImplementedError

    def vendor_settings(self, fake: FakeVendorServer) -> BaseSettings:
        raise NotImplementedError

    async def activate(self, env: ContractEnv, integration: Integration) -> Integration:
        """Bring a fresh integration to `active` (e.g. run an OAuth connect); default: nothing to do."""
        return integration

    async def prepare_push(
        self, env: ContractEnv, integration: Integration
    ) -> tuple[EventBase, AssessmentLink]:
        """Store what a push needs (a link, vendor ids) and return an event whose push calls `push_route`."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------- fixtures

    @pytest.fixture
    async def contract_env(
        self, kafka_bootstrap: str, redis_url: str, topics: str, redis: Redis
    ) -> AsyncIterator[ContractEnv]:
        settings = settings_for_test(kafka_bootstrap, redis_url, topics, outbound_timeout_s=0.5)
        async with (
            self.make_fake_vendor() as fake,
            running_connectors(
                settings,
                vendor_settings={self.connector_name: self.vendor_settings(fake)},
                enabled=[self.connector_name],
            ) as running,
            aiohttp.ClientSession() as session,
        ):
            account_id, api_key = await seed_account(
                redis, topics, settings.api_key_secret.get_secret_value()
            )
            yield ContractEnv(
                running=running,
                fake=fake,
                session=session,
                api=InternalApi(session, running, account_id),
                account_id=account_id,
                api_key=api_key,
                redis=redis,
            )
            fake.assert_clean()

    async def active_integration(self, env: ContractEnv) -> Integration:
        created = await env.api.create(self.connector_name, self.valid_settings(), self.valid_credentials())
        integration = await env.running.ctx.integrations.get(created["id"])
        assert integration is not None
        return await self.activate(env, integration)

    # -------------------------------------------------------------------------------------- tests

    def test_registered_with_its_own_consumer_group(self) -> None:
        cls = registered()[self.connector_name]
        assert cls.name == self.connector_name
        assert consumer_group(cls.name) in CONSUMER_GROUPS

    def test_state_mapping_covers_every_state(self) -> None:
        cls = registered()[self.connector_name]
        assert set(cls.state_mapping) == set(AssessmentStatus)
        assert all(text.strip() for text in cls.state_mapping.values())

    def test_settings_models_accept_valid_and_refuse_invalid(self) -> None:
        cls = registered()[self.connector_name]
        cls.settings_model.model_validate(self.valid_settings())
        cls.credentials_model.model_validate(self.valid_credentials())
        with pytest.raises(ValueError):  # noqa: PT011 (pydantic's ValidationError is a ValueError)
            cls.settings_model.model_validate(self.invalid_settings())

    async def test_management_api_refuses_invalid_settings_with_field_errors(
        self, contract_env: ContractEnv
    ) -> None:
        status, body, ctype = await contract_env.api.call(
            "POST",
            "",
            {
                "connector": self.connector_name,
                "settings": self.invalid_settings(),
                "credentials": self.valid_credentials(),
            },
        )
        assert status == 400
        assert ctype.startswith("application/problem+json")
        assert body["code"] == "invalid_request"
        assert body["errors"]
        assert all(e["field"].startswith("settings") for e in body["errors"])

    async def test_credentials_never_returned_stored_in_clear_or_logged(
        self,
        contract_env: ContractEnv,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        env = contract_env
        secrets = [v for v in self.valid_credentials().values() if isinstance(v, str) and len(v) >= 8]
        created = await env.api.create(self.connector_name, self.valid_settings(), self.valid_credentials())
        _, fetched, _ = await env.api.call("GET", f"/{created['id']}")
        _, listed, _ = await env.api.call("GET", "")
        assert fetched["id"] == created["id"]
        assert [i["id"] for i in listed["data"]] == [created["id"]]
        assert sorted(created["credentials_set"]) == sorted(self.valid_credentials())
        stored = await stored_values(env.redis, f"{env.running.settings.namespace}conn:*")
        assert created["id"].encode() in stored  # the scan sees the stored records
        logs = capsys.readouterr()
        for secret in secrets:
            for answer in (created, fetched, listed):
                assert secret not in str(answer)
            assert secret.encode() not in stored
            assert secret not in logs.out + logs.err

    async def test_other_account_and_other_mode_get_404(self, contract_env: ContractEnv) -> None:
        env = contract_env
        created = await env.api.create(self.connector_name, self.valid_settings(), self.valid_credentials())
        other = InternalApi(env.session, env.running, "acct_SomeoneElse0001")
        test_mode = InternalApi(env.session, env.running, env.account_id, livemode=False)
        missing = await env.api.call("GET", "/int_doesnotexist000000000")
        for api in (other, test_mode):
            for method in ("GET", "PATCH", "DELETE"):
                status, body, _ = await api.call(
                    method, f"/{created['id']}", {} if method == "PATCH" else None
                )
                assert status == 404
                assert {k: v for k, v in body.items() if k != "request_id"} == {
                    k: v for k, v in missing[1].items() if k != "request_id"
                }

    async def test_one_integration_per_connector_and_mode(self, contract_env: ContractEnv) -> None:
        env = contract_env
        await env.api.create(self.connector_name, self.valid_settings(), self.valid_credentials())
        status, body, _ = await env.api.call(
            "POST",
            "",
            {
                "connector": self.connector_name,
                "settings": self.valid_settings(),
                "credentials": self.valid_credentials(),
            },
        )
        assert status == 409
        assert body["code"] == "integration_exists"

    async def test_update_disable_and_delete(self, contract_env: ContractEnv) -> None:
        env = contract_env
        created = await env.api.create(self.connector_name, self.valid_settings(), self.valid_credentials())
        status, body, _ = await env.api.call(
            "PATCH", f"/{created['id']}", {"settings": self.invalid_settings()}
        )
        assert status == 400
        status, body, _ = await env.api.call("PATCH", f"/{created['id']}", {"enabled": False})
        assert (status, body["status"]) == (200, "disabled")
        status, _, _ = await env.api.call("DELETE", f"/{created['id']}")
        assert status == 204
        status, _, _ = await env.api.call("GET", f"/{created['id']}")
        assert status == 404

    async def test_push_reaches_the_fake_vendor_as_documented(self, contract_env: ContractEnv) -> None:
        env = contract_env
        integration = await self.active_integration(env)
        event, link = await self.prepare_push(env, integration)
        before = len(env.fake.calls_to(self.push_route))
        await env.running.connector(self.connector_name).handle_event(event, integration, link)
        assert len(env.fake.calls_to(self.push_route)) > before
        env.fake.assert_clean()

    @pytest.mark.parametrize(
        ("fault", "retry_after"),
        [
            pytest.param(Fault(status=503), None, id="503"),
            pytest.param(Fault(status=500), None, id="500"),
            pytest.param(Fault(status=429, headers={"Retry-After": "7"}), 7.0, id="429"),
            pytest.param(Fault(delay_s=1.5), None, id="timeout"),
        ],
    )
    async def test_vendor_faults_are_retryable(
        self, contract_env: ContractEnv, fault: Fault, retry_after: float | None
    ) -> None:
        env = contract_env
        integration = await self.active_integration(env)
        event, link = await self.prepare_push(env, integration)
        env.fake.fail_until_cleared(self.push_route, fault)
        with pytest.raises(RetryableError) as caught:
            await env.running.connector(self.connector_name).handle_event(event, integration, link)
        assert caught.value.retry_after == retry_after
        env.fake.clear_faults()
