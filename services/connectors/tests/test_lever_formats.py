"""Lever translations: the signature exactly as Lever defines it, the score mapping, tags, the note."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest

from hub_connectors.framework.testing.events import sample_results, snapshot
from hub_connectors.lever import formats
from hub_contracts.assessment import AssessmentStatus
from hub_contracts.ids import new_assessment_id
from hub_contracts.results import ReadinessBand

DOC_DELIVERY = {  # the reference's example delivery (§2.3), with full-length ids
    "triggeredAt": 1431454330072,
    "event": "candidateStageChange",
    "data": {
        "opportunityId": "3410c8b9-1234",
        "candidateId": "daeaa038-1234",
        "contactId": "05c248f9-1234",
        "toStageId": "7c2690d8-1234",
        "fromStageId": "992f01a9-1234",
    },
    "signature": "",
    "token": "be58f711c4a8d3b3e7a9",
}


def test_signature_is_hmac_sha256_of_token_plus_triggered_at() -> None:
    key = "webhook-signature-token"
    expected = hmac.new(key.encode(), b"be58f711c4a8d3b3e7a91431454330072", hashlib.sha256).hexdigest()
    assert formats.webhook_signature(key, DOC_DELIVERY["token"], DOC_DELIVERY["triggeredAt"]) == expected  # type: ignore[arg-type]
    delivery = formats.LeverWebhook.model_validate(DOC_DELIVERY | {"signature": expected})
    assert formats.signature_valid(delivery, [key])
    assert not formats.signature_valid(delivery, ["another-token"])


def test_a_body_hash_or_header_style_signature_is_not_accepted() -> None:
    key = "webhook-signature-token"
    body_hash = hmac.new(key.encode(), orjson.dumps(DOC_DELIVERY), hashlib.sha256).hexdigest()
    assert not formats.signature_valid(
        formats.LeverWebhook.model_validate(DOC_DELIVERY | {"signature": body_hash}), [key]
    )


@pytest.mark.parametrize(
    ("score", "band", "thumbs"),
    [
        (10, ReadinessBand.EMERGING, 1),
        (39, ReadinessBand.EMERGING, 1),
        (40, ReadinessBand.DEVELOPING, 2),
        (59, ReadinessBand.DEVELOPING, 2),
        (60, ReadinessBand.PROFICIENT, 3),
        (74, ReadinessBand.PROFICIENT, 3),
        (75, ReadinessBand.ADVANCED, 4),
        (90, ReadinessBand.EXPERT, 4),
        (100, ReadinessBand.EXPERT, 4),
    ],
)
def test_bands_map_onto_levers_one_to_four(score: int, band: ReadinessBand, thumbs: int) -> None:
    results = sample_results(score)
    assert results.band == band
    assert formats.note_score(results) == thumbs


def test_note_has_levers_fields_and_types() -> None:
    results = sample_results(63)
    snap = snapshot(
        new_assessment_id(),
        "acct_LeverTest00001",
        source="lever",
        status=AssessmentStatus.COMPLETED,
        version=4,
        results=results,
    )
    note = formats.note_body(snap, results, "E-discovery triage", secret=False, notify_followers=True)
    assert set(note) == {"value", "secret", "score", "notifyFollowers", "createdAt"}
    assert note["score"] == 3
    assert isinstance(note["createdAt"], int)
    assert note["createdAt"] > 10**12  # epoch milliseconds
    assert "63/100 (Proficient)" in note["value"]
    assert str(results.report_url) in note["value"]


def test_one_state_tag_at_a_time() -> None:
    add, remove = formats.tag_changes(AssessmentStatus.IN_PROGRESS, formats.DEFAULT_TAGS)
    assert add == ["LexTalent: assessment in progress"]
    assert set(remove) == set(formats.DEFAULT_TAGS.values()) - set(add)
