"""`dbci generate`: the next versioned migration and its undo script, from a diff.

From the diff artifact (`dbci diff`), the migration takes the schema the migrations make
to the other side of the diff (a development database, the schema model); with neither
side the migrations, from the diff's source to its target. Its statements are the diff's,
in dependency order; the undo script is the diff the other way. A statement that loses
data carries a warning comment above it, so that whoever reviews the pull request sees it.
`dbci build` then proves the pair: it applies the migration and verifies the undo script.

Which statements lose data is the diff's to say first: it marks each change destructive or
not, and the statements are found by the object they name. Each destructive change's DROP
(of a table, view, routine, trigger, event, sequence, index, …) and ALTER (a sequence
narrowed), and its table's ALTER TABLE that restates a column (MySQL's MODIFY / CHANGE
COLUMN, SQL Server's ALTER COLUMN), repartitions it or gives it another engine, is warned.
Some statements lose data whatever the diff says: a DROP of a table, schema, sequence or
type, TRUNCATE, a column or a composite type's attribute dropped or retyped, MariaDB's
DROP PARTITION (its rows) and DROP SYSTEM VERSIONING (the history). MariaDB's
`SET STATEMENT … FOR` before a statement is read past.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from dbci.errors import InputError
from dbci.migrate.discovery import discover, location_dir
from dbci.migrate.version import Version
from dbci.schema.artifact import MIGRATIONS, DiffArtifact
from dbci.schema.diff import Diff, diff
from dbci.settings.config import Settings
from dbci.sqlsplit import leading_words, split_statements

WARNING = "-- WARNING: this statement can lose data: check it before it is deployed"
# Statements that drop what holds data, or rewrite it.
_DROPS = ("TABLE", "SCHEMA", "MATERIALIZED", "SEQUENCE", "TYPE", "DOMAIN", "EXTENSION")
# Columns dropped or retyped; MariaDB's partitions dropped (with their rows) and system
# versioning dropped (with the history).
_ALTER_LOSES = re.compile(
    r"\bDROP\s+COLUMN\b|\bALTER\s+COLUMN\b.*\bTYPE\b|\bDROP\s+PARTITION\b"
    r"|\bDROP\s+SYSTEM\s+VERSIONING\b",
    re.I | re.S,
)
# A composite type's attribute dropped or retyped: the columns of that type lose it.
_ALTER_TYPE_LOSES = re.compile(r"\bDROP\s+ATTRIBUTE\b|\bALTER\s+ATTRIBUTE\b.*\bTYPE\b", re.I | re.S)
# MySQL's MODIFY / CHANGE COLUMN and SQL Server's ALTER COLUMN restate a whole column, its
# type with its default or nullability: whether one narrows the type is the diff's to say
# (its table's change is destructive), not the statement's. So are MySQL's PARTITION BY
# (rows that fit no new partition stop it) and ENGINE= (BLACKHOLE keeps no rows).
_TABLE_MAY_LOSE = re.compile(
    r"\b(?:MODIFY|CHANGE|ALTER)\s+COLUMN\b|\bPARTITION\s+BY\b|\bENGINE\s*=", re.I
)
# MariaDB runs a statement on a system-versioned table under SET STATEMENT … FOR.
_SET_STATEMENT = re.compile(r"^\s*SET\s+STATEMENT\b.*?\bFOR\s+", re.I | re.S)
# A (quoted) part of a name.
_PART = r'(?:"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[^\s."`\[(]+)'
# An index dropped inside MySQL's ALTER TABLE.
_DROPPED_INDEX = re.compile(rf"\bDROP\s+(?:INDEX|KEY)\s+(?P<name>{_PART})", re.I)


@dataclass
class Generated:
    """The scripts `generate` wrote (relative to the project), and what they hold."""

    version: str
    migration: Path
    undo: Path
    statements: int
    warnings: int


def generate(
    settings: Settings,
    artifact: DiffArtifact,
    ids: list[int] | None,
    *,
    description: str,
    version: str | None = None,
    column_order: bool | None = None,
) -> Generated:
    """Write `V<n>__<description>.sql` and `U<n>__<description>.sql` into the first
    location; refuse when the diff is empty or the version is taken. `column_order`:
    whether columns in another order differ (`dbci.schema.diff.diff`)."""
    start = MIGRATIONS if MIGRATIONS in (artifact.source, artifact.target) else artifact.source
    here, there = artifact.toward(start, ids)
    forward = diff(here, there, column_order=column_order)
    backward = diff(there, here, column_order=column_order)
    if not forward.statements:
        raise InputError(
            f"nothing to generate: {artifact.source} and {artifact.target} have the same schema"
            + (" in the changes picked" if ids else "")
        )
    found = discover(settings)
    chosen = _version(version, [s.known_version for s in found.versioned])
    if any(s.version == chosen for s in found.versioned):
        raise InputError(f"--version {chosen.text}: a V{chosen.text} migration exists already")
    name = _file_description(description)
    separator, suffix = settings.sql_migration_separator, settings.sql_migration_suffixes[0]
    folder = _first_location(settings)
    migration = folder / f"{settings.sql_migration_prefix}{chosen.text}{separator}{name}{suffix}"
    undo = folder / f"{settings.undo_sql_migration_prefix}{chosen.text}{separator}{name}{suffix}"
    header = f"-- {_one_line(description)}: generated by dbci generate from "
    header += f"{_one_line(artifact.source)} and {_one_line(artifact.target)}\n"
    text, warnings = _with_warnings(forward.sql(), forward.dialect, _marked(forward))
    undo_text, _ = _with_warnings(backward.sql(), backward.dialect, _marked(backward))
    folder.mkdir(parents=True, exist_ok=True)
    migration.write_text(header + text, encoding="utf-8", newline="\n")
    undo.write_text(
        header.replace(": generated", ": undo, generated") + undo_text,
        encoding="utf-8",
        newline="\n",
    )
    return Generated(
        chosen.text,
        _shown(migration, settings.project_dir),
        _shown(undo, settings.project_dir),
        len(forward.statements),
        warnings,
    )


def _shown(path: Path, project_dir: Path) -> Path:
    return path.relative_to(project_dir) if path.is_relative_to(project_dir) else path


def _version(given: str | None, existing: list[Version]) -> Version:
    """`--version`, else the first part of the highest version plus one (3.1 → 4)."""
    if given is not None:
        try:
            return Version.parse(given)
        except ValueError as exc:
            raise InputError(f"--version: {exc}") from None
    if not existing:
        return Version.parse("1")
    return Version.parse(str(max(existing).key[0] + 1))


def _file_description(description: str) -> str:
    """The description as Flyway writes it in a file name: words joined by `_`."""
    words = re.sub(r"[^\w.-]+", " ", description).split()
    if not words:
        raise InputError("--description: give a few words, as --description 'add orders'")
    return "_".join(words)


def _first_location(settings: Settings) -> Path:
    for location in settings.locations:
        if location.startswith("filesystem:") or ":" not in location:
            return location_dir(location, settings.project_dir)
    raise InputError("generate writes into a filesystem: location; none is configured")


@dataclass(frozen=True)
class _Marked:
    """The objects the diff marks destructive: (keyword, schema, name) of each, the
    keyword being what DROP and ALTER call its kind (TABLE, VIEW, FUNCTION, EVENT, …),
    and the statements the model writes to drop them (for kinds whose DROP names more
    than a name: a policy on its table, a cast between two types)."""

    named: frozenset[tuple[str, str, str]]
    drops: frozenset[str]

    @property
    def keywords(self) -> list[str]:
        # The longest first: MATERIALIZED VIEW before VIEW.
        return sorted({k for k, _, _ in self.named}, key=len, reverse=True)

    def has(self, keyword: str, schema: str | None, name: str) -> bool:
        """Whether it marks this object (a name without its schema, as MySQL writes the
        default database's, matches any schema)."""
        return any(
            (k, n) == (keyword, name) and (schema is None or s in ("", schema))
            for k, s, n in self.named
        )


def _marked(changes: Diff) -> _Marked:
    """What `changes` marks destructive, as `_loses_data` looks for it."""
    named: set[tuple[str, str, str]] = set()
    drops: set[str] = set()
    for change in changes.changes:
        obj = change.before or change.after
        if not change.destructive or obj is None:
            continue
        keyword = obj.sql_keyword or obj.kind.upper()
        named.add((" ".join(keyword.split()), obj.schema, obj.name))
        if change.before is not None:
            drops.update(_normal(sql) for sql in change.before.drop_sql())
    return _Marked(frozenset(named), frozenset(drops))


def _with_warnings(script: str, dialect: str, marked: _Marked) -> tuple[str, int]:
    """`script` with the warning comment above each statement that can lose data
    (`marked`: what the diff marks destructive)."""
    if not script:
        return script, 0
    lines = script.splitlines(keepends=True)
    marks = [s.line for s in split_statements(script, dialect) if _loses_data(s.sql, marked)]
    for line in sorted(marks, reverse=True):
        lines.insert(line - 1, WARNING + "\n")
    return "".join(lines), len(marks)


def _loses_data(sql: str, marked: _Marked) -> bool:
    sql = _SET_STATEMENT.sub("", sql, count=1)
    words = leading_words(sql, 3)
    if words[:1] == ["TRUNCATE"]:
        return True
    if words[:1] == ["DROP"]:
        if (words[1:2] and words[1] in _DROPS) or _normal(sql) in marked.drops:
            return True
        return _names_marked(sql, "DROP", marked)
    if words[:2] == ["ALTER", "TYPE"] and _ALTER_TYPE_LOSES.search(sql):
        return True
    if words[:2] != ["ALTER", "TABLE"]:
        # A sequence narrowed, a type rebuilt: the ALTER of what the diff marks.
        return words[:1] == ["ALTER"] and _names_marked(sql, "ALTER", marked)
    if _ALTER_LOSES.search(sql):
        return True
    table = _named(sql, "ALTER", "TABLE")
    if table is not None and marked.has("TABLE", *table) and _TABLE_MAY_LOSE.search(sql):
        return True
    # MySQL drops an index inside its table's ALTER TABLE when the table changes too.
    schema = table[0] if table else None
    return any(
        marked.has("INDEX", schema, _unquoted(m["name"])) for m in _DROPPED_INDEX.finditer(sql)
    )


def _names_marked(sql: str, verb: str, marked: _Marked) -> bool:
    """Whether the statement (`verb` KEYWORD name …) names an object `marked` marks,
    ALTER TABLE aside (its statements change parts of it, not all losing any)."""
    for keyword in marked.keywords:
        if verb == "ALTER" and keyword == "TABLE":
            continue
        found = _named(sql, verb, keyword)
        if found is not None:
            return marked.has(keyword, *found)
    return False


def _named(sql: str, verb: str, keyword: str) -> tuple[str | None, str] | None:
    """(schema or None, name) of the object a `verb` `keyword` statement names (`DROP
    TABLE IF EXISTS s.t`, `ALTER SEQUENCE s`), or None when it is not one."""
    found = _statement_pattern(verb, keyword).match(sql)
    if found is None:
        return None
    schema = _unquoted(found["schema"]) if found["schema"] else None
    return schema, _unquoted(found["name"])


@functools.cache
def _statement_pattern(verb: str, keyword: str) -> re.Pattern[str]:
    kind = r"\s+".join(re.escape(word) for word in keyword.split())
    return re.compile(
        rf"^\s*{verb}\s+{kind}\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:CONCURRENTLY\s+)?"
        rf"(?:{_PART}\s*\.\s*)*?(?:(?P<schema>{_PART})\s*\.\s*)?(?P<name>{_PART})",
        re.I,
    )


def _normal(sql: str) -> str:
    """A statement with its spacing and final `;` evened out, to compare."""
    return " ".join(sql.split()).rstrip(";").rstrip()


def _unquoted(part: str) -> str:
    if part[:1] in ('"', "`") and len(part) > 1:
        return part[1:-1].replace(part[0] * 2, part[0])
    return part[1:-1] if part[:1] == "[" else part


def _one_line(text: str) -> str:
    """Text for a comment line: one line, whatever it holds."""
    return " ".join(text.split())
