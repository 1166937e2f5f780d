"""Create the hub's topics from the registry (idempotent): what `deploy/` and tests run first."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from hub_contracts.topics import TOPICS, TopicSpec


async def wait_for_kafka(bootstrap: str, timeout_s: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            await admin.start()
            await admin.describe_cluster()
            return
        except (KafkaConnectionError, OSError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], timeout_s: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(names)
        ready = all(
            t.get("error_code", 0) == 0 and t.get("partitions")
            and all(p.get("leader", -1) >= 0 for p in t["partitions"])
            for t in described
        )
        if ready:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"topics without leaders after {timeout_s}s: {names}")


async def create_topics(bootstrap: str, namespace: str = "", topics: tuple[TopicSpec, ...] = TOPICS,
                        partitions: int | None = None) -> list[str]:
    """Create every registry topic under `namespace`; existing topics are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                spec.full_name(namespace), partitions or spec.partitions, 1,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in topics if spec.full_name(namespace) not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
            await _wait_for_leaders(admin, [t.name for t in wanted])
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def delete_namespace_topics(bootstrap: str, namespace: str) -> None:
    """Delete every topic whose name starts with the namespace (tests clean up after themselves)."""
    if not namespace:
        raise ValueError("refusing to delete topics without a namespace")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(namespace)]
        if names:
            with contextlib.suppress(Exception):
                await admin.delete_topics(names)
    finally:
        await admin.close()


def main() -> None:
    import os

    bootstrap = os.environ.get("HUB_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    namespace = os.environ.get("HUB_NAMESPACE", "")
    asyncio.run(wait_for_kafka(bootstrap))
    created = asyncio.run(create_topics(bootstrap, namespace))
    print(f"created {len(created)} topics: {', '.join(created) or '(all existed)'}")  # noqa: T201


if __name__ == "__main__":
    main()
