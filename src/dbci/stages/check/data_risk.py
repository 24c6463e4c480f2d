"""Danger weighed with the target's data: a finding about a table the target holds gets
that table's row count, as the target's catalog statistics estimate it (PostgreSQL's
`pg_class.reltuples`, MySQL's `information_schema.tables.table_rows`, SQL Server's
`sys.partitions`), never read from the table itself.

"Fails on orders once it has rows" becomes "will fail: orders has ~50,000 rows on qa" when
the target's `orders` has rows, and a rewrite or a scan under a lock says how many rows it
goes over. The finding's rule, severity and place stay; only its message is weighed.
"""

from __future__ import annotations

from dataclasses import replace

from dbci.analysis.findings import CodeResult, Finding
from dbci.log import Log, quiet
from dbci.settings.config import Settings

# Rules whose harm is proportional to the rows: what their statement does to each row.
_DOES = {
    "DB201": "rewrites",  # alter-column-type
    "DB202": "scans",  # set-not-null
    "DB205": "indexes",  # index-not-concurrent
    "DB206": "checks",  # constraint-not-valid
    "DB103": "loses the column's values in",  # drop-column
    "DB105": "changes",  # unbounded-dml
    "DB207": "indexes",  # add-unique-constraint
    "DB208": "checks",  # add-column-references
    "DB209": "indexes",  # add-exclusion-constraint
    "DB211": "reindexes",  # reindex-not-concurrent
    "DB213": "rewrites",  # table-rewrite
    "DB701": "copies",  # online-ddl (MySQL/MariaDB)
    "DB705": "indexes",  # fulltext-spatial-index
    "DB801": "indexes",  # index-not-online (SQL Server)
}
FAILS_WITH_ROWS = "DB203"  # add-column-not-null: fails outright when the table has rows


def weigh_findings(code: CodeResult, settings: Settings, *, log: Log = quiet) -> None:
    """Give `code`'s findings about the target's tables their row estimates, in place.
    The target is read for its statistics only; when it cannot say (an engine without
    statistics, a table it does not hold yet, an error), the findings stay as they were."""
    from dbci.engines import open_database
    from dbci.errors import DbciError, first_line

    tables = sorted({f.table for f in code.findings if f.table and _weighed(f)})
    if not tables:
        return
    try:
        db = open_database(settings)
    except DbciError as exc:
        log(f"WARNING: row estimates not read: {exc}")
        return
    try:
        schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
        estimates = db.row_estimates(tables, schema or db.current_schema())
        where = settings.environment or db.database_name()
    except Exception as exc:  # advisory: a catalog the role may not read changes nothing
        log(f"WARNING: row estimates not read from {settings.where()}: {first_line(exc)}")
        return
    finally:
        db.close()
    code.findings = [_weighed_finding(f, estimates, where) for f in code.findings]


def _weighed(finding: Finding) -> bool:
    return not finding.suppression and (finding.rule == FAILS_WITH_ROWS or finding.rule in _DOES)


def _weighed_finding(finding: Finding, estimates: dict[str, int | None], where: str) -> Finding:
    rows = estimates.get(finding.table or "") if _weighed(finding) else None
    if rows is None:
        return finding
    table = finding.table
    if finding.rule == FAILS_WITH_ROWS:
        if rows > 0:
            text = f"will fail: {table} has ~{rows:,} rows on {where} (catalog estimate); "
            return replace(finding, message=text + finding.message)
    if rows == 0:
        return replace(
            finding, message=f"{finding.message} (catalog estimate: {table} is empty on {where})"
        )
    return replace(
        finding,
        message=f"{finding.message}: {_DOES[finding.rule]} ~{rows:,} rows on {where}"
        " (catalog estimate)",
    )
