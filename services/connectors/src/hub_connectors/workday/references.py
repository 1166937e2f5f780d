"""Workday object references: `<X_Reference><wd:ID wd:type="…">value</wd:ID></X_Reference>`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WorkdayReference(BaseModel):
    """One ID of a Workday object; `id_type` is `WID` or a tenant reference ID type (`Candidate_ID`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id_type: str = Field(min_length=1, max_length=100, examples=["WID", "Candidate_ID"])
    value: str = Field(min_length=1, max_length=200)

    def __str__(self) -> str:
        return f"{self.id_type}={self.value}"
