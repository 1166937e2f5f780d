"""`hub`: drive the hub by hand — accounts, API keys, signing secrets, simulated candidates, the runner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import typer
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_gateway.accounts import AccountAdmin
from hub_gateway.settings import GatewaySettings

app = typer.Typer(help="LexTalent hub operator CLI. Reads HUB_* settings like the services.",
                  no_args_is_help=True)
account_app = typer.Typer(help="Accounts", no_args_is_help=True)
key_app = typer.Typer(help="API keys (shown once, stored only as a keyed hash)", no_args_is_help=True)
simulate_app = typer.Typer(help="Play the candidate and the scoring engine", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(key_app, name="key")
app.add_typer(simulate_app, name="simulate")

T = TypeVar("T")


def _run_with_admin(fn: Callable[[AccountAdmin], Awaitable[T]]) -> T:
    settings = GatewaySettings()

    async def run() -> T:
        redis = Redis.from_url(settings.redis_url.get_secret_value())
        try:
            return await fn(AccountAdmin(redis, settings.api_key_secret.get_secret_value(), settings.namespace))
        finally:
            await redis.aclose()

    return asyncio.run(run())


@account_app.command("create")
def account_create(name: str = typer.Option(..., help="Customer name"),
                   plan: Plan = typer.Option(Plan.ENTERPRISE, help="Plan (API access needs enterprise)"),
                   rate_limit: int = typer.Option(100, help="Requests per minute")) -> None:
    """Create an account; prints its id."""
    account = _run_with_admin(lambda admin: admin.create_account(name, plan, rate_limit))
    typer.echo(account.id)


@key_app.command("create")
def key_create(account_id: str, mode: str = typer.Option("live", help="live or test"),
               description: str | None = None) -> None:
    """Create an API key; prints it ONCE (it is not stored)."""
    if mode not in ("live", "test"):
        raise typer.BadParameter("mode is live or test")
    key, record = _run_with_admin(
        lambda admin: admin.create_key(account_id, mode, description))  # type: ignore[arg-type]
    typer.echo(key)
    typer.echo(f"# {record.key_id} ({record.mode}) — store it now; it cannot be shown again", err=True)


@key_app.command("list")
def key_list(account_id: str) -> None:
    """List an account's keys (ids and last four characters only)."""
    rows = _run_with_admin(lambda admin: admin.list_keys(account_id))
    for _hash, record in rows:
        state = "revoked" if record.revoked_at else (f"expires {record.expires_at}" if record.expires_at else "active")
        typer.echo(f"{record.key_id}\t{record.mode}\t…{record.last4}\t{record.created_at:%Y-%m-%d}\t{state}")


@key_app.command("revoke")
def key_revoke(account_id: str, key_id: str) -> None:
    """Revoke a key: every gateway refuses it within key_cache_ttl_s (5 s by default)."""
    _run_with_admin(lambda admin: admin.revoke_key(account_id, key_id))
    typer.echo(f"revoked {key_id}")


@key_app.command("rotate")
def key_rotate(account_id: str, key_id: str,
               grace_hours: float = typer.Option(24.0, help="How long the old key keeps working")) -> None:
    """Issue a new key; the old one stays valid for the grace period. Prints the new key once."""
    key, record = _run_with_admin(lambda admin: admin.rotate_key(account_id, key_id,
                                                                 timedelta(hours=grace_hours)))
    typer.echo(key)
    typer.echo(f"# new {record.key_id}; {key_id} expires in {grace_hours} h", err=True)


@app.command("webhook-secret")
def webhook_secret(account_id: str) -> None:
    """Show the account's signing secret (whsec_…) used for callback_url webhooks."""
    from hub_webhooks.secrets import account_signing_secret

    settings = GatewaySettings()

    async def run() -> str:
        redis = Redis.from_url(settings.redis_url.get_secret_value())
        try:
            secret: str = await account_signing_secret(redis, settings.namespace, account_id)
            return secret
        finally:
            await redis.aclose()

    typer.echo(asyncio.run(run()))


