"""Reading a PostgreSQL schema into the model (`dbci.schema.model`).

`snapshot_postgresql` reads the objects of the given schemas with a fixed number of catalog
queries (eleven, twelve with grants; one more for every other kind of object,
`snapshot_catalog`, and one for what those use when there are any; at most two more for
the index definitions dbci writes itself) however many objects exist: a schema of
thousands of tables costs the same dozen round trips as one of three. Each query returns
one row per object (or per column, constraint, index, …); child rows are grouped by their
parent's oid in one pass, and every object is built once.

Most of the server's work on a fresh connection is building the relation cache entries of
the tables that a deparsing function opens to name their columns. So column defaults are
deparsed without their table, and primary, unique and foreign keys and plain indexes are
written by `dbci.engines.postgresql.definitions` from the column names already read; PostgreSQL
deparses the rest.

Everything is read inside one read-only REPEATABLE READ transaction with an empty
`search_path`, so that the queries see one state of the catalog and every name PostgreSQL
renders in a definition, a default or a type is schema-qualified, whatever the caller's
search path. The transaction is rolled back at the end; call this outside a transaction.

Left out: objects an extension owns (its functions and types; the extension itself is
listed), everything outside the schemas but the database-wide kinds of
`snapshot_catalog`, the tables in `exclude_tables` with everything
that belongs to them, sequences behind identity columns, and what PostgreSQL makes on its
own for partitions (their copies of the parent's constraints, indexes and triggers).
Needs PostgreSQL 13 or later: the scripts a diff writes use what 13 brought (`ALTER
COLUMN … DROP EXPRESSION`), and 12 has been out of support since November 2024.

The queries are the files of `sql/`, one per query and named for what it reads. This
module runs them; `snapshot_tables`, `snapshot_types` and `snapshot_routines` make the
objects of each kind from their rows.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

from dbci.engines.base import Database
from dbci.engines.postgresql import (
    snapshot_catalog,
    snapshot_routines,
    snapshot_tables,
    snapshot_types,
)
from dbci.engines.postgresql.definitions import (
    column_index,
    constraint_definition,
    index_definition,
)
from dbci.engines.postgresql.snapshot_tables import Parts
from dbci.errors import InputError
from dbci.schema.model import (
    DbObject,
    Extension,
    Grant,
    Key,
    Schema,
    Snapshot,
)


@functools.cache
def _query(name: str) -> str:
    """The query of `sql/<name>.sql`, without its comment lines (which document it but
    could hold what looks like a parameter). Read once."""
    text = resources.files(__package__ or "").joinpath("sql", f"{name}.sql").read_text("utf-8")
    return "".join(line for line in text.splitlines(True) if not line.lstrip().startswith("--"))


# Read with the columns rather than in the grants query: the columns are read anyway, and
# only the few with privileges of their own cost anything more.
_COLUMN_GRANTS = """CASE WHEN a.attacl IS NOT NULL AND c.relkind IN ('r', 'p') THEN (
    SELECT json_agg(json_build_array(
        CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
        x.privilege_type, x.is_grantable)
      ORDER BY CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text
        END COLLATE "C", x.privilege_type COLLATE "C", x.is_grantable)
    FROM aclexplode(a.attacl) x)
  END"""


def _columns_sql(include_grants: bool, major: int) -> str:
    # attcompression arrived in PostgreSQL 14 ('' for the default method).
    compression = "NULLIF(a.attcompression, '')" if not 0 < major < 14 else "NULL"
    return _query("columns").format(
        column_grants=_COLUMN_GRANTS if include_grants else "NULL", compression=compression
    )


# Constraints and indexes: `pg_get_constraintdef` and `pg_get_indexdef` open the table
# (building its relation cache entry) to name its columns, which on a fresh connection
# and thousands of tables is most of a snapshot's time. So the common shapes come as
# parts that `dbci.engines.postgresql.definitions` writes exactly as PostgreSQL does: primary,
# unique and foreign keys (those referencing a table whose columns the columns query
# read) and plain indexes. PostgreSQL writes the others. Servers newer than this code
# knows get PostgreSQL's text throughout (18 adds temporal keys and NOT ENFORCED).
_WRITTEN_HERE_UP_TO = 17

# The constraints written here: keys, and foreign keys referencing a table of the schemas.
# A referenced table outside the schemas has no column names read; pg_get_constraintdef
# leaves out the schema of a table the (empty) search path finds: pg_catalog's.
_CONSTRAINT_WRITTEN_HERE = (
    "co.contype IN ('p', 'u') OR co.contype = 'f' AND r.relkind IN ('r', 'p') "
    "AND rn.nspname = ANY(:schemas) AND rn.nspname !~ '^pg_'"
)


def _constraints_sql(major: int, written_here: bool) -> str:
    since_15 = major >= 15
    return _query("constraints").format(
        written_here=_CONSTRAINT_WRITTEN_HERE if written_here else "false",
        delete_columns="array_to_string(co.confdelsetcols, ' ')" if since_15 else "NULL",
        nulls_not_distinct="ix.indnullsnotdistinct" if since_15 else "NULL",
    )


# The indexes written here: on key columns only with their default order, no predicate and
# no storage or operator class options (`index_definition` also checks their operator
# classes and collations); PostgreSQL writes the others. Operator class options
# (`gist (v tsvector_ops (siglen = 32))`) live on the index's attributes; btree and hash
# operator classes take none.
_INDEX_WRITTEN_HERE = """ic.relkind = 'i' AND i.indexprs IS NULL AND i.indpred IS NULL
    AND ic.reloptions IS NULL AND i.indoption::int2[] <@ ARRAY[0]::int2[] {nulls}
    AND (am.amname IN ('btree', 'hash') OR NOT EXISTS (
      SELECT 1 FROM pg_attribute ia
      WHERE ia.attrelid = i.indexrelid AND ia.attoptions IS NOT NULL))"""


def _indexes_sql(major: int, written_here: bool) -> str:
    nulls = "AND NOT i.indnullsnotdistinct" if major >= 15 else ""
    written = _INDEX_WRITTEN_HERE.format(nulls=nulls) if written_here else "false"
    return _query("indexes").format(written_here=written)


# A trigger that is not a partition's copy of its parent's.
_TRIGGER_NOT_CLONED = "tg.tgparentid = 0"


def snapshot_postgresql(
    db: Database,
    schemas: Sequence[str],
    *,
    include_grants: bool = False,
    include_owners: bool = False,
    exclude_tables: Collection[tuple[str, str]] = (),
    parallel: bool = True,
    server_definitions: bool = False,
) -> Snapshot:
    """The objects of `schemas` as a snapshot, read with a fixed number of catalog queries.

    With `parallel`, a second connection runs some of the queries at the same time; a
    caller that already reads two databases at once passes False. With
    `server_definitions`, PostgreSQL writes every key and index definition (slower on a
    fresh connection; the tests compare the two ways).

    `exclude_tables` holds `(schema, table)` pairs (the migration history table) left out
    with their indexes, constraints, triggers and owned sequences. Grants are read only
    with `include_grants`. Must be called outside a transaction: it opens its own and
    rolls it back. Default privileges are read with grants, and owners only with
    `include_owners`.
    """
    major = _server_major(db)
    if 0 < major < 13:
        raise InputError(f"schema snapshots need PostgreSQL 13 or later, not {major}")
    params = {"schemas": list(schemas)}
    written_here = 13 <= major <= _WRITTEN_HERE_UP_TO and not server_definitions
    keys_sql = (_indexes_sql(major, written_here), _constraints_sql(major, written_here))
    db.begin()
    try:
        _start_reading(db)
        # A second connection, reading the same transaction snapshot, runs half of the
        # queries at the same time (the server works on both at once).
        helper = _second_reader(db) if parallel else None
        try:
            rows, parts = _read(
                db, helper, params, major, (include_grants, include_owners), keys_sql
            )
            catalog, rows.catalog_keys = snapshot_catalog.catalog_objects(
                rows.catalog, set(exclude_tables)
            )
            rows.catalog_objects = catalog
            rows.catalog_dependencies = snapshot_catalog.read_dependencies(
                db, rows.catalog_keys, major
            )
        finally:
            if helper is not None:
                helper.rollback()
                helper.close()
    finally:
        db.rollback()
    return _build(rows, parts, set(exclude_tables))


def _write_definitions(db: Database, rows: _Rows, default_opclasses: dict[str, str]) -> None:
    """Fill in the key and index definitions the queries left for dbci to write (see
    `dbci.engines.postgresql.definitions`), asking PostgreSQL for any index it turns back. Index
    rows get their key and INCLUDE columns as a last item (None: read them from the
    definition). `default_opclasses` maps each default operator class to its type."""
    columns = column_index((row[0], *row[10:14]) for row in rows.columns)
    # The last item (the index's comment) stays last.
    rows.constraints = [
        (*row[:7], row[-1])
        if row[3] is not None
        else (
            *row[:3],
            constraint_definition(columns, row[2], row[0], *row[7:-1]),
            *row[4:7],
            row[-1],
        )
        for row in rows.constraints
    ]
    written: dict[int, tuple[str, tuple[str, ...], tuple[str, ...]] | None] = {}
    for row in rows.indexes:
        if row[4] is None:
            written[row[9]] = index_definition(
                columns, default_opclasses, row[0], *row[5:7], *row[10:]
            )
    turned_back = [oid for oid, parts in written.items() if parts is None]
    from_server = (
        dict(db.query(_query("index_definitions"), {"oids": _oid_array(turned_back)}))
        if turned_back
        else {}
    )
    indexes = []
    for row in rows.indexes:
        parts = written.get(row[9])
        if parts is not None:
            indexes.append((*row[:4], parts[0], *row[5:10], parts[1:]))
        else:
            definition = row[4] if row[4] is not None else from_server[row[9]]
            indexes.append((*row[:4], definition, *row[5:10], None))
    rows.indexes = indexes


def _start_reading(db: Database, snapshot_id: str | None = None) -> None:
    """Open the read-only transaction all the catalog queries share."""
    db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if snapshot_id is not None:
        db.execute(f"SET TRANSACTION SNAPSHOT {db.literal(snapshot_id)}")
    # JIT compiling these short catalog queries costs more than it saves.
    db.query("SELECT set_config('search_path', '', true), set_config('jit', 'off', true)", {})


def _second_reader(db: Database) -> Database | None:
    """Another connection in a transaction that sees exactly what `db`'s sees, or None when
    one cannot be opened (then `db` runs every query itself)."""
    try:
        snapshot_id = db.query("SELECT pg_export_snapshot()")[0][0]
        helper = type(db).connect(db.url, where=db.where, connect_timeout=5)
    except Exception:
        return None
    try:
        helper.begin()
        _start_reading(helper, snapshot_id)
    except Exception:
        helper.close()
        return None
    return helper


def _read(
    db: Database,
    helper: Database | None,
    params: dict[str, Any],
    major: int,
    included: tuple[bool, bool],
    keys_sql: tuple[str, str],
) -> tuple[_Rows, Parts]:
    """Every catalog query, and the parts of the objects that need only some of them;
    `included`: whether grants, and owners, are read.

    The relations, dependencies, triggers and grants queries, and the one of the objects
    written as statements (`snapshot_catalog`), run in a second thread: on
    `helper` from the start, else on `db` once its own queries are answered. Either way
    the server works on them while this thread writes the key and index definitions and
    makes the columns and constraints, the client's largest share of a snapshot.
    """
    types = db.query(_query("types"), params)
    routines = db.query(_query("routines"), params)
    used = {  # what tables and indexes may use, for the dependencies query
        **params,
        "routines": _oid_array(row[0] for row in routines),
        "types": _oid_array(oid for row in types for oid in (row[0], row[-1]) if oid),
    }
    not_cloned = _TRIGGER_NOT_CLONED
    include_grants, include_owners = included

    def read_late(reader: Database) -> tuple[list[Any], ...]:
        return (
            reader.query(_query("relations"), params),
            reader.query(_query("dependencies"), used),
            reader.query(_query("triggers").format(not_cloned=not_cloned), params),
            reader.query(_query("grants"), params) if include_grants else [],
            snapshot_catalog.read_catalog_objects(
                reader, params, major, include_grants=include_grants, include_owners=include_owners
            ),
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        late = pool.submit(read_late, helper) if helper is not None else None
        rows = _Rows(
            schemas=db.query(_query("schemas"), params),
            extensions=db.query(_query("extensions"), params),
            types=types,
            relations=[],
            columns=db.query(_columns_sql(include_grants, major), params),
            indexes=db.query(keys_sql[0], params),
            constraints=db.query(keys_sql[1], params),
            routines=routines,
            dependencies=[],
            triggers=[],
            grants=[],
        )
        any_written = any(row[4] is None for row in rows.indexes)
        opclasses = db.query(_query("default_opclasses"), {}) if any_written else []
        if late is None:
            late = pool.submit(read_late, db)
        _write_definitions(db, rows, dict(opclasses))
        parts = snapshot_tables.table_parts(rows.columns, rows.constraints)
        rows.relations, rows.dependencies, rows.triggers, rows.grants, rows.catalog = late.result()
    return rows, parts


@dataclasses.dataclass
class _Rows:
    """The answers of the catalog queries."""

    schemas: list[Any]
    extensions: list[Any]
    types: list[Any]
    relations: list[Any]
    columns: list[Any]
    constraints: list[Any]
    indexes: list[Any]
    routines: list[Any]
    dependencies: list[Any]
    triggers: list[Any]
    grants: list[Any]
    # The objects written as statements (`snapshot_catalog`), their keys by (catalog,
    # oid), and pg_depend's rows between them and the rest.
    catalog: list[Any] = dataclasses.field(default_factory=list)
    catalog_objects: list[Any] = dataclasses.field(default_factory=list)
    catalog_keys: dict[tuple[str, int], Key] = dataclasses.field(default_factory=dict)
    catalog_dependencies: list[Any] = dataclasses.field(default_factory=list)


def _oid_array(oids: Iterable[int]) -> str:
    """Oids as an array literal, for `CAST(:name AS oid[])`."""
    return "{" + ",".join(map(str, oids)) + "}"


def _server_major(db: Database) -> int:
    try:
        return int(db.server_version().split(".")[0])
    except (ValueError, NotImplementedError):
        return 0


def _build(rows: _Rows, parts: Parts, excluded: set[tuple[str, str]]) -> Snapshot:
    snapshot = Snapshot(dialect="postgresql")

    found: dict[tuple[str, int], list[Grant]] = defaultdict(list)
    for cat, oid, grantee, privilege, grantable, revoked in rows.grants:
        found[(cat, oid)].append(
            Grant(grantee=grantee, privilege=privilege, grantable=grantable, revoked=revoked)
        )
    grants = {object_id: tuple(object_grants) for object_id, object_grants in found.items()}

    objects: list[DbObject] = [
        Schema(schema=name, name=name, comment=comment, grants=grants.get(("n", oid), ()))
        for oid, name, comment in rows.schemas
    ]
    objects += (
        Extension(
            schema=schema, name=name, version=version, comment=comment, relocatable=relocatable
        )
        for name, schema, version, comment, relocatable in rows.extensions
    )
    objects += snapshot_types.types(rows.types, parts.columns, grants)
    relations = snapshot_tables.relations(rows.relations, parts, grants, excluded)
    objects += relations.objects
    indexes, index_keys = snapshot_tables.indexes(rows.indexes, relations.names)
    objects += indexes
    routines, routine_keys = snapshot_routines.routines(rows.routines, grants)
    objects += routines
    objects += snapshot_tables.triggers(rows.triggers, relations.names)
    objects += rows.catalog_objects

    objects_add = snapshot.objects.__setitem__
    for obj in objects:
        objects_add(obj.key, obj)
    key_of = _key_finder(rows, relations, index_keys, routine_keys)
    if rows.catalog:  # owners, with `include_owners`: of schemas too
        schema_keys = {oid: ("schema", name, name) for oid, name, _ in rows.schemas}

        def owned_key(classid: str, oid: int) -> Key | None:
            return schema_keys.get(oid) if classid == "pg_namespace" else key_of(classid, oid)

        for owner in snapshot_catalog.owners(rows.catalog, owned_key):
            objects_add(owner.key, owner)

    # Dependencies: only on objects of the snapshot, each once, sorted.
    dependencies: dict[Key, set[Key]] = defaultdict(set)
    present = snapshot.objects
    sources = {
        "v": relations.view_keys,
        "f": routine_keys,
        "t": relations.table_keys,
        "i": index_keys,
        "d": {row[0]: ("domain", row[1], row[2]) for row in rows.types if row[3] == "d"},
    }
    for src, owner, kind, schema, name in rows.dependencies:
        source = sources[src].get(owner)
        target = (kind, schema, name)
        if source is not None and target != source and target in present:
            dependencies[source].add(target)
    if rows.catalog_dependencies:
        snapshot_catalog.link_dependencies(
            rows.catalog_dependencies, key_of, lambda user, used: dependencies[user].add(used)
        )
    replace = _replace_dependencies
    for source, targets in dependencies.items():
        current = present.get(source)
        if current is not None and "dependencies" in current.__dict__:  # kinds recording them
            recorded: tuple[Key, ...] = current.__dict__["dependencies"]
            present[source] = replace(current, tuple(sorted(targets | set(recorded))))
    return snapshot


_TYPE_KIND = {"e": "enum", "d": "domain", "c": "composite type"}


def _key_finder(
    rows: _Rows,
    relations: snapshot_tables.Relations,
    index_keys: dict[int, Key],
    routine_keys: dict[int, Key],
) -> Callable[[str, int], Key | None]:
    """The key of the snapshot's object that a pg_depend side (catalog, oid) names."""
    by_class: dict[str, dict[int, Key]] = {
        "pg_class": {**relations.table_keys, **relations.view_keys, **index_keys},
        "pg_proc": routine_keys,
        "pg_type": {
            row[0]: (_TYPE_KIND[row[3]], row[1], row[2])
            for row in rows.types
            if row[3] in _TYPE_KIND
        },
    }
    catalog = rows.catalog_keys

    def key_of(classid: str, oid: int) -> Key | None:
        found = catalog.get((classid, oid))
        if found is None:
            found = by_class.get(classid, {}).get(oid)
        return found

    return key_of


def _replace_dependencies(obj: DbObject, dependencies: tuple[Key, ...]) -> DbObject:
    return dataclasses.replace(obj, dependencies=dependencies)  # type: ignore[call-arg]
