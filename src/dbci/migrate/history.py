"""Flyway's schema history table: read it, create it, add rows, in Flyway's conventions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbci.engines.base import Database
from dbci.migrate.version import Version

SCHEMA_MARKER = "<< Flyway Schema Creation >>"
BASELINE_MARKER = "<< Flyway Baseline >>"
_INSERT_COLUMNS = (
    "installed_rank",
    "version",
    "description",
    "type",
    "script",
    "checksum",
    "installed_by",
    "execution_time",
    "success",
)


DESCRIPTION_LIMIT = 200  # the `description` column's VARCHAR(200)
SCRIPT_LIMIT = 1000  # the `script` column's VARCHAR(1000)


def abbreviate_description(description: str) -> str:
    """The description as Flyway writes it into the history table, and compares it there:
    up to 200 characters whole, else the first 197 and "..."
    (org.flywaydb.core.internal.util.AbbreviationUtils.abbreviateDescription, used by
    AppliedMigration's constructor and MigrationInfoImpl's description check)."""
    if len(description) <= DESCRIPTION_LIMIT:
        return description
    return description[: DESCRIPTION_LIMIT - 3] + "..."


def abbreviate_script(script: str) -> str:
    """The script name as Flyway writes it: up to 1000 characters whole, else "..." and
    characters 3 to 1000 (AbbreviationUtils.abbreviateScript)."""
    if len(script) <= SCRIPT_LIMIT:
        return script
    return "..." + script[3:SCRIPT_LIMIT]


@dataclass(frozen=True)
class AppliedMigration:
    """One row of the history table."""

    installed_rank: int
    version: Version | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str
    installed_on: Any
    execution_time: int
    success: bool

    @property
    def version_text(self) -> str | None:
        return self.version.text if self.version else None


class SchemaHistory:
    """The history table of one database (`"schema"."flyway_schema_history"`)."""

    def __init__(self, db: Database, schema: str, table: str) -> None:
        self.db = db
        self.schema = schema
        self.table = table
        self.qualified = db.qualified(schema, table)
        self._next_rank: int | None = None
        self._columns = f"INSERT INTO {self.qualified} ({', '.join(_INSERT_COLUMNS)}) VALUES "
        self._insert = self._columns + f"({', '.join(':' + c for c in _INSERT_COLUMNS)})"

    def exists(self) -> bool:
        """Whether the table is there (read-only commands do not create it)."""
        return self.db.table_exists(self.schema, self.table)

    def create(self) -> None:
        """Create the table in its own transaction."""
        self.db.begin()
        try:
            for statement in self.db.history_table_ddl(self.schema, self.table):
                self.db.execute(statement)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def rows(self) -> list[AppliedMigration]:
        """Every row, by installed_rank."""
        result = self.db.query(
            "SELECT installed_rank, version, description, type, script, checksum, "
            f"installed_by, installed_on, execution_time, success FROM {self.qualified} "
            "ORDER BY installed_rank"
        )
        rows = []
        for r in result:
            version = None
            if r[1] not in (None, ""):
                try:
                    version = Version.parse(str(r[1]))
                except ValueError:
                    version = Version(str(r[1]), (-1,))  # unparsable: keep, never matches
            rows.append(
                AppliedMigration(
                    installed_rank=int(r[0]),
                    version=version,
                    description=str(r[2]),
                    type=str(r[3]),
                    script=str(r[4]),
                    checksum=None if r[5] is None else int(r[5]),
                    installed_by=str(r[6]),
                    installed_on=r[7],
                    execution_time=int(r[8] or 0),
                    success=bool(r[9]),
                )
            )
        self._next_rank = (rows[-1].installed_rank + 1) if rows else 1
        return rows

    def next_rank(self) -> int:
        """The installed_rank the next row gets (read once, then counted: we hold the lock)."""
        if self._next_rank is None:
            self.rows()
        assert self._next_rank is not None
        return self._next_rank

    def add(
        self,
        *,
        version: str | None,
        description: str,
        type: str,
        script: str,
        checksum: int | None,
        installed_by: str,
        execution_time: int,
        success: bool,
    ) -> None:
        """Insert a row with the next installed_rank (the caller holds the lock)."""
        params = self._params(version, description, type, script, checksum, installed_by)
        params.update(execution_time=execution_time, success=success)
        self.db.query(self._insert, params)
        self._next_rank = params["installed_rank"] + 1

    def delete_rank(self, rank: int) -> None:
        """Delete one row (repair removes failed ones)."""
        self.db.query(f"DELETE FROM {self.qualified} WHERE installed_rank = :rank", {"rank": rank})

    def update_rank(self, rank: int, **changes: Any) -> None:
        """Set columns of one row: repair realigns checksum, description and type; a
        migration run outside a transaction marks its row successful with its time."""
        allowed = {"checksum", "description", "type", "success", "execution_time"}
        if not changes or not set(changes) <= allowed:
            raise ValueError(f"update_rank takes {sorted(allowed)}")
        if "description" in changes:  # never more than the column holds: as Flyway writes it
            changes["description"] = abbreviate_description(changes["description"])
        assignments = ", ".join(f"{column} = :{column}" for column in changes)
        self.db.query(
            f"UPDATE {self.qualified} SET {assignments} WHERE installed_rank = :rank",
            {**changes, "rank": rank},
        )

    def assume_empty(self) -> None:
        """Count ranks from 1 without reading the table (a dry run of its creation)."""
        self._next_rank = 1

    def insert_sql(
        self,
        *,
        version: str | None,
        description: str,
        type: str,
        script: str,
        checksum: int | None,
        installed_by: str,
        execution_time_sql: str,
    ) -> str:
        """A successful row's INSERT as literal SQL, for engines that batch migrations.

        The execution time is a SQL expression, so that a batch of migrations sent in one
        round trip records each one's own time, measured by the server.
        """
        params = self._params(version, description, type, script, checksum, installed_by)
        params["success"] = True
        values = [
            execution_time_sql if c == "execution_time" else self.db.literal(params[c])
            for c in _INSERT_COLUMNS
        ]
        self._next_rank = params["installed_rank"] + 1
        return f"{self._columns}({', '.join(values)})"

    def forget_rank(self) -> None:
        """Re-read the next installed_rank after a batch that may have stopped midway."""
        self._next_rank = None

    def _params(
        self,
        version: str | None,
        description: str,
        type: str,
        script: str,
        checksum: int | None,
        installed_by: str,
    ) -> dict[str, Any]:
        return {
            # Flyway writes its `<< Flyway Schema Creation >>` row at rank 0, the first
            # migration at 1 (SchemaHistory.addAppliedMigration).
            "installed_rank": 0 if type == "SCHEMA" else self.next_rank(),
            "version": version,
            "description": abbreviate_description(description),
            "type": type,
            "script": abbreviate_script(script),
            "checksum": checksum,
            "installed_by": installed_by[:100],
        }
