"""How PostgreSQL alters each kind of object in place, for the diff's DDL emitter
(`dbci.engines.postgresql.ddl`): tables and their columns, enums, domains, composite
types, sequences, extensions, functions, triggers, comments and grants."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from dbci.schema.change_rules import column_replaced, narrows
from dbci.schema.model import (
    Column,
    CompositeType,
    DbObject,
    Domain,
    Enum,
    Extension,
    Function,
    Key,
    MaterializedView,
    Sequence,
    Table,
    Trigger,
    View,
    column_grant_sql,
    column_revoke_sql,
    constraint_adds,
    constraint_differs,
    identity_values,
    index_comment_sql,
    is_foreign_key,
    quote_ident,
    quote_literal,
    storage_parameters_sql,
    type_dependencies,
)


def alter_table(
    old: Table,
    new: Table,
    *,
    text_types: Collection[Key] = (),
    inherited: bool = False,
) -> list[str]:
    """ALTER TABLE statements for columns, non-FK constraints, options, comments, grants.

    `text_types`: the user types (enums, domains over them) a column is converted from or
    to through text, as no cast joins two of them. `inherited`: the table is a partition
    that stays in its parent, whose own statements add, drop and retype the columns (a
    partition refuses them). A typed table that keeps its type has its columns follow
    the type's attributes (`alter_composite`); one that changes type leaves the old one
    first (NOT OF) and takes the new one (OF) once its columns are the type's.
    """
    table = old.qualified
    out: list[str] = []
    if old.of_type is not None and old.of_type != new.of_type:
        out.append(f"ALTER TABLE {table} NOT OF")
    inherited = inherited or (old.of_type is not None and old.of_type == new.of_type)
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    # A parent the child keeps adds, drops and retypes the columns it only inherits (its
    # statements recurse to children); a parent it leaves makes them the child's own.
    kept_parent = bool(set(old.inherits) & set(new.inherits))
    out += [
        f"ALTER TABLE {table} NO INHERIT {parent}"
        for parent in old.inherits
        if parent not in new.inherits
    ]
    for column in old.columns:
        follows = inherited or (column.inherited and kept_parent)
        if column_replaced(column, after.get(column.name)) and not follows:
            out.append(f"ALTER TABLE {table} DROP COLUMN {quote_ident(column.name)}")
    for column in new.columns:
        previous = before.get(column.name)
        follows = inherited or (column.inherited and kept_parent)
        if previous is None or column_replaced(previous, column):
            if not follows:
                out.append(f"ALTER TABLE {table} ADD COLUMN {column.definition_sql()}")
                out += column.attribute_sql(table)
        else:
            follows = inherited or (follows and previous.inherited)
            out += _alter_column(table, previous, column, text_types, inherited=follows)
    if old.unlogged != new.unlogged:
        out.append(f"ALTER TABLE {table} SET {'UNLOGGED' if new.unlogged else 'LOGGED'}")
    out += access_method_change(old, new)
    out += _storage_parameter_changes(old, new)
    out += new.security_sql(old)
    if (old.replica_identity, old.replica_index) != (new.replica_identity, new.replica_index):
        if new.replica_identity != "INDEX":  # USING INDEX: once the index exists (step 4)
            out += new.replica_identity_sql()
    if old.clustered_on is not None and new.clustered_on is None:
        out += new.cluster_sql()  # CLUSTER ON: once the index exists (step 4)
    out += [new.add_constraint_sql(c) for c in constraint_adds(old, new) if not is_foreign_key(c)]
    # A new parent wants its columns (and checks) in the child first. They stay the
    # child's own, where a child created with INHERITS would only inherit them.
    out += [
        f"ALTER TABLE {table} INHERIT {parent}"
        for parent in new.inherits
        if parent not in old.inherits
    ]
    if new.of_type is not None and new.of_type != old.of_type:
        out.append(f"ALTER TABLE {table} OF {new.of_type}")
    out += _table_comments(old, new)
    out += _table_grant_changes(old, new)
    return out


def _alter_column(
    table: str,
    old: Column,
    new: Column,
    text_types: Collection[Key] = (),
    *,
    inherited: bool = False,
) -> list[str]:
    """ALTER COLUMN statements, in the order PostgreSQL accepts them.

    A generated column that becomes a plain one keeps its values (DROP EXPRESSION). An
    identity goes first (an identity column refuses DROP NOT NULL and a default). The
    old default goes before a type change, since it may not cast to the new type, and
    the new one is set after. NOT NULL is settled before an identity is added, which
    requires it. A partition's (`inherited`) type and expression follow its parent's.
    """
    out: list[str] = []
    column = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(new.name)}"
    retyped = (old.data_type, old.collation) != (new.data_type, new.collation)
    if old.generated is not None and new.generated is None and not inherited:
        out.append(f"{column} DROP EXPRESSION")
    if old.identity and not new.identity:
        out.append(f"{column} DROP IDENTITY")
    if old.default is not None and (old.default != new.default or retyped):
        out.append(f"{column} DROP DEFAULT")
    if retyped and not inherited:
        collate = f" COLLATE {new.collation}" if new.collation else ""
        value = quote_ident(new.name)
        if any(
            k in text_types
            for k in type_dependencies(old.data_type) + type_dependencies(new.data_type)
        ):
            value += "::text"  # no cast joins an enum to another type but text's
        out.append(f"{column} TYPE {new.data_type}{collate} USING {value}::{new.data_type}")
    if old.nullable != new.nullable:
        out.append(f"{column} {'DROP' if new.nullable else 'SET'} NOT NULL")
    if new.identity and old.identity and new.identity != old.identity:
        out.append(f"{column} SET GENERATED {new.identity}")
    elif new.identity and not old.identity:
        options = f" ({' '.join(new.identity_options)})" if new.identity_options else ""
        out.append(f"{column} ADD GENERATED {new.identity} AS IDENTITY{options}")
    if new.identity and old.identity and identity_values(old) != identity_values(new):
        out.append(_identity_change(table, old, new))
    if new.default is not None and (old.default != new.default or retyped):
        out.append(f"{column} SET DEFAULT {new.default}")
    out += _column_attribute_changes(table, old, new, retyped=retyped and not inherited)
    return out


def inherited_columns_sql(table: Table, parents: list[Table]) -> list[str]:
    """For a child table just created with INHERITS (or a partition, all of whose columns
    are its parent's): ALTER COLUMN statements that take each column it only inherits
    from what the first parent having it gives it (type, default, NOT NULL, storage,
    compression, generation; no identity, statistics target, comment or grants) to what
    it is."""
    out: list[str] = []
    for column in table.columns:
        given = next((c for p in parents if (c := p.column(column.name)) is not None), None)
        if not (column.inherited or table.partition_of) or given is None:
            continue
        given = dataclasses.replace(
            given, identity=None, identity_options=(), statistics=None, comment=None, grants=()
        )
        out += _alter_column(table.qualified, given, column, inherited=True)
    return out


def without_inherited_generation(table: Table, parents: list[Table]) -> Table:
    """A child table (INHERITS) as CREATE TABLE may write it: a column it declares that a
    parent generates with the same expression is written without it, as PostgreSQL
    refuses a child's expression for an inherited column before version 16 and gives it
    the parent's anyway (pg_dump writes it the same way)."""
    if not table.inherits:
        return table
    columns = tuple(
        dataclasses.replace(column, generated=None)
        if column.generated is not None
        and not column.inherited
        and any(
            (given := p.column(column.name)) is not None and given.generated == column.generated
            for p in parents
        )
        else column
        for column in table.columns
    )
    return dataclasses.replace(table, columns=columns)


def _identity_change(table: str, old: Column, new: Column) -> str:
    """ALTER COLUMN that gives an identity's sequence B's options.

    PostgreSQL refuses bounds that leave out the sequence's current value, which the
    snapshot cannot know: when the range narrows, the sequence restarts (at its START)
    only if its value is outside the new range (as `alter_sequence` does)."""
    alter = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(new.name)} {_identity_settings(new)}"
    was, now = identity_values(old), identity_values(new)
    if now["MINVALUE"] <= was["MINVALUE"] and now["MAXVALUE"] >= was["MAXVALUE"]:
        return alter
    sequence = f"pg_get_serial_sequence({quote_literal(table)}, {quote_literal(new.name)})"
    return (
        "DO $dbci$DECLARE v bigint;\nBEGIN\n"
        f"  EXECUTE 'SELECT last_value FROM ' || {sequence} INTO v;\n"
        f"  IF v NOT BETWEEN {now['MINVALUE']} AND {now['MAXVALUE']} THEN\n"
        f"    EXECUTE {quote_literal(alter + ' RESTART')};\n"
        f"  ELSE\n    EXECUTE {quote_literal(alter)};\n  END IF;\nEND$dbci$"
    )


