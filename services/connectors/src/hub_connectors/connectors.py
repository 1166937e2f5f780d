"""The built-in connectors: importing this module registers every vendor package that is present."""

from __future__ import annotations

import importlib
import importlib.util

BUILT_IN = ("greenhouse", "lever", "workday", "icims", "smartrecruiters")

for _name in BUILT_IN:
    _module = f"hub_connectors.{_name}"
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)
