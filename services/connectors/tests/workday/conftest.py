"""Workday test fixtures. Helpers live in `workday_fixtures` and `fake_workday`; the shared e2e helpers
(`running_assessments`, `polling`) live one directory up, which is put on the import path here so that
this directory's tests also run on their own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workday_fixtures import make_settings

from hub_connectors.workday.settings import WorkdayIntegrationSettings


@pytest.fixture
def settings() -> WorkdayIntegrationSettings:
    return make_settings()
