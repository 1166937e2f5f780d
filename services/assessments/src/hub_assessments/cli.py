"""The `hub-assessments` command: run the service (the default), inspect and replay dead letters,
rebuild the store from the event topic. Settings come from `HUB_*` environment variables."""

from __future__ import annotations

import asyncio

import typer
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub_assessments.app import run as run_service
from hub_assessments.dead_letters import DeadLetter, list_dead_letters, replay_dead_letters
from hub_assessments.event_log import TopicLog
from hub_assessments.rebuild import rebuild as rebuild_store
from hub_assessments.settings import AssessmentsSettings
from hub_contracts.runtime import configure_logging
from hub_contracts.topics import dead_letter_topic

app = typer.Typer(
    help="The assessments service and its operator commands.", no_args_is_help=False, add_completion=False
)
dlq = typer.Typer(help="The dead-letter topic of the assessments consumer group.")
app.add_typer(dlq, name="dlq")
console = Console()


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """Without a command: run the service."""
    if ctx.invoked_subcommand is None:
        run_service()


@app.command()
def run() -> None:
    """Run the service (consumers, expiry scheduler, outbox sweeper) in this process."""
    run_service()


def _settings() -> AssessmentsSettings:
    settings = AssessmentsSettings()
    configure_logging("assessments-cli", settings.log_level, "console")
    return settings


def _dlq_log(settings: AssessmentsSettings) -> TopicLog:
    return TopicLog(
        settings.kafka_bootstrap_servers, dead_letter_topic(settings.group_id).full_name(settings.namespace)
    )


def _table(letters: list[DeadLetter]) -> Table:
    table = Table("id", "key", "from", "attempts", "failed at", "reason")
    for letter in letters:
        table.add_row(
            letter.id,
            letter.key or "",
            f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset}",
            letter.attempts,
            letter.failed_at,
            letter.reason,
        )
    return table


@dlq.command("list")
def dlq_list() -> None:
    """List every dead letter (id = partition:offset in the dead-letter topic)."""
    settings = _settings()
    letters = asyncio.run(list_dead_letters(_dlq_log(settings)))
    console.print(_table(letters))
    console.print(f"{len(letters)} dead letters")


@dlq.command("replay")
def dlq_replay(ids: list[str] = typer.Argument(..., help="Dead-letter ids (partition:offset)")) -> None:
    """Send the chosen dead letters back to their source topic with their original key and headers."""
    settings = _settings()

    async def replay() -> list[DeadLetter]:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id="hub-assessments-dlq",
            **settings.producer_options(),
        )
        await producer.start()
        try:
            return await replay_dead_letters(_dlq_log(settings), ids, producer)
        finally:
            await producer.stop()

    try:
        replayed = asyncio.run(replay())
    except (LookupError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(_table(replayed))
    console.print(f"replayed {len(replayed)} dead letters")


@app.command()
def rebuild() -> None:
    """Wipe this service's store and restore it from the event topic (stop the service first)."""
    settings = _settings()
    with Progress(
        TextColumn("[bold]restoring events"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("events", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = asyncio.run(rebuild_store(settings, on_progress))
    console.print(
        f"flushed {report.flushed} pending events, wiped {report.wiped_keys} keys, restored "
        f"{report.assessments} assessments from {report.events} events ({report.skipped} undecodable)"
    )


def main() -> None:
    app()
