"""The Agentic Readiness Score: what a completed assessment carries."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, HttpUrl, model_validator

from hub_contracts.base import ContractModel, UtcDateTime


class ReadinessBand(StrEnum):
    """Bands of the overall score; `band_for` is the one mapping from score to band."""

    EMERGING = "emerging"  # 0-39
    DEVELOPING = "developing"  # 40-59
    PROFICIENT = "proficient"  # 60-74
    ADVANCED = "advanced"  # 75-89
    EXPERT = "expert"  # 90-100


_BAND_FLOORS: tuple[tuple[int, ReadinessBand], ...] = (
    (90, ReadinessBand.EXPERT),
    (75, ReadinessBand.ADVANCED),
    (60, ReadinessBand.PROFICIENT),
    (40, ReadinessBand.DEVELOPING),
    (0, ReadinessBand.EMERGING),
)


def band_for(score: int) -> ReadinessBand:
    for floor, band in _BAND_FLOORS:
        if score >= floor:
            return band
    raise ValueError(f"score {score} is below 0")


class DimensionScore(ContractModel):
    """One scored dimension of agentic readiness (e.g. delegation, verification)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["verification"])
    name: str = Field(min_length=1, max_length=80, examples=["Verification of agent output"])
    score: int = Field(ge=0, le=100)


class IntegritySignal(ContractModel):
    """Something the proctoring layer noticed (tab switches, pasted text, an unusual pace)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["paste_detected"])
    severity: str = Field(pattern=r"^(info|warning|critical)$")
    detail: str | None = Field(default=None, max_length=500)


class Integrity(ContractModel):
    flagged: bool = False
    signals: tuple[IntegritySignal, ...] = ()


class AgenticReadinessResults(ContractModel):
    """The results of a completed assessment. Published: change only by adding optional fields."""

    overall_score: int = Field(ge=0, le=100, examples=[82])
    band: ReadinessBand
    dimensions: tuple[DimensionScore, ...] = Field(min_length=1, max_length=20)
    percentile: float = Field(ge=0, le=100, description="Percentile of the overall score within the scenario")
    integrity: Integrity = Integrity()
    report_url: HttpUrl
    duration_seconds: int = Field(ge=0, le=30 * 24 * 3600)
    completed_at: UtcDateTime

    @model_validator(mode="after")
    def _band_matches_score(self) -> AgenticReadinessResults:
        expected = band_for(self.overall_score)
        if self.band != expected:
            raise ValueError(f"band {self.band.value!r} does not match overall_score {self.overall_score}"
                             f" (expected {expected.value!r})")
        keys = [d.key for d in self.dimensions]
        if len(keys) != len(set(keys)):
            raise ValueError("dimension keys must be unique")
        return self
