"""Lever: webhooks trigger assessments; we write tags, notes and links back through Lever's API (OAuth)."""

from hub_connectors.lever.connector import LeverConnector

__all__ = ["LeverConnector"]
