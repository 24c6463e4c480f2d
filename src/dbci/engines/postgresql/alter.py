"""How PostgreSQL alters each kind of object in place, for the diff's DDL emitter
(`dbci.engines.postgresql.ddl`): tables and their columns, enums, domains, composite
types, sequences, extensions, functions, triggers, comments and grants."""

from __future__ import annotations

from dbci.schema.diff import _column_replaced, _narrows
from dbci.schema.model import (
    Column,
    CompositeType,
    DbObject,
    Domain,
    Enum,
    Extension,
    Function,
    Sequence,
    Table,
    Trigger,
    View,
    column_grant_sql,
    column_revoke_sql,
    constraint_adds,
    constraint_differs,
    is_foreign_key,
    qualify,
    quote_ident,
    quote_literal,
)


def alter_table(old: Table, new: Table) -> list[str]:
    """ALTER TABLE statements for columns, non-FK constraints, options, comments, grants."""
    table = old.qualified
    out: list[str] = []
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    for column in old.columns:
        if _column_replaced(column, after.get(column.name)):
            out.append(f"ALTER TABLE {table} DROP COLUMN {quote_ident(column.name)}")
    for column in new.columns:
        previous = before.get(column.name)
        if previous is None or _column_replaced(previous, column):
            out.append(f"ALTER TABLE {table} ADD COLUMN {column.definition_sql()}")
        else:
            out += _alter_column(table, previous, column)
    if old.unlogged != new.unlogged:
        out.append(f"ALTER TABLE {table} SET {'UNLOGGED' if new.unlogged else 'LOGGED'}")
    out += [new.add_constraint_sql(c) for c in constraint_adds(old, new) if not is_foreign_key(c)]
    out += _table_comments(old, new)
    out += _table_grant_changes(old, new)
    if not out and [c.name for c in old.columns] != [c.name for c in new.columns]:
        # One comment line: a quoted name may hold a line break, which would end the comment.
        shown = table.replace("\r", "\\r").replace("\n", "\\n")
        out.append(f"-- {shown}: the column order differs; PostgreSQL cannot reorder columns")
    return out


def _alter_column(table: str, old: Column, new: Column) -> list[str]:
    """ALTER COLUMN statements, in the order PostgreSQL accepts them.

    An identity goes first (an identity column refuses DROP NOT NULL and a default). The
    old default goes before a type change, since it may not cast to the new type, and
    the new one is set after. NOT NULL is settled before an identity is added, which
    requires it.
    """
    out: list[str] = []
    column = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(new.name)}"
    retyped = (old.data_type, old.collation) != (new.data_type, new.collation)
    if old.identity and not new.identity:
        out.append(f"{column} DROP IDENTITY")
    if old.default is not None and (old.default != new.default or retyped):
        out.append(f"{column} DROP DEFAULT")
    if retyped:
        collate = f" COLLATE {new.collation}" if new.collation else ""
        using = f" USING {quote_ident(new.name)}::{new.data_type}"
        out.append(f"{column} TYPE {new.data_type}{collate}{using}")
    if old.nullable != new.nullable:
        out.append(f"{column} {'DROP' if new.nullable else 'SET'} NOT NULL")
    if new.identity and old.identity and new.identity != old.identity:
        out.append(f"{column} SET GENERATED {new.identity}")
    elif new.identity and not old.identity:
        out.append(f"{column} ADD GENERATED {new.identity} AS IDENTITY")
    if new.default is not None and (old.default != new.default or retyped):
        out.append(f"{column} SET DEFAULT {new.default}")
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
            previous.comment if previous and previous.generated == column.generated else None
        )
        if column.comment != previous_comment:
            value = "NULL" if column.comment is None else quote_literal(column.comment)
            out.append(f"COMMENT ON COLUMN {new.qualified}.{quote_ident(column.name)} IS {value}")
    old_constraints = {c.name: c for c in old.constraints}
    for constraint in new.constraints:
        earlier = old_constraints.get(constraint.name)
        recreated = earlier is None or constraint_differs(earlier, constraint)
        previous_comment = None if recreated or earlier is None else earlier.comment
        if constraint.comment != previous_comment:
            value = "NULL" if constraint.comment is None else quote_literal(constraint.comment)
            target = f"CONSTRAINT {quote_ident(constraint.name)} ON {new.qualified}"
            out.append(f"COMMENT ON {target} IS {value}")
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
    target = f"ALTER TYPE {new.qualified}"
    before = {a.name: a for a in old.attributes}
    after = {a.name: a for a in new.attributes}
    out = [f"{target} DROP ATTRIBUTE {quote_ident(n)}" for n in before if n not in after]
    for attribute in new.attributes:
        previous = before.get(attribute.name)
        collate = f" COLLATE {attribute.collation}" if attribute.collation else ""
        name, data_type = quote_ident(attribute.name), attribute.data_type + collate
        if previous is None:
            out.append(f"{target} ADD ATTRIBUTE {name} {data_type}")
        elif previous != attribute:
            out.append(f"{target} ALTER ATTRIBUTE {name} TYPE {data_type}")
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
        if _narrows(old, new):
            low, high = new.bounds()
            outside = f"SELECT FROM {new.qualified} WHERE last_value NOT BETWEEN {low} AND {high}"
            alter = (
                f"DO $dbci$BEGIN\n  IF EXISTS ({outside}) THEN\n    {alter} RESTART;\n"
                f"  ELSE\n    {alter};\n  END IF;\nEND$dbci$"
            )
        out.append(alter)
    return out + comments_and_grants(old, new)


def alter_extension(old: Extension, new: Extension) -> list[str]:
    out: list[str] = []
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
    if old.enabled != new.enabled:
        action = "DISABLE" if new.enabled == "D" else "ENABLE"
        table = qualify(new.schema, new.table)
        out.append(f"ALTER TABLE {table} {action} TRIGGER {quote_ident(new.name)}")
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
    are granted again after one; a column dropped and added again (`_column_replaced`)
    has lost its privileges."""
    out = _grant_changes(old, new)
    cleared = {
        (g.grantee, g.privilege) for g in old.grants if g not in new.grants and not g.revoked
    } | {(g.grantee, g.privilege) for g in new.grants if g not in old.grants and g.revoked}
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        previous = before.get(column.name)
        had = previous.grants if previous and not _column_replaced(previous, column) else ()
        if not had and not column.grants:
            continue
        removed = [g for g in had if g not in column.grants]
        added = [g for g in column.grants if g not in had or (g.grantee, g.privilege) in cleared]
        out += column_revoke_sql(new, column, removed) + column_grant_sql(new, column, added)
    return out
