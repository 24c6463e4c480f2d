"""Rendering results for people (tables, lines) and for machines (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dbci.schema.names import qualified_name

if TYPE_CHECKING:  # only for annotations: a command imports just what it runs
    from dbci.analysis.findings import CodeResult
    from dbci.migrate.commands import InfoResult, MigrateResult, ValidateResult
    from dbci.migrate.dryrun import DryRunResult
    from dbci.migrate.lifecycle import BaselineResult, CleanResult, RepairResult, UndoResult
    from dbci.migrate.state import MigrationInfo
    from dbci.schema.commands import Comparison, SnapshotResult
    from dbci.schema.diff import Diff
    from dbci.schema.generate import Generated
    from dbci.schema.model_commands import ModelResult
    from dbci.stages.build.stage import BuildResult
    from dbci.stages.check.stage import CheckResult


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Flyway-style ASCII table."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    body = [line(r) for r in rows] or ["| " + "No migrations found".ljust(len(rule) - 4) + " |"]
    return "\n".join([rule, line(headers), rule, *body, rule])


def _installed_on(entry: MigrationInfo) -> str:
    if entry.applied is None or entry.applied.installed_on is None:
        return ""
    value = entry.applied.installed_on
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else str(value)[:19]


def info_text(result: InfoResult) -> str:
    """`info` as Flyway prints it."""
    version = result.status.current_version
    rows = [
        [
            e.category,
            e.version.text if e.version else "",
            e.description,
            e.type,
            _installed_on(e),
            e.state.value,
        ]
        for e in result.status.entries
    ]
    head = [
        f"Database: {result.database}",
        f"Schema version: {version.text if version else '<< Empty Schema >>'}",
        "",
    ]
    warnings = [f"WARNING: {w}" for w in result.warnings]
    headers = ["Category", "Version", "Description", "Type", "Installed On", "State"]
    return "\n".join(warnings + head + [table(headers, rows)])


def info_json(result: InfoResult) -> dict[str, Any]:
    """`info --output json`, close to Flyway's JSON output."""
    version = result.status.current_version
    return {
        "command": "info",
        "database": result.database,
        "schemaName": result.schema,
        "schemaVersion": version.text if version else None,
        "migrations": [
            {
                "category": e.category,
                "version": e.version.text if e.version else "",
                "description": e.description,
                "type": e.type,
                "installedOn": _installed_on(e),
                "state": e.state.value,
                "filepath": e.resolved.display_path if e.resolved else "",
                "script": e.script,
                "checksum": e.checksum
                if e.checksum is not None
                else (e.applied.checksum if e.applied else None),
                "installedBy": e.applied.installed_by if e.applied else "",
                "installedRank": e.applied.installed_rank if e.applied else None,
                "executionTime": e.applied.execution_time if e.applied else 0,
            }
            for e in result.status.entries
        ],
        "warnings": result.warnings,
    }


def validate_json(result: ValidateResult) -> dict[str, Any]:
    """`validate --output json`."""
    return {
        "command": "validate",
        "database": result.database,
        "validationSuccessful": not result.problems,
        "validateCount": result.validated,
        "problems": [
            {"kind": p.kind, "message": p.message, "file": p.file} for p in result.problems
        ],
        "warnings": result.warnings,
    }


def migrate_json(result: MigrateResult) -> dict[str, Any]:
    """`migrate --output json`, close to Flyway's."""
    return {
        "command": "migrate",
        "database": result.database,
        "schemaName": result.schema,
        "initialSchemaVersion": result.initial_version,
        "targetSchemaVersion": result.target_version,
        "migrationsExecuted": len(result.applied),
        "success": True,
        "totalMigrationTime": result.execution_ms,
        "migrations": [
            {
                "category": "Versioned" if a.script.version else "Repeatable",
                "version": a.script.version.text if a.script.version else "",
                "description": a.script.description,
                "type": a.script.kind.history_type,
                "filepath": a.script.display_path,
                "executionTime": a.execution_ms,
                # The server's notices and warnings (Flyway logs them, `DB: …`): the
                # fields of its `Warning` (message, state, code).
                "notices": [
                    {"message": n.message, "sqlState": n.sql_state, "errorCode": n.error_code}
                    for n in a.notices
                ],
            }
            for a in result.applied
        ],
        "warnings": result.warnings,
    }


def dry_run_json(result: DryRunResult, destination: str) -> dict[str, Any]:
    """`migrate --dry-run FILE --output json`: where the script went and what it applies."""
    return {
        "command": "migrate",
        "dryRun": True,
        "database": result.database,
        "schemaName": result.schema,
        "scriptFile": destination,
        "pendingMigrations": result.pending,
        "warnings": result.warnings,
    }


