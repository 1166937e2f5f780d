"""What a connector is given: shared stores and clients, created on startup on the running loop."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from redis.asyncio import Redis

from hub_connectors.framework.api_keys import ApiKeyAuthenticator
from hub_connectors.framework.clock import Clock
from hub_connectors.framework.commands import CommandPublisher, Publish
from hub_connectors.framework.crypto import CredentialCipher
from hub_connectors.framework.http import VendorHttp
from hub_connectors.framework.integrations import IntegrationStore
from hub_connectors.framework.links import LinkStore
from hub_connectors.framework.ratelimit import RateLimiter
from hub_connectors.framework.read_model import AssessmentReader
from hub_connectors.settings import ConnectorsSettings


@dataclass(frozen=True)
class Resources:
    redis: Redis
    integrations: IntegrationStore
    links: LinkStore
    assessments: AssessmentReader
    api_keys: ApiKeyAuthenticator
    commands: CommandPublisher
    limiter: RateLimiter
    http: VendorHttp


class NotStartedError(RuntimeError):
    pass


class ConnectorContext:
    """Built at app creation (no I/O); `start()` in the lifespan opens Redis and the HTTP session."""

    def __init__(self, settings: ConnectorsSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.namespace = settings.namespace
        self.cipher = CredentialCipher(settings.credentials_keys)
        self._resources: Resources | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self, publish: Publish) -> None:
        s = self.settings
        redis = Redis.from_url(s.redis_url.get_secret_value())
        self._session = aiohttp.ClientSession()
        limiter = RateLimiter(redis, self.clock, s.namespace)
        self._resources = Resources(
            redis=redis,
            integrations=IntegrationStore(redis, self.cipher, s.namespace, s.error_history),
            links=LinkStore(redis, s.namespace),
            assessments=AssessmentReader(redis, s.namespace),
            api_keys=ApiKeyAuthenticator(redis, s.api_key_secret, s.namespace),
            commands=CommandPublisher(publish, s.candidate_app_base_url, s.assessment_ttl_days),
            limiter=limiter,
            http=VendorHttp(self._session, limiter, s.outbound_timeout_s),
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._resources is not None:
            await self._resources.redis.aclose()
        self._resources = None

    @property
    def resources(self) -> Resources:
        if self._resources is None:
            raise NotStartedError("the connectors context is used before startup")
        return self._resources

    @property
    def redis(self) -> Redis:
        return self.resources.redis

    @property
    def integrations(self) -> IntegrationStore:
        return self.resources.integrations

    @property
    def links(self) -> LinkStore:
        return self.resources.links

    @property
    def assessments(self) -> AssessmentReader:
        return self.resources.assessments

    @property
    def api_keys(self) -> ApiKeyAuthenticator:
        return self.resources.api_keys

    @property
    def commands(self) -> CommandPublisher:
        return self.resources.commands

    @property
    def http(self) -> VendorHttp:
        return self.resources.http

    def public_url(self, path: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}{path}"

    async def rotate_keys(self) -> dict[str, int]:
        """Re-encrypt stored secrets (integration credentials, sealed link refs) under the primary key."""
        return {
            "integrations": await self.integrations.rotate_credentials(),
            "links": await self.links.rotate_sealed_refs(self.cipher),
        }

    def seal(self, secret: dict[str, object]) -> str:
        """Encrypt a small secret for an AssessmentLink ref named `sealed_…` (rotated with the keys)."""
        return self.cipher.encrypt(secret).decode()

    def unseal(self, token: object) -> dict[str, object]:
        return self.cipher.decrypt(str(token).encode())
