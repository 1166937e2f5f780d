"""`/v1/scenarios`: the catalogue a caller can assess candidates on."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from hub_contracts.scenarios import SCENARIOS, Scenario
from hub_gateway.dependencies import Caller
from hub_gateway.problems import ProblemError, problem_responses

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])


class ScenarioList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Scenario]
    has_more: bool = False


@router.get("", response_model=ScenarioList, responses=problem_responses(401, 403, 429))
async def list_scenarios(_: Caller) -> ScenarioList:
    """Every scenario a candidate can be assessed on."""
    return ScenarioList(data=list(SCENARIOS.values()))


@router.get("/{scenario_id}", response_model=Scenario, responses=problem_responses(401, 403, 404, 429))
async def get_scenario(scenario_id: str, _: Caller) -> Scenario:
    scenario = SCENARIOS.get(scenario_id)
    if scenario is None:
        raise ProblemError(404, "not_found", f"No scenario {scenario_id!r}.")
    return scenario
