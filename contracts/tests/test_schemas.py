"""Published JSON Schemas: exported copies match the code, and no change breaks an earlier one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hub_contracts.schemas import SCHEMA_DIR, compatibility_errors, current_schemas

REPO = Path(__file__).resolve().parents[2]


def published_at(revision: str) -> dict[str, dict]:
    """The schema files as committed at a git revision (empty when git or the revision is missing)."""
    try:
        listing = subprocess.run(["git", "ls-tree", "--name-only", revision, "contracts/schemas/"], cwd=REPO,
                                 capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return {}
    out = {}
    for path in listing:
        text = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout
        out[Path(path).stem] = json.loads(text)
    return out


def test_exported_schemas_match_the_code() -> None:
    exported = {p.stem: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json")}
    current = current_schemas()
    assert sorted(exported) == sorted(current), "run: uv run python -m hub_contracts.schemas"
    for name, schema in current.items():
        assert json.loads(json.dumps(schema, sort_keys=True)) == exported[name], (
            f"{name} drifted from contracts/schemas: run `uv run python -m hub_contracts.schemas`")


@pytest.mark.parametrize("name", sorted(current_schemas()))
def test_current_schema_is_compatible_with_the_exported_one(name: str) -> None:
    path = SCHEMA_DIR / f"{name}.json"
    old = json.loads(path.read_text())
    assert compatibility_errors(old, current_schemas()[name]) == []


def test_no_published_schema_was_broken_since_the_first_commit() -> None:
    """Every schema in the first commit that has them is still satisfied by today's schema."""
    first = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", "contracts/schemas/"], cwd=REPO,
                           capture_output=True, text=True, check=False).stdout.split()
    if not first:
        pytest.skip("no git history here")
    current = current_schemas()
    for name, old in published_at(first[-1]).items():
        assert name in current, f"published message {name} was removed: add a new type instead"
        assert compatibility_errors(old, current[name]) == [], name


def test_compatibility_rule_catches_breaking_changes() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}, "e": {"enum": ["x", "y"]}}, "required": ["a"]}
    assert compatibility_errors(old, old) == []
    added_optional = {**old, "properties": {**old["properties"], "b": {"type": "integer"}}}
    assert compatibility_errors(old, added_optional) == []
    assert compatibility_errors(old, {**old, "required": ["a", "b"]}) != []
    assert compatibility_errors(old, {**old, "properties": {"e": old["properties"]["e"]}}) != []
    assert compatibility_errors(old, {**old, "properties": {**old["properties"], "a": {"type": "integer"}}}) != []
    assert compatibility_errors(old, {**old, "properties": {**old["properties"], "e": {"enum": ["x"]}}}) != []
