"""iCIMS test fixtures (helpers live in `icims_fixtures`)."""

from __future__ import annotations

import pytest
from icims_fixtures import make_icims_settings

from hub_connectors.icims.settings import IcimsIntegrationSettings


@pytest.fixture
def icims_settings() -> IcimsIntegrationSettings:
    return make_icims_settings()
