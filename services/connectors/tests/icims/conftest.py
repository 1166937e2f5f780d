"""iCIMS test fixtures. Helpers live in `icims_fixtures` and `fake_icims`; the shared e2e helpers one
directory up are put on the import path so that this directory's tests also run on their own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icims_fixtures import make_icims_settings

from hub_connectors.icims.settings import IcimsIntegrationSettings


@pytest.fixture
def icims_settings() -> IcimsIntegrationSettings:
    return make_icims_settings()
