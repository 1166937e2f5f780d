"""Fixtures of the assessments tests (helpers live in `assessments_helpers`)."""

from assessments_helpers import producer, services

__all__ = ["producer", "services"]