def _identity_settings(column: Column) -> str:
    """SET clauses that give an identity's sequence all of its options. Every option is
    written: PostgreSQL checks the bounds against the start and each other at once."""
    values = identity_values(column)
    clauses = [f"SET {name} {values[name]}" for name in ("INCREMENT BY", "MINVALUE", "MAXVALUE")]
    clauses += [f"SET START WITH {values['START WITH']}", f"SET CACHE {values['CACHE']}"]
    clauses.append("SET CYCLE" if values["CYCLE"] else "SET NO CYCLE")
    return " ".join(clauses)


def _column_attribute_changes(table: str, old: Column, new: Column, *, retyped: bool) -> list[str]:
    """SET STORAGE, COMPRESSION and STATISTICS where they change. A type change gives the
    column its new type's storage, so a storage of its own is set again after one."""
    column = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(new.name)}"
    out: list[str] = []
    if new.storage is not None and (new.storage != old.storage or retyped):
        out.append(f"{column} SET STORAGE {new.storage}")
    elif new.storage is None and old.storage is not None and not retyped:
        # Back to the type's storage: SET STORAGE DEFAULT needs PostgreSQL 16, so the
        # server looks the type's up.
        storage = (
            "SELECT CASE t.typstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' "
            "WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid "
            f"WHERE a.attrelid = {quote_literal(table)}::regclass "
            f"AND a.attname = {quote_literal(new.name)}"
        )
        out.append(
            f"DO $dbci$BEGIN\n  EXECUTE {quote_literal(column + ' SET STORAGE ')} || ({storage});"
            "\nEND$dbci$"
        )
    if new.compression != old.compression:
        out.append(f"{column} SET COMPRESSION {new.compression or 'DEFAULT'}")
    if new.statistics != old.statistics:
        out.append(f"{column} SET STATISTICS {-1 if new.statistics is None else new.statistics}")
    return out


