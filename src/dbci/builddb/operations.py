"""What is done on a provisioned build database: migrate it up to a version, snapshot it,
empty it."""

from __future__ import annotations

import dataclasses

from dbci.log import Log, quiet
from dbci.schema.model import Snapshot
from dbci.settings.config import Settings


def migrate_to(settings: Settings, target: str | None, log: Log = quiet) -> None:
    """Migrate the build database up to `target` (None: everything)."""
    from dbci.migrate.commands import migrate

    migrate(dataclasses.replace(settings, target=target), log=log)


def snapshot_of(settings: Settings) -> Snapshot:
    """The build database's schema."""
    from dbci.schema.commands import take_snapshot

    return take_snapshot(settings)[1]


def clean_database(settings: Settings) -> None:
    """Empty the build database (it is this build's own, or one allowed to be cleaned)."""
    from dbci.migrate.lifecycle import clean

    clean(dataclasses.replace(settings, provisioner="clean", environment=None), log=quiet)