def baseline_json(result: BaselineResult) -> dict[str, Any]:
    """`baseline --output json`, close to Flyway's."""
    return {
        "command": "baseline",
        "database": result.database,
        "schemaName": result.schema,
        "baselineVersion": result.version,
        "baselineDescription": result.description,
        "successfullyBaselined": True,
        "created": result.created,
    }


def repair_json(result: RepairResult) -> dict[str, Any]:
    """`repair --output json`, close to Flyway's."""
    return {
        "command": "repair",
        "database": result.database,
        "repairActions": [
            *(["REMOVED_FAILED_MIGRATIONS"] if result.removed_failed else []),
            *(["ALIGNED_APPLIED_MIGRATION_CHECKSUMS"] if result.realigned else []),
            *(["MARKED_MISSING_MIGRATIONS_AS_DELETED"] if result.marked_deleted else []),
        ],
        "migrationsRemoved": result.removed_failed,
        "migrationsAligned": result.realigned,
        "migrationsDeleted": result.marked_deleted,
    }


def clean_json(result: CleanResult) -> dict[str, Any]:
    """`clean --output json`, close to Flyway's."""
    return {
        "command": "clean",
        "database": result.database,
        "schemasCleaned": [s for s in result.schemas if s not in result.dropped_schemas],
        "schemasDropped": result.dropped_schemas,
        "statementsExecuted": len(result.statements),
    }


def undo_json(result: UndoResult) -> dict[str, Any]:
    """`undo --output json`, close to Flyway's."""
    return {
        "command": "undo",
        "database": result.database,
        "schemaName": result.schema,
        "initialSchemaVersion": result.initial_version,
        "targetSchemaVersion": result.final_version,
        "migrationsUndone": len(result.undone),
        "undoneMigrations": [
            {
                "version": step.version,
                "description": step.description,
                "filepath": step.script,
                "executionTime": step.execution_ms,
            }
            for step in result.undone
        ],
    }


def diff_text(result: Diff, compared: Comparison | None = None) -> str:
    """The changes of a diff as a table: id, change, type, schema, name; after it, the
    schemas each side was read from (`compared`), so that one left out is never silent."""
    read = "" if compared is None else "\n" + schemas_line(compared)
    if not result.changes:
        return "No differences." + read
    rows = [
        [
            str(c.id),
            c.change + (" (destructive)" if c.destructive else ""),
            c.type,
            c.schema,
            c.name,
        ]
        for c in result.changes
    ]
    count = len(result.changes)
    summary = f"{count} difference{'s' * (count != 1)}"
    return table(["Id", "Change", "Type", "Schema", "Name"], rows) + "\n" + summary + read


def schemas_line(compared: Comparison) -> str:
    """`Schemas read: source public, shop; target public`."""
    sides = (
        f"{side} {', '.join(shot.schemas_read()) or '(none)'}"
        for side, shot in (("source", compared.source), ("target", compared.target))
    )
    return "Schemas read: " + "; ".join(sides)


def diff_json(result: Diff, compared: Comparison | None = None) -> dict[str, Any]:
    """`diff --output json`: `{"changes": [{id, change, type, schema, name, before_sql,
    after_sql, destructive}], "schemas": {"source": [...], "target": [...]}}`, the schemas
    each side was read from (with `compared`)."""
    data: dict[str, Any] = {"changes": [c.to_dict() for c in result.changes]}
    if compared is not None:
        data["schemas"] = {
            "source": list(compared.source.schemas_read()),
            "target": list(compared.target.schemas_read()),
        }
    return data


def build_text(result: BuildResult) -> str:
    """`build`: what ran, undo verification, tests, and where the snapshot went."""
    done = [m for m in result.migrations if m.status == "success"]
    total = sum(m.duration_ms for m in done)
    lines = [
        f"Build {result.status} on {result.database}: {len(done)} migration"
        f"{'s' * (len(done) != 1)} applied ({total} ms of SQL, {result.duration_ms} ms in all)"
    ]
    if result.undo_verified is not None:
        broken = [u for u in result.undo if u.status == "broken"]
        lines.append(
            f"Undo: {len(result.undo) - len(broken)} of {len(result.undo)} verified"
            + "".join(
                f"\n  {u.script} does not restore: {', '.join(u.not_restored)}" for u in broken
            )
        )
    if result.tests:
        counts = {
            s: sum(1 for t in result.tests if t.status == s)
            for s in ("passed", "failed", "skipped")
        }
        lines.append(
            f"SQL tests: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped"
            + "".join(f"\n  {t.name}: {t.message}" for t in result.tests if t.status == "failed")
        )
    if result.snapshot:
        lines.append(f"Snapshot: {result.snapshot}")
    return "\n".join(lines)


