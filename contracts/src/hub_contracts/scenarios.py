"""The scenario catalogue: what a candidate can be assessed on."""

from __future__ import annotations

from pydantic import Field

from hub_contracts.base import ContractModel


class Dimension(ContractModel):
    key: str
    name: str


class Scenario(ContractModel):
    id: str = Field(examples=["ma-due-diligence-v2"])
    name: str
    practice_area: str
    description: str
    duration_minutes: int
    dimensions: tuple[Dimension, ...]


_DIMENSIONS = (
    Dimension(key="delegation", name="Delegating work to agents"),
    Dimension(key="verification", name="Verification of agent output"),
    Dimension(key="risk_judgement", name="Risk and privilege judgement"),
    Dimension(key="prompt_craft", name="Instructing agents precisely"),
)

SCENARIOS: dict[str, Scenario] = {
    s.id: s
    for s in (
        Scenario(
            id="ma-due-diligence-v2",
            name="M&A due diligence with an agent team",
            practice_area="corporate",
            description="Run a data-room review with research and drafting agents; catch what they miss.",
            duration_minutes=60,
            dimensions=_DIMENSIONS,
        ),
        Scenario(
            id="litigation-discovery-v1",
            name="E-discovery triage",
            practice_area="litigation",
            description="Direct agents through a privilege review of a discovery set under a deadline.",
            duration_minutes=45,
            dimensions=_DIMENSIONS,
        ),
        Scenario(
            id="contract-review-v3",
            name="Commercial contract review",
            practice_area="commercial",
            description="Redline a supplier agreement with a drafting agent against a client playbook.",
            duration_minutes=40,
            dimensions=_DIMENSIONS,
        ),
        Scenario(
            id="regulatory-research-v1",
            name="Regulatory research memo",
            practice_area="regulatory",
            description="Produce a verified research memo with a research agent prone to stale sources.",
            duration_minutes=50,
            dimensions=_DIMENSIONS,
        ),
    )
}


def get_scenario(scenario_id: str) -> Scenario | None:
    return SCENARIOS.get(scenario_id)
