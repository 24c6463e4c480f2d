"""The sources a schema is read from, for `dbci diff` (`--source`, `--target`), the drift
of `dbci check` (`--drift-source`) and deploy's drift gate: one registry, one class per
kind, looked up by its name (`migrations`) or its prefix (`env:NAME`).

Adding a source is one class here: a `Source` subclass with its `name`, what it is used for
(`uses`), and `read` (its schema), decorated with `@register`. The messages that list the
sources (`use one of ...`) are made from the registry, in its order.

| source             | diff | drift | reads                                                      |
|--------------------|------|-------|------------------------------------------------------------|
| `rebuild`          |      | yes   | the target's applied migrations, built on the build database |
| `snapshot-history` |      | yes   | the snapshot dbci saved on the target after its last deploy |
| `env:NAME`         | yes  |       | an environment of the config file                          |
| `url:URL`          | yes  |       | any database URL                                           |
| `snapshot:FILE`    | yes  | yes   | a file written by `dbci snapshot`                          |
| `migrations`       | yes  |       | the migrations, built on the build database                |
| `schemaModel`      | yes  |       | the schema model's files, applied to the build database   |

The build database's machinery (reuse, rebuild, the schema model applied) is in
`schema/build_database.py`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from dbci.errors import GateFailed, InputError
from dbci.log import Log, quiet
from dbci.schema.build_database import BuildOptions as BuildOptions
from dbci.schema.build_database import model_directory as model_directory
from dbci.schema.model import Snapshot
from dbci.settings.config import Overrides, Settings, load_settings

DIFF = "diff"  # a side of `dbci diff`
DRIFT = "drift"  # what `dbci check` measures drift against (`--drift-source`)
# schema.snapshot_history.TABLE, written out: importing that module here would cost ~40 ms.
SNAPSHOT_HISTORY_TABLE = "dbci_snapshot_history"


@dataclass(frozen=True)
class Context:
    """What reading a source may need. Each command fills in what it has: diff the
    overrides and how to build; check and deploy their target too."""

    overrides: Overrides
    include_grants: bool = False
    include_owners: bool = False
    environ: dict[str, str] | None = None  # None: os.environ
    build: BuildOptions = field(default_factory=BuildOptions)
    dialect: str | None = None  # the other side's, for an embedded build database
    log: Log = quiet
    target: Settings | None = None  # check and deploy: the target database
    version: str | None = None  # `rebuild`: the migrations up to this version (None: none)
    applied: Snapshot | None = None  # `rebuild`: built already, by the caller's build

    def require_target(self) -> Settings:
        assert self.target is not None, "a drift source needs the target"
        return self.target


class Source:
    """One kind of source: `name` alone, or `name:VALUE` when `takes_value`."""

    name: ClassVar[str]
    takes_value: ClassVar[bool] = False
    placeholder: ClassVar[str] = ""  # what VALUE is, in `usage`: env:NAME
    uses: ClassVar[frozenset[str]] = frozenset()  # DIFF, DRIFT
    built: ClassVar[bool] = False  # read on a build database (one at a time)

    def __init__(self, value: str = "") -> None:
        self.value = value

    @classmethod
    def usage(cls) -> str:
        """How it is written, for messages: `env:NAME`, `migrations`."""
        return f"{cls.name}:{cls.placeholder}" if cls.takes_value else cls.name

    @property
    def spec(self) -> str:
        """How this one was written: `env:prod`, `migrations`."""
        return f"{self.name}:{self.value}" if self.takes_value else self.name

    def read(self, context: Context) -> Snapshot:
        """The source's schema."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<source {self.spec}>"


SOURCES: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    """Add a source kind to the registry (its order is the order messages list them in)."""
    SOURCES[cls.name] = cls
    return cls


def parse(spec: str, use: str | None = None) -> Source | None:
    """The source `spec` names (among those for `use`, when given), or None."""
    name, sep, value = spec.partition(":")
    kind = SOURCES.get(spec)
    if kind is not None and not kind.takes_value:
        found: Source | None = kind()
    else:
        kind = SOURCES.get(name)
        found = kind(value) if kind is not None and kind.takes_value and sep and value else None
    if found is None or (use is not None and use not in found.uses):
        return None
    return found


def usages(use: str) -> list[str]:
    """The sources for `use`, as they are written."""
    return [kind.usage() for kind in SOURCES.values() if use in kind.uses]


def diff_source(spec: str, option: str) -> Source:
    """A side of `dbci diff` (`option` is --source or --target), or one clear line."""
    found = parse(spec, DIFF)
    if found is None:
        raise InputError(
            f"{option}: {spec!r} is not a source; use one of {', '.join(usages(DIFF))}"
        )
    return found


def drift_source(spec: str) -> Source:
    """A `--drift-source` value, or one clear line."""
    found = parse(spec, DRIFT)
    if found is None:
        raise InputError(f"--drift-source {spec!r}: use one of {', '.join(usages(DRIFT))}")
    return found


def _live(context: Context, overrides: Overrides, unset: str) -> Snapshot:
    """A live database's schema, the settings that `overrides` make; `unset` is the
    run-wide variable that must not override them."""
    from dbci.schema.commands import take_snapshot

    environ = dict(os.environ if context.environ is None else context.environ)
    environ.pop(unset, None)
    settings = load_settings(overrides, environ)
    # Both sides of a diff are read at once already: one connection each is enough.
    return take_snapshot(
        settings,
        include_grants=context.include_grants,
        include_owners=context.include_owners,
        parallel=False,
    )[1]


