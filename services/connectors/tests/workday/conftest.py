"""Workday test fixtures (helpers live in `workday_fixtures`, importable by name from this directory)."""

from __future__ import annotations

import pytest
from workday_fixtures import make_settings

from hub_connectors.workday.settings import WorkdayIntegrationSettings


@pytest.fixture
def settings() -> WorkdayIntegrationSettings:
    return make_settings()
