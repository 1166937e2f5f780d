"""The XML Schema of the envelopes the hub exchanges with Workday (files in `schema/`)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from lxml import etree

from hub_connectors.workday.xml_safety import parse_xml


class EnvelopeSchemaError(ValueError):
    pass


@cache
def envelope_schema() -> etree.XMLSchema:
    entry = resources.files("hub_connectors.workday").joinpath("schema", "envelope.xsd")
    with resources.as_file(entry) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def validate_envelope(envelope: bytes) -> None:
    """Raise EnvelopeSchemaError with the schema's messages when `envelope` does not conform."""
    schema = envelope_schema()
    document = parse_xml(envelope)
    if not schema.validate(document):
        messages = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log))  # type: ignore[call-overload]
        raise EnvelopeSchemaError(messages)
