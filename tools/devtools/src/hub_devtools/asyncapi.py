"""AsyncAPI 3.0 documents of the FastStream brokers of every service, written to `docs/asyncapi/`.

`python -m hub_devtools.asyncapi` (part of `scripts/export-docs`). Building a broker connects
nothing, so this runs without Kafka.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

OUT_DIR = Path(__file__).resolve().parents[4] / "docs" / "asyncapi"
DESCRIPTION = ("Topics and payloads of the LexTalent hub. Messages are JSON with CloudEvents 1.0 attributes in "
               "Kafka headers (ce_id, ce_type, ce_source, ce_time, ce_subject, content-type) and a W3C traceparent. "
               "Payload JSON Schemas: contracts/schemas/.")


def _assessments() -> KafkaBroker:
    from hub_assessments.app import create_app

    broker: KafkaBroker = create_app().broker  # type: ignore[assignment]
    return broker


def _webhooks() -> KafkaBroker:
    import asyncio

    from hub_webhooks.clock import SystemClock
    from hub_webhooks.service import WebhooksService
    from hub_webhooks.settings import WebhooksSettings

    async def build() -> KafkaBroker:  # its resolver wants a running loop; nothing connects
        return WebhooksService.build(WebhooksSettings(), SystemClock()).broker

    return asyncio.run(build())


def _connectors() -> KafkaBroker:
    from hub_connectors.app import create_app

    broker: KafkaBroker = create_app().state.broker
    return broker


def documents() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, build in (("assessments", _assessments), ("webhooks", _webhooks), ("connectors", _connectors)):
        spec = AsyncAPI(build(), title=f"LexTalent hub — {name}", version="1.0.0", description=DESCRIPTION)
        out[name] = json.loads(spec.to_specification().to_json())
    return out


if __name__ == "__main__":
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for doc_name, document in documents().items():
        path = OUT_DIR / f"{doc_name}.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        sys.stdout.write(f"wrote {path}\n")