def check_text(result: CheckResult) -> str:
    """`check` against a target: a paragraph per part."""
    lines: list[str] = []
    target = result.target
    if target is not None:
        lines.append(
            f"Target: {target.database}, at version {target.applied_version or '<< none >>'}, "
            f"{len(target.pending)} pending"
        )
    if result.changes is not None:
        objects = result.changes["objects"]
        lines.append(
            f"Changes {result.changes['from_version'] or '-'} -> "
            f"{result.changes['to_version'] or '-'}: {len(objects)} object"
            f"{'s' * (len(objects) != 1)}"
            + "".join(
                f"\n  {o['change']:<6} {o['type']} {qualified_name(o['schema'], o['name'])}"
                for o in objects
            )
        )
    if result.drift is not None:
        drift = result.drift
        if not drift.detected:
            lines.append(f"Drift ({drift.source}): none")
        else:
            lines.append(
                f"Drift ({drift.source}): {len(drift.items)} object"
                f"{'s' * (len(drift.items) != 1)}, {len(drift.repo)} migration"
                f"{'s' * (len(drift.repo) != 1)}"
                + "".join(
                    f"\n  {i['change']:<6} {i['type']} {qualified_name(i['schema'], i['name'])}"
                    for i in drift.items
                )
                + "".join(f"\n  {r['kind']}: {r['message']}" for r in drift.repo)
            )
    if result.code is not None:
        lines.append(code_text(result.code))
    if result.dryrun is not None:
        if result.dryrun["error"]:
            lines.append(f"Dry run: not possible: {result.dryrun['error']}")
        else:
            count = len(result.dryrun["pending"])
            lines.append(f"Dry run: {count} migration{'s' * (count != 1)} (dryrun.sql)")
    lines.append(f"Check {result.status}")
    return "\n".join(lines)


def code_text(result: CodeResult) -> str:
    """`check --code`: one line per finding, then the counts and the gate."""
    lines = [
        f"{f.file}:{f.line}:{f.column}: {f.severity} {f.rule} {f.message} [{f.source}]"
        for f in result.findings
    ]
    counts = result.counts()
    checked = len(result.files_checked)
    cached = checked - result.linted
    lines.append(
        f"Code analysis ({result.dialect}, {result.scope}): {checked} file"
        f"{'s' * (checked != 1)} checked ({result.linted} linted, {cached} from the cache): "
        f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info"
    )
    failed = len(result.failed)
    if failed:
        lines.append(f"FAILED: {failed} finding{'s' * (failed != 1)} at or above {result.fail_on}")
    return "\n".join(lines)


def model_text(result: ModelResult) -> str:
    """`model`: the files written and deleted, and how many stayed as they were."""
    done = result.write
    lines = [f"  written  {path}" for path in done.written]
    lines += [f"  deleted  {path}" for path in done.deleted]
    lines.append(
        f"Schema model {result.directory} from {result.source}: {len(done.written)} written, "
        f"{len(done.deleted)} deleted, {done.unchanged} unchanged"
    )
    return "\n".join(lines)


def model_json(result: ModelResult) -> dict[str, Any]:
    """`model --output json`."""
    return {
        "directory": str(result.directory),
        "source": result.source,
        "written": result.write.written,
        "deleted": result.write.deleted,
        "unchanged": result.write.unchanged,
    }


def generate_text(made: Generated) -> str:
    """`generate`: the two scripts, and what to do next."""
    warned = (
        f", {made.warnings} that can lose data (marked with a warning)" if made.warnings else ""
    )
    return (
        f"Generated {made.migration} and {made.undo}: {made.statements} "
        f"statement{'s' * (made.statements != 1)}{warned}. Prove them with dbci build "
        "(it verifies the undo script)."
    )


def generate_json(made: Generated) -> dict[str, Any]:
    """`generate --output json`."""
    return {
        "version": made.version,
        "migration": str(made.migration),
        "undo": str(made.undo),
        "statements": made.statements,
        "warnings": made.warnings,
    }


def snapshot_text(result: SnapshotResult) -> str:
    """`snapshot` to standard output: the stable JSON that `--to FILE` would hold."""
    from dbci.schema.snapshot_file import dumps as snapshot_dumps

    return snapshot_dumps(result.snapshot)


def dumps(data: dict[str, Any]) -> str:
    """Stable, readable JSON, in which no CI runner finds a command (`dbci.logtext`)."""
    from dbci.logtext import json_inert

    return json_inert(json.dumps(data, indent=2, default=str))
