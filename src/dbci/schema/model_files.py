"""The schema model on disk: one SQL file per object under `schema-model/`, as Flyway
Desktop keeps it, so that a database's schema lives in version control beside its
migrations and a pull request shows each object's change as the change of one file.

Layout: `<schema>/Tables/<name>.sql`, `Views/`, `Materialized Views/`, `Functions/`
(`<name>(<argument types>).sql`: overloads are files of their own), `Procedures/`,
`Sequences/`, `Types/` (enums and composite types), `Domains/`, `Extensions/`, and
`<schema>/Schema.sql` for the schema itself, and a folder for each other kind
(`Collations/`, `Aggregates/`, `Casts/`, `Publications/`, …; objects of the whole
database, such as publications and casts, are under the schema `%`). A table's file
holds what belongs to it: its CREATE TABLE (foreign keys as ALTER TABLE statements after
it, so that tables that refer to each other can be created), its comments and grants,
its indexes, triggers, policies and rules. The text is the object's DDL as dbci writes
it from a snapshot, so the same database gives the same bytes, and writing a model again
changes only the files of the objects that changed; the files of objects that are gone
are deleted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from dbci.engines.registry import find
from dbci.errors import InputError
from dbci.schema.model import CatalogObject, DbObject, Index, Sequence, Snapshot, Table, Trigger

MODEL_DIR = "schema-model"
SUFFIX = ".sql"
# The folder of each kind of object (indexes and triggers go in their table's file).
FOLDERS = {
    "table": "Tables",
    "view": "Views",
    "materialized view": "Materialized Views",
    "function": "Functions",
    "procedure": "Procedures",
    "sequence": "Sequences",
    "enum": "Types",
    "composite type": "Types",
    "domain": "Domains",
    "extension": "Extensions",
    "collation": "Collations",
    "range type": "Types",
    "shell type": "Types",
    "base type": "Types",
    "language": "Languages",
    "access method": "Access Methods",
    "conversion": "Conversions",
    "transform": "Transforms",
    "aggregate": "Aggregates",
    "operator": "Operators",
    "operator family": "Operators",
    "operator class": "Operators",
    "cast": "Casts",
    "text search parser": "Text Search",
    "text search template": "Text Search",
    "text search dictionary": "Text Search",
    "text search configuration": "Text Search",
    "foreign data wrapper": "Foreign Data Wrappers",
    "server": "Foreign Servers",
    "user mapping": "Foreign Servers",
    "foreign table": "Foreign Tables",
    "statistics": "Statistics",
    "publication": "Publications",
    "event trigger": "Event Triggers",
    "default privileges": "Default Privileges",
    "owner": "Owners",
}
SCHEMA_FILE = "Schema.sql"
# Characters no file name may hold on one of the systems a repository is checked out on.
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*%]')
_HEADER = "-- {what} (schema model, written by dbci model)\n"


@dataclass
class ModelWrite:
    """What writing a model did, as paths relative to the model folder."""

    written: list[str] = field(default_factory=list)  # new or changed
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


def file_name(name: str) -> str:
    """An object's name as a file name: characters no file system takes are %-encoded."""
    safe = _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", name)
    return safe if safe not in ("", ".", "..") else f"%{safe}"


def model_files(snapshot: Snapshot) -> dict[str, str]:
    """The model's files (path relative to the model folder, text) for `snapshot`."""
    engine = find(snapshot.dialect)
    if engine is None or not engine.model_ddl:
        raise InputError(
            f"the schema model is written for PostgreSQL databases; this one is {snapshot.dialect}"
        )
    statements: dict[str, list[str]] = {}
    heading: dict[str, str] = {}
    relation_file: dict[tuple[str, str], str] = {}  # (schema, name) -> its file
    # Indexes, triggers, policies and rules go in the file of their table (or view).
    owned: list[tuple[DbObject, str]] = []
    for obj in snapshot.sorted_objects():
        if isinstance(obj, Index | Trigger):
            owned.append((obj, obj.table))
            continue
        if isinstance(obj, CatalogObject) and obj.relation is not None:
            owned.append((obj, obj.relation))
            continue
        path = object_path(obj)
        statements.setdefault(path, []).extend(_statements(obj))
        heading.setdefault(path, _describe(obj))
        if obj.kind in ("table", "view", "materialized view"):
            relation_file[(obj.schema, obj.name)] = path
    for part, on in owned:
        relation = relation_file.get((part.schema, on))
        if relation is None:  # pragma: no cover - a snapshot holds the relation of its index
            raise InputError(f"{part.kind} {part.name} is on {on}, which is not there")
        statements[relation].extend(part.create_sql())
    return {
        path: _HEADER.format(what=heading[path]) + "".join(f"\n{s};\n" for s in statements[path])
        for path in sorted(statements)
    }


def object_path(obj: DbObject) -> str:
    """Where an object's file is, relative to the model folder."""
    if obj.kind == "schema":
        return f"{file_name(obj.name)}/{SCHEMA_FILE}"
    if obj.kind not in FOLDERS:  # pragma: no cover - every kind but these has a folder
        raise InputError(f"the schema model has no place for a {obj.kind}")
    return f"{file_name(obj.schema)}/{FOLDERS[obj.kind]}/{file_name(obj.key_name)}{SUFFIX}"


def _statements(obj: DbObject) -> list[str]:
    if isinstance(obj, Table):
        return (
            obj.definition_sql(foreign_keys=False)
            + obj.foreign_key_sql()
            + obj.comment_sql(added_after=False)
            + obj.grant_sql()
        )
    if isinstance(obj, Sequence):  # a serial's: owned by its column, once the table is there
        return obj.create_sql() + obj.ownership_sql()
    return obj.create_sql()


def _describe(obj: DbObject) -> str:
    """The object for the file's first line: on one line, whatever its name holds."""
    name = obj.name if obj.kind == "schema" else f"{obj.schema}.{obj.key_name}"
    return f"{obj.kind} {json.dumps(name, ensure_ascii=False)[1:-1]}"


def write_model(snapshot: Snapshot, directory: Path) -> ModelWrite:
    """Make `directory` hold exactly the model of `snapshot`: new and changed files written,
    the files of objects that are gone deleted (with the folders they leave empty); files
    that are not `.sql` are left alone."""
    wanted = model_files(snapshot)
    done = ModelWrite()
    for path in sorted(existing_files(directory)):
        if path not in wanted:
            (directory / path).unlink()
            done.deleted.append(path)
    for path, text in wanted.items():
        target = directory / path
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            done.unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        done.written.append(path)
    _remove_empty_folders(directory)
    return done


def existing_files(directory: Path) -> list[str]:
    """The model's `.sql` files under `directory`, relative to it, sorted."""
    if not directory.is_dir():
        return []
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob(f"*{SUFFIX}"))


def _remove_empty_folders(directory: Path) -> None:
    if not directory.is_dir():
        return
    for folder in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
