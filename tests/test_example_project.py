"""The README's main job: the example project migrates and validates on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "demo"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_example_project_migrates_and_validates(engine: str, dbci, request) -> None:
    url = request.getfixturevalue("sqlite_url" if engine == "sqlite" else "pg_url")
    migrated = dbci("--project", EXAMPLE, "--url", url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "Successfully applied 5 migrations" in migrated.stdout
    info = dbci("--project", EXAMPLE, "--url", url, "--output", "json", "info")
    data = json.loads(info.stdout)
    assert data["schemaVersion"] == "3.1"
    assert {m["state"] for m in data["migrations"]} == {"Success"}
    validated = dbci("--project", EXAMPLE, "--url", url, "validate", "--fail-on-pending")
    assert validated.returncode == 0, validated.stdout + validated.stderr