def access_method_change(old: Table | MaterializedView, new: Table | MaterializedView) -> list[str]:
    """SET ACCESS METHOD (PostgreSQL 15+; it rewrites the relation, keeping its rows)."""
    if old.access_method == new.access_method:
        return []
    method = quote_ident(new.access_method or "heap")
    return [f"ALTER {new.sql_keyword} {new.qualified} SET ACCESS METHOD {method}"]


def alter_materialized_view(old: MaterializedView, new: MaterializedView) -> list[str]:
    """A materialized view kept as it is read: its access method, its columns' storage,
    compression and statistics target, comments and grants."""
    out = access_method_change(old, new)
    before = {c.name: c for c in old.column_attributes}
    after = {c.name: c for c in new.column_attributes}
    for name in sorted(before.keys() | after.keys()):
        plain = Column(name=name, data_type="")  # at the defaults
        out += _column_attribute_changes(
            new.qualified, before.get(name, plain), after.get(name, plain), retyped=False
        )
    return out + comments_and_grants(old, new)


def _storage_parameter_changes(old: Table, new: Table) -> list[str]:
    """ALTER TABLE … RESET (…) for the storage parameters B has not, SET (…) for those it
    has otherwise."""
    before = dict(p.partition("=")[::2] for p in old.storage_parameters)
    after = dict(p.partition("=")[::2] for p in new.storage_parameters)
    out: list[str] = []
    gone = [name for name in before if name not in after]
    if gone:
        out.append(f"ALTER TABLE {new.qualified} RESET ({', '.join(gone)})")
    changed = [f"{name}={value}" for name, value in after.items() if before.get(name) != value]
    if changed:
        out.append(f"ALTER TABLE {new.qualified} SET ({storage_parameters_sql(changed)})")
    return out


