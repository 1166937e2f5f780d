"""pytest plugin: real Kafka and Redis for the hub's tests, and per-test isolation.

Where the brokers come from, in order:
1. `KAFKA_BOOTSTRAP_SERVERS` / `REDIS_URL` from the environment (CI or a developer's own brokers);
2. where a Docker engine answers, testcontainers (Apache Kafka and Redis images);
3. otherwise local processes started once per run: Apache Kafka from its Maven Central jars
   (`deploy/kafka/pom.xml`) and Debian's `redis-server`.

Every test that asks for `namespace` gets topics and Redis keys of its own, so tests can share
one broker (and run against a developer's long-running one).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from hub_devtools import brokers
from hub_devtools.provision import create_topics, delete_namespace_topics, wait_for_kafka


@dataclass
class BrokerEndpoints:
    kafka_bootstrap: str
    redis_url: str
    kafka_description: str
    redis_description: str


class _Brokers:
    def __init__(self) -> None:
        self.kafka: str | None = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        self.redis: str | None = os.environ.get("REDIS_URL")
        self.kafka_description = "external (KAFKA_BOOTSTRAP_SERVERS)" if self.kafka else ""
        self.redis_description = "external (REDIS_URL)" if self.redis else ""
        self._stops: list[object] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="hub-test-brokers-"))

    def _docker_answers(self) -> bool:
        if os.environ.get("HUB_TEST_NO_DOCKER") or shutil.which("docker") is None:
            return False
        try:
            return subprocess.run(["docker", "info"], capture_output=True, timeout=5, check=False).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def kafka_bootstrap(self) -> str:
        if self.kafka is None:
            if self._docker_answers():
                from testcontainers.kafka import KafkaContainer

                container = KafkaContainer("apache/kafka:4.1.1").with_kraft()
                container.start()
                self._stops.append(container)
                self.kafka = container.get_bootstrap_server()
                self.kafka_description = "testcontainers apache/kafka:4.1.1"
            else:
                proc = brokers.start_apache_kafka(self.workdir / "kafka")
                self._stops.append(proc)
                self.kafka = proc.address
                self.kafka_description = f"Apache Kafka {proc.version} (local process, KRaft)"
            asyncio.run(wait_for_kafka(self.kafka))
        return self.kafka

    def redis_url(self) -> str:
        if self.redis is None:
            if self._docker_answers():
                from testcontainers.redis import RedisContainer

                container = RedisContainer("redis:7.4")
                container.start()
                self._stops.append(container)
                host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
                self.redis = f"redis://{host}:{port}/0"
                self.redis_description = "testcontainers redis:7.4"
            else:
                proc = brokers.start_redis(self.workdir / "redis")
                self._stops.append(proc)
                self.redis = proc.address
                self.redis_description = f"{proc.version} (local process)"
        return self.redis

    def stop(self) -> None:
        for item in reversed(self._stops):
            stop = getattr(item, "stop", None)
            if callable(stop):
                stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


_BROKERS: _Brokers | None = None


def _brokers() -> _Brokers:
    global _BROKERS
    if _BROKERS is None:
        _BROKERS = _Brokers()
    return _BROKERS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _BROKERS is not None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            if _BROKERS.kafka_description:
                reporter.write_line(f"hub brokers: kafka = {_BROKERS.kafka_description} at {_BROKERS.kafka}")
            if _BROKERS.redis_description:
                reporter.write_line(f"hub brokers: redis = {_BROKERS.redis_description}")
        _BROKERS.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The bootstrap address of a real Kafka broker."""
    address = _brokers().kafka_bootstrap()
    print(f"\n[hub] Kafka: {_brokers().kafka_description} at {address}")  # noqa: T201
    return address


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _brokers().redis_url()


@pytest.fixture
def namespace() -> str:
    """A prefix for this test's topics and Redis keys."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
async def topics(kafka_bootstrap: str, namespace: str) -> AsyncIterator[str]:
    """Every registry topic created under this test's namespace; yields the namespace and deletes
    the namespace's topics afterwards (a broker holds files open for every partition)."""
    await create_topics(kafka_bootstrap, namespace, partitions=3)
    yield namespace
    await delete_namespace_topics(kafka_bootstrap, namespace)


@pytest.fixture
async def redis(redis_url: str, namespace: str) -> AsyncIterator[Redis]:
    """A client on this test's event loop; the test's keys are removed afterwards."""
    client = Redis.from_url(redis_url)
    yield client
    async for key in client.scan_iter(match=f"{namespace}*", count=1000):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
def hub_env(kafka_bootstrap: str, redis_url: str, namespace: str) -> dict[str, str]:
    """Environment variables that point a service process at this test's brokers and namespace."""
    return {
        "HUB_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "HUB_REDIS_URL": redis_url,
        "HUB_NAMESPACE": namespace,
        "HUB_LOG_FORMAT": "json",
    }
