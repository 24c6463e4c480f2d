"""SQL callbacks: scripts named for Flyway's events, run when those events happen.

`beforeMigrate.sql`, `afterEachMigrate__grants.sql`, … in the migration locations.
Scripts of one event run in file-name order, placeholders replaced. Command-level
events (`beforeMigrate`, `afterValidate`, …) run each script in its own transaction;
the per-migration ones (`beforeEachMigrate`, …) run inside the migration's transaction
(see `prepare.Hooks`). A callback records nothing in the history table.

Where each event fires follows Flyway's commands (`Session.event`, `validate_session`,
`commands.migrate_session`, `lifecycle`), and the history is read again after a `before`
callback, since Flyway's commands read it only then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dbci.engines.base import Database
from dbci.migrate.discovery import Discovered
from dbci.migrate.prepare import Hooks, PreparedScript, prepare
from dbci.migrate.runner import run_script
from dbci.settings.placeholders import Placeholders

# SQL cannot run before there is a connection: Flyway runs these only as Java callbacks.
UNSUPPORTED_EVENTS = frozenset({"beforeConnect"})


@dataclass
class Callbacks:
    """The project's callback scripts, prepared (read, placeholders replaced, split)."""

    scripts: dict[str, list[PreparedScript]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def prepare(cls, found: Discovered, placeholders: Placeholders, db: Database) -> Callbacks:
        """Prepare every callback; a bad one fails here, before any SQL runs."""
        callbacks = cls()
        for event, scripts in sorted(found.callbacks.items()):
            if event in UNSUPPORTED_EVENTS:
                for script in scripts:
                    callbacks.warnings.append(
                        f"{script.display_path}: {event} callbacks cannot be SQL (there is "
                        "no connection yet); ignored"
                    )
                continue
            callbacks.scripts[event] = [prepare(s, placeholders, db) for s in scripts]
        return callbacks

    def get(self, event: str) -> list[PreparedScript]:
        """The prepared scripts of an event, possibly none."""
        return self.scripts.get(event, [])

    def fire(self, db: Database, event: str, log: Callable[[str], None]) -> None:
        """Run an event's scripts, each in its own transaction where it can be."""
        for script in self.get(event):
            log(f"Executing SQL callback: {event} - {script.script.path.name}")
            run_script(db, script)

    def hooks(self, operation: str) -> Hooks:
        """The per-migration hooks of `Migrate` or `Undo`."""
        return Hooks(
            before=self.get(f"beforeEach{operation}"),
            after=self.get(f"afterEach{operation}"),
            before_statement=self.get(f"beforeEach{operation}Statement"),
            after_statement=self.get(f"afterEach{operation}Statement"),
            error=self.get(f"afterEach{operation}Error"),
            statement_error=self.get(f"afterEach{operation}StatementError"),
        )


NO_CALLBACKS = Callbacks()