def _table_comments(old: Table, new: Table) -> list[str]:
    out: list[str] = []
    if old.comment != new.comment:
        value = "NULL" if new.comment is None else quote_literal(new.comment)
        out.append(f"COMMENT ON {new.target_sql} IS {value}")
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        previous = before.get(column.name)
        previous_comment = (
            previous.comment if previous and not column_replaced(previous, column) else None
        )
        if column.comment != previous_comment:
            value = "NULL" if column.comment is None else quote_literal(column.comment)
            out.append(f"COMMENT ON COLUMN {new.qualified}.{quote_ident(column.name)} IS {value}")
    old_constraints = {c.name: c for c in old.constraints}
    for constraint in new.constraints:
        earlier = old_constraints.get(constraint.name)
        recreated = earlier is None or constraint_differs(earlier, constraint)
        if recreated and is_foreign_key(constraint):
            continue  # added in step 4 of the diff, with its comment
        previous_comment = None if recreated or earlier is None else earlier.comment
        if constraint.comment != previous_comment:
            value = "NULL" if constraint.comment is None else quote_literal(constraint.comment)
            target = f"CONSTRAINT {quote_ident(constraint.name)} ON {new.qualified}"
            out.append(f"COMMENT ON {target} IS {value}")
        # The index of a key (re)made here comes without a comment.
        previous_index = None if recreated or earlier is None else earlier.index_comment
        if constraint.index_comment != previous_index:
            out += index_comment_sql(new, constraint, clear=True)
    return out


def alter_enum(old: Enum, new: Enum) -> list[str]:
    """New labels are added in place, each before the kept label that follows it (or
    after the one before it). Lost or reordered labels rebuild the type instead."""
    out: list[str] = []
    for index, label in enumerate(new.labels):
        if label in old.labels:
            continue
        anchor = ""
        if index + 1 < len(new.labels) and new.labels[index + 1] in old.labels:
            anchor = f" BEFORE {quote_literal(new.labels[index + 1])}"
        elif index > 0:
            anchor = f" AFTER {quote_literal(new.labels[index - 1])}"
        out.append(f"ALTER TYPE {new.qualified} ADD VALUE {quote_literal(label)}{anchor}")
    return out + comments_and_grants(old, new)


def alter_domain(old: Domain, new: Domain) -> list[str]:
    domain = f"ALTER DOMAIN {new.qualified}"
    out: list[str] = []
    if old.default != new.default:
        out.append(
            f"{domain} DROP DEFAULT"
            if new.default is None
            else f"{domain} SET DEFAULT {new.default}"
        )
    if old.not_null != new.not_null:
        out.append(f"{domain} {'SET' if new.not_null else 'DROP'} NOT NULL")
    before = {c.name: c for c in old.constraints}
    after = {c.name: c for c in new.constraints}
    for name, constraint in before.items():
        if name not in after or after[name] != constraint:
            out.append(f"{domain} DROP CONSTRAINT {quote_ident(name)}")
    for name, constraint in after.items():
        if name not in before or before[name] != constraint:
            out.append(f"{domain} ADD CONSTRAINT {quote_ident(name)} {constraint.definition}")
    return out + comments_and_grants(old, new)


def alter_composite(old: CompositeType, new: CompositeType) -> list[str]:
    """ALTER TYPE for the attributes, each with CASCADE: the typed tables of the type
    (CREATE TABLE … OF) follow it, as their columns are its attributes."""
    target = f"ALTER TYPE {new.qualified}"
    before = {a.name: a for a in old.attributes}
    after = {a.name: a for a in new.attributes}
    out = [f"{target} DROP ATTRIBUTE {quote_ident(n)} CASCADE" for n in before if n not in after]
    for attribute in new.attributes:
        previous = before.get(attribute.name)
        collate = f" COLLATE {attribute.collation}" if attribute.collation else ""
        name, data_type = quote_ident(attribute.name), attribute.data_type + collate
        if previous is None:
            out.append(f"{target} ADD ATTRIBUTE {name} {data_type} CASCADE")
        elif previous != attribute:
            out.append(f"{target} ALTER ATTRIBUTE {name} TYPE {data_type} CASCADE")
    return out + comments_and_grants(old, new)


