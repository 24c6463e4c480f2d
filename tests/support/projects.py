"""Migration projects on disk for tests, and settings that point them at a database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbci.settings.config import Overrides, Settings, load_settings


def write_project(root: Path, files: dict[str, str | bytes], toml: str | None = None) -> Path:
    """Write `migrations/<name>` files (and an optional dbci.toml) under `root`."""
    for name, content in files.items():
        path = root / "migrations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    (root / "migrations").mkdir(parents=True, exist_ok=True)
    if toml is not None:
        (root / "dbci.toml").write_text(toml)
    return root


def settings_for(root: Path, url: str, **flyway: Any) -> Settings:
    """Settings for `root` against `url`, with Flyway keys (camelCase) as overrides."""
    return load_settings(Overrides(project=root, url=url, settings=flyway), environ={})
