"""Greenhouse Assessment Partner API: Greenhouse calls us; we only PATCH its `url` on completion."""

from hub_connectors.greenhouse.connector import GreenhouseConnector

__all__ = ["GreenhouseConnector"]