def alter_sequence(old: Sequence, new: Sequence) -> list[str]:
    """ALTER SEQUENCE for new options (its owner is set in step 3, once columns exist).

    PostgreSQL refuses new bounds that leave out the sequence's current value, which the
    snapshot cannot know: when the range narrows, the sequence restarts (at its START)
    only if its value is outside the new range.
    """
    out: list[str] = []
    if old.options_sql() != new.options_sql():
        alter = f"ALTER SEQUENCE {new.qualified} {new.options_sql(explicit_bounds=True)}"
        if narrows(old, new):
            low, high = new.bounds()
            outside = f"SELECT FROM {new.qualified} WHERE last_value NOT BETWEEN {low} AND {high}"
            alter = (
                f"DO $dbci$BEGIN\n  IF EXISTS ({outside}) THEN\n    {alter} RESTART;\n"
                f"  ELSE\n    {alter};\n  END IF;\nEND$dbci$"
            )
        out.append(alter)
    if old.unlogged != new.unlogged:
        logged = "UNLOGGED" if new.unlogged else "LOGGED"
        out.append(f"ALTER SEQUENCE {new.qualified} SET {logged}")
    return out + comments_and_grants(old, new)


def alter_extension(old: Extension, new: Extension) -> list[str]:
    """An extension moved to another schema (`_Planner._pair_moved_extensions`), updated to
    another version, its comment."""
    out: list[str] = []
    if old.schema != new.schema:
        out.append(f"ALTER EXTENSION {new.qualified} SET SCHEMA {quote_ident(new.schema)}")
    if old.version != new.version and new.version:
        out.append(f"ALTER EXTENSION {new.qualified} UPDATE TO {quote_literal(new.version)}")
    return out + comments_and_grants(old, new)


def replace_function(old: Function, new: Function) -> list[str]:
    out: list[str] = []
    if (old.definition, old.body) != (new.definition, new.body):
        out += new.definition_sql()  # CREATE OR REPLACE
    return out + comments_and_grants(old, new)


def alter_trigger(old: Trigger, new: Trigger) -> list[str]:
    out: list[str] = []
    if old.enabled != new.enabled and new.cloned_from is None:  # a copy's: the emitter's
        out += new.state_sql()
    return out + comments_and_grants(old, new)


def comments_and_grants(old: DbObject, new: DbObject) -> list[str]:
    out: list[str] = []
    if old.comment != new.comment:
        value = "NULL" if new.comment is None else quote_literal(new.comment)
        out.append(f"COMMENT ON {new.target_sql} IS {value}")
    if (
        isinstance(old, View)
        and isinstance(new, View)
        and old.column_comments != new.column_comments
    ):
        before = dict(old.column_comments)
        after = dict(new.column_comments)
        for column in sorted(set(before) | set(after)):
            if before.get(column) != after.get(column):
                text = after.get(column)
                value = "NULL" if text is None else quote_literal(text)
                out.append(f"COMMENT ON COLUMN {new.qualified}.{quote_ident(column)} IS {value}")
    return out + _grant_changes(old, new)


def _grant_changes(old: DbObject, new: DbObject) -> list[str]:
    removed = tuple(g for g in old.grants if g not in new.grants)
    added = tuple(g for g in new.grants if g not in old.grants)
    return new.revoke_sql(removed) + new.grant_sql(added)


def _table_grant_changes(old: Table, new: Table) -> list[str]:
    """The table's grant changes, then its columns'. A REVOKE on the table also revokes
    that privilege on each of its columns from the grantee, so column privileges B keeps
    are granted again after one; a column dropped and added again (`column_replaced`)
    has lost its privileges."""
    out = _grant_changes(old, new)
    cleared = {
        (g.grantee, g.privilege) for g in old.grants if g not in new.grants and not g.revoked
    } | {(g.grantee, g.privilege) for g in new.grants if g not in old.grants and g.revoked}
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        previous = before.get(column.name)
        had = previous.grants if previous and not column_replaced(previous, column) else ()
        if not had and not column.grants:
            continue
        removed = [g for g in had if g not in column.grants]
        added = [g for g in column.grants if g not in had or (g.grantee, g.privilege) in cleared]
        out += column_revoke_sql(new, column, removed) + column_grant_sql(new, column, added)
    return out
