"""SmartRecruiters tests: the fake lives in `fake_smartrecruiters`; the shared e2e helpers one directory up
are put on the import path so that this directory's tests also run on their own."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