@register
class Rebuild(Source):
    """The target's applied migrations (up to `context.version`), built on the build
    database: the default drift source. Check passes the schema its own build made
    (`context.applied`), which its changes share."""

    name = "rebuild"
    uses = frozenset({DRIFT})
    built = True

    def read(self, context: Context) -> Snapshot:
        if context.applied is not None:
            return context.applied
        from dbci.schema.build_database import rebuild

        return rebuild(
            context.overrides,
            context.build.build_env,
            context.require_target(),
            context.version,
            dialect=context.dialect,
            log=context.log,
        )


@register
class SnapshotHistory(Source):
    """The newest snapshot dbci saved on the target after a deploy (the
    `dbci_snapshot_history` table beside the history table), while the history table is
    still what it was when it was saved."""

    name = "snapshot-history"
    uses = frozenset({DRIFT})

    def read(self, context: Context) -> Snapshot:
        from dbci.engines import open_database
        from dbci.migrate.history import SchemaHistory
        from dbci.schema.snapshot_file import OlderSnapshot
        from dbci.schema.snapshot_history import latest_saved

        settings = context.require_target()
        db = open_database(settings)
        try:
            schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
            schema = schema or db.current_schema()
            if not db.table_exists(schema, SNAPSHOT_HISTORY_TABLE):
                raise InputError(
                    f"{settings.where()} has no {SNAPSHOT_HISTORY_TABLE} table: deploy with dbci "
                    "first, or use --drift-source rebuild"
                )
            try:
                saved = latest_saved(db, schema)
            except OlderSnapshot:
                raise InputError(
                    f"{settings.where()}: the newest snapshot in {SNAPSHOT_HISTORY_TABLE} was "
                    "saved by an older dbci, which read fewer kinds of objects: use "
                    "--drift-source rebuild until the next deploy saves a new one"
                ) from None
            history = SchemaHistory(db, schema, settings.table)
            rows = history.rows() if history.exists() else []
        finally:
            db.close()
        if saved is None:
            raise InputError(f"{settings.where()}: {SNAPSHOT_HISTORY_TABLE} is empty")
        newest = max((r.version for r in rows if r.success and r.version is not None), default=None)
        if not saved.matches(rows, newest.text if newest else None):
            # Comparing with it would report the migrations applied since as drift.
            raise GateFailed(
                f"{settings.where()}: the newest snapshot in {SNAPSHOT_HISTORY_TABLE} was saved "
                "before the history table last changed (a deploy that did not finish, or rows "
                "changed by hand): use --drift-source rebuild"
            )
        return saved.snapshot

    @staticmethod
    def up_to_date(
        db: Any, schema: str, rows: Sequence[Any], version: str | None
    ) -> Snapshot | None:
        """Deploy's: the newest saved snapshot, read in the deploy's own session (`rows`
        its history, at `version`), or None when there is none or the history has moved on
        since (a deploy killed after a migration and before its snapshot)."""
        from dbci.schema.snapshot_file import OlderSnapshot
        from dbci.schema.snapshot_history import latest_saved

        try:
            saved = latest_saved(db, schema)
        except OlderSnapshot:
            return None  # saved by an older dbci: the deploy compares with a rebuild instead
        return saved.snapshot if saved is not None and saved.matches(rows, version) else None


@register
class Environment(Source):
    """An environment of the config file, with its own URL."""

    name = "env"
    takes_value = True
    placeholder = "NAME"
    uses = frozenset({DIFF})

    def read(self, context: Context) -> Snapshot:
        chosen = dataclasses.replace(context.overrides, environment=self.value, url=None)
        # The environment's own URL, not a run-wide one.
        return _live(context, chosen, "DBCI_URL")


@register
class Url(Source):
    """Any database URL."""

    name = "url"
    takes_value = True
    placeholder = "URL"
    uses = frozenset({DIFF})

    def read(self, context: Context) -> Snapshot:
        chosen = dataclasses.replace(context.overrides, url=self.value, environment=None)
        return _live(context, chosen, "DBCI_ENVIRONMENT")


@register
class SnapshotFile(Source):
    """A file written by `dbci snapshot` (or by check, as its target-snapshot.json)."""

    name = "snapshot"
    takes_value = True
    placeholder = "FILE"
    uses = frozenset({DIFF, DRIFT})

    def path(self, context: Context) -> Path:
        """Relative to the target's project directory (check), else to the working
        directory when it is there, then to --project (diff)."""
        path = Path(self.value)
        if path.is_absolute():
            return path
        if context.target is not None:
            return context.target.project_dir / path
        project = context.overrides.project
        if project is not None:
            return (Path.cwd() / path) if path.exists() else project / path
        return path

    def read(self, context: Context) -> Snapshot:
        from dbci.schema.snapshot_file import load  # orjson: only for snapshot files

        return load(self.path(context))


@register
class Migrations(Source):
    """The migrations applied to the build database (up to --build-version)."""

    name = "migrations"
    uses = frozenset({DIFF})
    built = True

    def read(self, context: Context) -> Snapshot:
        from dbci.schema.build_database import read_built

        return read_built(
            self.name,
            context.overrides,
            context.build,
            context.dialect,
            include_grants=context.include_grants,
            include_owners=context.include_owners,
            log=context.log,
        )


@register
class SchemaModel(Migrations):
    """The schema model's files applied to a clean build database."""

    name = "schemaModel"