@simulate_app.command("result")
def simulate_result(assessment_id: str, score: int = typer.Option(82, min=0, max=100)) -> None:
    """Publish a scoring result (as the scoring engine would): completes the assessment."""
    from hub_devtools.simulate import publish_scoring_result

    result = asyncio.run(publish_scoring_result(GatewaySettings(), assessment_id, score))
    typer.echo(f"published {result.result_id}: score {score} ({result.results.band.value})")


@simulate_app.command("start")
def simulate_start(assessment_id: str) -> None:
    """Publish candidate activity `started` (as the challenge app would)."""
    from hub_devtools.simulate import publish_activity

    message = asyncio.run(publish_activity(GatewaySettings(), assessment_id, "started"))
    typer.echo(f"published {message.activity_id}")


@app.command("listen")
def listen(account_id: str, port: int = typer.Option(9999, help="Port on 127.0.0.1"),
           path: str = typer.Option("/hook", help="Path to accept webhooks on")) -> None:
    """A webhook receiver for trying the loop by hand: verifies each delivery with the account's
    secret (the `standardwebhooks` library) and prints it."""
    from hub_devtools.receiver import serve_verifying_receiver

    settings = GatewaySettings()
    asyncio.run(serve_verifying_receiver(settings, account_id, port, path))


dlq_app = typer.Typer(help="Dead letters of any consumer group (assessments, webhooks, connectors.<ats>)",
                      no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


def _dlq_log(group: str) -> Any:
    from hub_assessments.event_log import TopicLog
    from hub_contracts.topics import CONSUMER_GROUPS, dead_letter_topic

    if group not in CONSUMER_GROUPS:
        raise typer.BadParameter(f"group is one of {', '.join(CONSUMER_GROUPS)}")
    settings = GatewaySettings()
    return TopicLog(settings.kafka_bootstrap_servers, dead_letter_topic(group).full_name(settings.namespace))


@dlq_app.command("list")
def dlq_list(group: str = typer.Argument(..., help="Consumer group, e.g. webhooks or connectors.lever")) -> None:
    """List a group's dead letters: id (partition:offset), key, source, reason."""
    from hub_assessments.dead_letters import list_dead_letters

    letters = asyncio.run(list_dead_letters(_dlq_log(group)))
    for letter in letters:
        typer.echo(f"{letter.id}\t{letter.key or ''}\t{letter.source_topic}[{letter.source_partition}]"
                   f"@{letter.source_offset}\t{letter.failed_at}\t{letter.reason}")
    typer.echo(f"{len(letters)} dead letters in {group}", err=True)


@dlq_app.command("replay")
def dlq_replay(group: str, ids: list[str] = typer.Argument(..., help="Dead-letter ids (partition:offset)")) -> None:
    """Send chosen dead letters back to their source topic (original key and headers)."""
    from aiokafka import AIOKafkaProducer

    from hub_assessments.dead_letters import replay_dead_letters

    settings = GatewaySettings()

    async def replay() -> int:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.producer_options())
        await producer.start()
        try:
            return len(await replay_dead_letters(_dlq_log(group), ids, producer))
        finally:
            await producer.stop()

    typer.echo(f"replayed {asyncio.run(replay())} dead letters")


@app.command("provision")
def provision() -> None:
    """Create every topic of the registry (idempotent)."""
    from hub_devtools.provision import create_topics, wait_for_kafka

    settings = GatewaySettings()
    asyncio.run(wait_for_kafka(settings.kafka_bootstrap_servers))
    created = asyncio.run(create_topics(settings.kafka_bootstrap_servers, settings.namespace))
    typer.echo(f"created {len(created)} topics")


@app.command("up")
def up(broker: str = typer.Option("tansu", help="tansu (embedded, no Java) or kafka (Apache Kafka jars)"),
       state_dir: str = typer.Option(".hub", help="Where brokers keep data and services write logs"),
       allow_local_callbacks: bool = typer.Option(
           True, help="Let webhooks reach http://127.0.0.1 (development only)")) -> None:
    """Run the whole hub on this machine: Redis, a Kafka broker, and the four services."""
    from hub_devtools.stack import run_stack

    run_stack(broker=broker, state_dir=state_dir, allow_local_callbacks=allow_local_callbacks)


def main() -> Any:
    return app()
