"""The registry of connectors: which exist, and how the app builds them."""

from __future__ import annotations

from typing import Any

from pydantic_settings import BaseSettings

from hub_connectors.framework.connector import ConnectorBase
from hub_connectors.framework.context import ConnectorContext
from hub_contracts.topics import CONSUMER_GROUPS

ConnectorClass = type[ConnectorBase[Any]]

_REGISTRY: dict[str, ConnectorClass] = {}


def consumer_group(name: str) -> str:
    return f"connectors.{name}"


def register(cls: ConnectorClass) -> ConnectorClass:
    """Class decorator: `@register class LeverConnector(ConnectorBase[LeverSettings]): ...`."""
    name = cls.name
    if not name.isidentifier() or name.lower() != name:
        raise ValueError(f"connector name {name!r} must be a lowercase identifier")
    if consumer_group(name) not in CONSUMER_GROUPS:
        raise ValueError(
            f"consumer group {consumer_group(name)!r} is not in hub_contracts.topics.CONSUMER_GROUPS"
        )
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls:
        raise ValueError(f"connector {name!r} is registered twice")
    _REGISTRY[name] = cls
    return cls


def registered() -> dict[str, ConnectorClass]:
    """Every known connector class; importing `hub_connectors.connectors` registers the built-in ones."""
    import hub_connectors.connectors  # noqa: F401  (registers on import)

    return dict(sorted(_REGISTRY.items()))


def build_connectors(
    ctx: ConnectorContext,
    vendor_settings: dict[str, BaseSettings] | None = None,
    enabled: list[str] | None = None,
) -> dict[str, ConnectorBase[Any]]:
    """Instantiate the enabled connectors; vendor settings come from the env unless given (tests)."""
    overrides = vendor_settings or {}
    built: dict[str, ConnectorBase[Any]] = {}
    for name, cls in registered().items():
        if enabled is not None and name not in enabled:
            continue
        settings = overrides.get(name) or cls.vendor_settings_model()
        built[name] = cls(ctx, settings)
    return built
