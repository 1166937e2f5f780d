"""The topic registry: every Kafka topic of the hub, its key, size, retention and who uses it.

Names are prefixed by a namespace (empty in production; tests use one per test run so that they
can share a broker). Provisioning (`deploy/` and the dev runner) creates exactly these topics.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    partitions: int
    retention_ms: int
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    message_types: tuple[str, ...]
    description: str

    def full_name(self, namespace: str = "") -> str:
        return f"{namespace}{self.name}"


ASSESSMENT_COMMANDS = TopicSpec(
    name="lextalent.assessment.commands.v1",
    key="assessment id",
    partitions=6,
    retention_ms=14 * DAY_MS,
    producers=("gateway", "connectors"),
    consumers=("assessments",),
    message_types=(
        "ai.lextalent.command.assessment.create.v1",
        "ai.lextalent.command.assessment.cancel.v1",
        "ai.lextalent.command.assessment.extend.v1",
        "ai.lextalent.command.assessment.simulate.v1",
    ),
    description="Create, cancel, extend and (test mode) simulate assessments.",
)

CANDIDATE_ACTIVITY = TopicSpec(
    name="lextalent.candidate.activity.v1",
    key="assessment id",
    partitions=6,
    retention_ms=14 * DAY_MS,
    producers=("challenge-app",),
    consumers=("assessments",),
    message_types=("ai.lextalent.candidate.activity.v1",),
    description="The candidate opened or started the challenge.",
)

SCORING_RESULTS = TopicSpec(
    name="lextalent.scoring.results.v1",
    key="assessment id",
    partitions=6,
    retention_ms=14 * DAY_MS,
    producers=("scoring-engine",),
    consumers=("assessments",),
    message_types=("ai.lextalent.scoring.result.v1",),
    description="Agentic Readiness Score results from the scoring engine.",
)

ASSESSMENT_EVENTS = TopicSpec(
    name="lextalent.assessment.events.v1",
    key="assessment id",
    partitions=6,
    retention_ms=-1,  # kept forever: the history from which the assessments store is rebuilt
    producers=("assessments",),
    consumers=("webhooks", "connectors", "internal teams"),
    message_types=(
        "ai.lextalent.assessment.created.v1",
        "ai.lextalent.assessment.started.v1",
        "ai.lextalent.assessment.completed.v1",
        "ai.lextalent.assessment.expired.v1",
        "ai.lextalent.assessment.cancelled.v1",
        "ai.lextalent.assessment.extended.v1",
    ),
    description="One event per state change, each with the full snapshot and its version.",
)


def dead_letter_topic(group_id: str) -> TopicSpec:
    """One dead-letter topic per consumer group, keyed like the original message."""
    return TopicSpec(
        name=f"lextalent.dlq.{group_id}.v1",
        key="original key",
        partitions=1,
        retention_ms=30 * DAY_MS,
        producers=(group_id,),
        consumers=("operators",),
        message_types=("any",),
        description=f"Messages consumer group {group_id!r} could not process, with the error in headers.",
    )


CONSUMER_GROUPS: tuple[str, ...] = (
    "assessments",
    "webhooks",
    "connectors.greenhouse",
    "connectors.lever",
    "connectors.workday",
    "connectors.icims",
    "connectors.smartrecruiters",
)

TOPICS: tuple[TopicSpec, ...] = (
    ASSESSMENT_COMMANDS,
    CANDIDATE_ACTIVITY,
    SCORING_RESULTS,
    ASSESSMENT_EVENTS,
    *(dead_letter_topic(group) for group in CONSUMER_GROUPS),
)
