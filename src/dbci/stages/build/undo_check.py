"""Undo verification: does each undo script put the schema back as it was before its
version?

The migrations are applied in order on one session. A version that has an undo script is
applied in its transaction as migrate applies it, and before its history row is written
the undo runs inside a savepoint that is rolled back: the catalogs are compared before
the version and after its undo (`dbci.stages.build.fingerprint`), so a good undo costs the undo's
statements and two cheap catalog queries, and the version runs once. When the catalogs
differ, or a script cannot run in a transaction, the whole migration is rolled back and
the snapshots decide: snapshot, apply the version and its undo for real, snapshot again
and compare. A broken undo is reported with every object it did not restore; the build
database is then rebuilt up to that version from empty, and the build goes on, so that
one run reports every broken undo.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbci.errors import DbciError
from dbci.log import Log, quiet
from dbci.migrate.batches import apply_all
from dbci.migrate.discovery import Discovered
from dbci.migrate.prepare import PreparedScript, prepare
from dbci.migrate.runner import apply as runner_apply
from dbci.migrate.runner import run_callbacks, run_script
from dbci.migrate.session import Target, ensure_history, open_session, plan_history
from dbci.migrate.version import Version
from dbci.schema.names import qualified_name
from dbci.settings.config import Settings
from dbci.stages.build.fingerprint import catalog_state


@dataclass
class UndoCheck:
    """One undo script's verification (report.json's `build.undo` item)."""

    version: str
    script: str
    status: str  # verified | broken
    not_restored: list[str] = field(default_factory=list)  # "Add table public.b", …

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def migrate_verifying_undo(
    settings: Settings,
    found: Discovered,
    build_version: str | None,
    checks: list[UndoCheck],
    *,
    snapshot: Callable[[Settings], Any],
    clean: Callable[[Settings], None],
    migrate: Callable[[Settings, str | None], None],
    log: Log = quiet,
) -> None:
    """Apply the migrations up to `build_version`, verifying each undo script on the way;
    append a check per undo script to `checks`."""
    while True:
        broken_at = _pass(settings, found, build_version, checks, snapshot, log)
        if broken_at is None:
            return
        # What the broken undo left behind is unknown: rebuild up to its version from empty.
        clean(settings)
        migrate(settings, broken_at.text)


def _pass(
    settings: Settings,
    found: Discovered,
    build_version: str | None,
    checks: list[UndoCheck],
    snapshot: Callable[[Settings], Any],
    log: Log,
) -> Version | None:
    """One session's worth: apply and verify until the end, or until an undo is broken
    (then return its version, not yet applied again)."""
    from dbci.migrate.commands import plan_migrations, prepare_pending

    target = Target.parse(build_version)
    with open_session(settings, found, target=target, lock=True, run_callbacks=False) as session:
        ensure_history(session, plan_history(session, baseline_on_migrate=False), quiet)
        steps = plan_migrations(session, prepare_pending(session))
        db, history = session.db, session.history
        hooks = session.callbacks.hooks("Migrate")
        state = catalog_state(db)

        def apply(batch: list[PreparedScript]) -> None:
            apply_all(db, history, batch, session.installed_by, lambda *_: None, hooks)

        batch: list[PreparedScript] = []
        for step in steps:
            version = step.script.version
            undo_script = found.undo_for(version) if version is not None else None
            if version is None or undo_script is None:
                batch.append(step)
                continue
            apply(batch)
            batch = []
            undo = prepare(undo_script, session.placeholders, db)
            if _applied_with_quick_check(
                db, history, session.installed_by, hooks, step, undo, state
            ):
                checks.append(UndoCheck(version.text, undo_script.display_path, "verified"))
                continue
            # The catalogs could not tell (or a script cannot run in a transaction): the
            # version was rolled back, and the snapshots decide.
            not_restored = _full_check(settings, db, step, undo, snapshot)
            checks.append(
                UndoCheck(
                    version.text,
                    undo_script.display_path,
                    "broken" if not_restored else "verified",
                    not_restored,
                )
            )
            if not_restored:
                more = len(not_restored) - 5
                log(
                    f"Undo of version {version} does not restore the schema: "
                    + "; ".join(not_restored[:5])
                    + (f" and {more} more" if more > 0 else "")
                )
                return version
            apply([step])
        apply(batch)
    log(f"Undo scripts verified: {sum(c.status == 'verified' for c in checks)} of {len(checks)}")
    return None


class _Undecided(DbciError):
    """The catalogs do not show the undo restoring them: roll the version back."""


def _applied_with_quick_check(
    db: Any,
    history: Any,
    installed_by: str,
    hooks: Any,
    step: PreparedScript,
    undo: PreparedScript,
    state: Callable[[], Any] | None,
) -> bool:
    """Apply `step` with its history row, its undo verified on the way in a rolled-back
    savepoint; False (and nothing applied) when the catalogs cannot tell."""
    if state is None or not (db.transactional_ddl and step.in_transaction and undo.in_transaction):
        return False
    before = state()

    def undo_restores() -> None:
        db.execute("SAVEPOINT dbci_undo_check")
        try:
            run_callbacks(db, [undo])
            same = state() == before
        except Exception:
            same = False  # a failing undo: the full check reports it
        db.execute("ROLLBACK TO SAVEPOINT dbci_undo_check")
        if not same:
            raise _Undecided("undo not verified by the catalogs")

    try:
        runner_apply(db, history, step, installed_by, hooks, check=undo_restores)
    except _Undecided:
        return False
    return True


def _full_check(
    settings: Settings,
    db: Any,
    step: PreparedScript,
    undo: PreparedScript,
    snapshot: Callable[[Settings], Any],
) -> list[str]:
    """Snapshot, apply the version and its undo for real (no history rows), snapshot
    again: the objects that differ. The database is back where it was when they do not."""
    from dbci.schema.diff import diff
    from dbci.schema.model import without_column_order

    before = snapshot(settings)
    run_script(db, step)  # a failure here is the migration's own: migrate reports it
    try:
        run_script(db, undo)
    except DbciError as exc:
        return [f"the undo script failed: {exc}"]
    # A column the undo restores goes last: where it stands is not compared.
    changes = diff(without_column_order(before), without_column_order(snapshot(settings))).changes
    return [f"{c.change} {c.type} {qualified_name(c.schema, c.name)}" for c in changes]
