"""Contract models: strict, frozen, and the results' rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub_contracts.base import utcnow
from hub_contracts.cloudevents import headers_to_dict, make_headers, new_traceparent
from hub_contracts.codec import SCORING_ADAPTER, UndecodableMessage, decode
from hub_contracts.ids import is_assessment_id, new_assessment_id
from hub_contracts.results import AgenticReadinessResults, DimensionScore, ReadinessBand, band_for


def results(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "overall_score": 82, "band": "advanced", "dimensions": [{"key": "verification", "name": "V", "score": 80}],
        "percentile": 70.0, "report_url": "https://app.lextalent.ai/r/1", "duration_seconds": 100,
        "completed_at": "2026-03-01T10:00:00Z",
    }
    base.update(overrides)
    return base


def test_assessment_ids_are_asmt_and_12_base62() -> None:
    ids = {new_assessment_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_assessment_id(i) for i in ids)
    assert not is_assessment_id("asmt_short")


@pytest.mark.parametrize(("score", "band"), [(0, "emerging"), (39, "emerging"), (40, "developing"),
                                             (60, "proficient"), (75, "advanced"), (90, "expert"), (100, "expert")])
def test_bands(score: int, band: str) -> None:
    assert band_for(score) == ReadinessBand(band)


def test_results_reject_unknown_fields_mismatched_band_and_naive_times() -> None:
    AgenticReadinessResults.model_validate(results())
    with pytest.raises(ValidationError):
        AgenticReadinessResults.model_validate(results(extra=1))
    with pytest.raises(ValidationError, match="does not match"):
        AgenticReadinessResults.model_validate(results(band="expert"))
    with pytest.raises(ValidationError, match="timezone"):
        AgenticReadinessResults.model_validate(results(completed_at="2026-03-01T10:00:00"))
    with pytest.raises(ValidationError):
        AgenticReadinessResults.model_validate(results(overall_score=101))


def test_models_are_frozen() -> None:
    dim = DimensionScore(key="verification", name="V", score=1)
    with pytest.raises(ValidationError):
        dim.score = 2  # type: ignore[misc]


def test_cloudevents_headers() -> None:
    parent = new_traceparent()
    headers = headers_to_dict(make_headers(id="evt_1", type="ai.lextalent.x.v1", source="//t", subject="asmt_1",
                                           traceparent=parent, time=utcnow()))
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    assert headers["ce_id"] == "evt_1"
    assert headers["traceparent"].split("-")[1] == parent.split("-")[1]  # same trace, new span
    assert headers["traceparent"] != parent


def test_decode_reports_field_paths_and_type_mismatch() -> None:
    with pytest.raises(UndecodableMessage, match="assessment_id"):
        decode(SCORING_ADAPTER, b'{"type": "ai.lextalent.scoring.result.v1"}')
    with pytest.raises(UndecodableMessage, match=r"not valid JSON|invalid message"):
        decode(SCORING_ADAPTER, b"nope")
