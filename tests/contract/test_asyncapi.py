"""The committed AsyncAPI documents are the brokers' own, and every topic of the registry is in one."""

from __future__ import annotations

import json

from hub_contracts.topics import ASSESSMENT_COMMANDS, ASSESSMENT_EVENTS, CANDIDATE_ACTIVITY, SCORING_RESULTS
from hub_devtools.asyncapi import OUT_DIR, documents


def test_committed_documents_match_the_code() -> None:
    for name, document in documents().items():
        committed = json.loads((OUT_DIR / f"{name}.json").read_text())
        assert committed == json.loads(json.dumps(document, sort_keys=True)), "run scripts/export-docs"


def test_every_input_and_event_topic_is_documented() -> None:
    text = "".join((OUT_DIR / f"{n}.json").read_text() for n in ("assessments", "webhooks", "connectors"))
    for spec in (ASSESSMENT_COMMANDS, CANDIDATE_ACTIVITY, SCORING_RESULTS, ASSESSMENT_EVENTS):
        assert spec.name in text
