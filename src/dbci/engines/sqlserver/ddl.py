"""T-SQL text for the schema model: identifiers in [brackets], tables with SQL Server's
column syntax (IDENTITY, computed columns, named defaults), comments as `MS_Description`
extended properties, and scripts split into batches with `GO` as sqlcmd runs them.

Views, routines and triggers are kept as the module text SQL Server holds
(`sys.sql_modules.definition`) and written back exactly so (trailing blanks aside), so
that what the script creates reads back the same.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from dbci.schema.model import Column, DbObject, Index, Procedure, Table, Trigger
from dbci.sqlsplit import leading_words, terminated

# SQL Server names are at most 128 characters; a default whose made-up name would be longer
# is left for SQL Server to name.
_MAX_NAME = 128
_MODULE_WORDS = {"VIEW", "PROCEDURE", "PROC", "FUNCTION", "TRIGGER"}


def quote_mssql(name: str) -> str:
    """`[name]`, with `]` doubled."""
    return "[" + name.replace("]", "]]") + "]"


def qualify_mssql(schema: str, name: str) -> str:
    """`[schema].[name]`, or `[name]` without a schema."""
    return f"{quote_mssql(schema)}.{quote_mssql(name)}" if schema else quote_mssql(name)


def literal_mssql(value: str) -> str:
    """A Unicode string literal: `N'…'`, with `'` doubled."""
    return "N'" + value.replace("'", "''") + "'"


def default_name(table: Table, column: Column) -> str | None:
    """The name dbci gives a column's default constraint, `DF_<table>_<column>` (None when
    too long). SQL Server wants a name to drop a default, and makes one up (with a random
    part) when the script gives none."""
    name = f"DF_{table.name}_{column.name}"
    return name if len(name) <= _MAX_NAME else None


def column_sql(table: Table, column: Column) -> str:
    """The column as CREATE TABLE and ALTER TABLE … ADD write it.

    A computed column has no type of its own; `generated` holds its expression (with
    ` PERSISTED` when it is), and only a persisted one may say NOT NULL.
    """
    name = quote_mssql(column.name)
    if column.generated is not None:
        persisted = column.generated.endswith(" PERSISTED")
        return f"{name} AS {column.generated}" + (
            " NOT NULL" if persisted and not column.nullable else ""
        )
    sql = f"{name} {type_sql(column)}"
    if column.identity:
        sql += f" {column.identity}"
    sql += " NULL" if column.nullable else " NOT NULL"
    if column.default is not None:
        constraint = default_name(table, column)
        if constraint is not None:
            sql += f" CONSTRAINT {quote_mssql(constraint)}"
        sql += f" DEFAULT {column.default}"
    return sql


def type_sql(column: Column) -> str:
    """The column's type with its collation, as ALTER COLUMN restates it."""
    return column.data_type + (f" COLLATE {column.collation}" if column.collation else "")


def add_default_sql(table: Table, column: Column) -> str:
    """ALTER TABLE … ADD [CONSTRAINT …] DEFAULT … FOR, for a column that exists."""
    constraint = default_name(table, column)
    named = f"CONSTRAINT {quote_mssql(constraint)} " if constraint is not None else ""
    return (
        f"ALTER TABLE {table_name(table)} ADD {named}DEFAULT {column.default} "
        f"FOR {quote_mssql(column.name)}"
    )


def drop_default_sql(table: Table, column: str) -> str:
    """Drop a column's default constraint, whatever its name: the snapshot does not keep
    it (SQL Server makes one up for a default a script did not name), so the statement
    looks it up and runs the DROP through dynamic SQL; EXEC of NULL (no default) does
    nothing. One statement, no `;` inside; the variable's name is the table's and
    column's, so that a script that runs as one batch declares each only once."""
    target = table_name(table)
    variable = f"@dbci_default_{zlib.crc32(f'{target}.{column}'.encode()):08x}"
    prefix = literal_mssql(f"ALTER TABLE {target} DROP CONSTRAINT ")
    return (
        f"DECLARE {variable} nvarchar(max) = (SELECT {prefix} + QUOTENAME(d.name)\n"
        "    FROM sys.default_constraints AS d\n"
        "    JOIN sys.columns AS c\n"
        "        ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id\n"
        f"    WHERE d.parent_object_id = OBJECT_ID({literal_mssql(target)})"
        f" AND c.name = {literal_mssql(column)})\n"
        f"EXEC ({variable})"
    )


def table_name(obj: DbObject) -> str:
    return qualify_mssql(obj.schema, obj.name)


def create_table_sql(table: Table, *, foreign_keys: bool = True) -> str:
    """CREATE TABLE with its columns and constraints (without `foreign_keys`, they are
    left for ALTER TABLE … ADD CONSTRAINT once every table exists)."""
    parts = [column_sql(table, c) for c in table.columns]
    parts += [
        f"CONSTRAINT {quote_mssql(c.name)} {c.definition}"
        for c in table.constraints
        if foreign_keys or c.constraint_type != "foreign key"
    ]
    inner = ",\n    ".join(parts)
    return f"CREATE TABLE {table_name(table)} (\n    {inner}\n)"


def add_constraint_sql(table: Table, name: str, definition: str) -> str:
    return f"ALTER TABLE {table_name(table)} ADD CONSTRAINT {quote_mssql(name)} {definition}"


def drop_constraint_sql(table: Table, name: str) -> str:
    return f"ALTER TABLE {table_name(table)} DROP CONSTRAINT {quote_mssql(name)}"


def comment_sql(table: Table, column: str | None, text: str | None, *, exists: bool) -> str:
    """Set (`text`) or remove (None) the `MS_Description` of a table or one of its
    columns; `exists`: the property is there already (update it rather than add it)."""
    level = [("SCHEMA", table.schema), ("TABLE", table.name)]
    if column is not None:
        level.append(("COLUMN", column))
    args = ["@name = N'MS_Description'"]
    if text is None:
        procedure = "sys.sp_dropextendedproperty"
    else:
        procedure = "sys.sp_updateextendedproperty" if exists else "sys.sp_addextendedproperty"
        args.append(f"@value = {literal_mssql(text)}")
    for number, (kind, name) in enumerate(level):
        args.append(f"@level{number}type = N'{kind}', @level{number}name = {literal_mssql(name)}")
    return f"EXEC {procedure} {', '.join(args)}"


def table_comments_sql(table: Table) -> list[str]:
    """The comments of a new table and its columns."""
    out = []
    if table.comment is not None:
        out.append(comment_sql(table, None, table.comment, exists=False))
    for column in table.columns:
        if column.comment is not None:
            out.append(comment_sql(table, column.name, column.comment, exists=False))
    return out


def drop_sql(obj: DbObject) -> str:
    """DROP for a table, view, routine, trigger (DML triggers live in their table's
    schema) or index (named with its table)."""
    if isinstance(obj, Index):
        return f"DROP INDEX {quote_mssql(obj.name)} ON {qualify_mssql(obj.schema, obj.table)}"
    keyword = "PROCEDURE" if isinstance(obj, Procedure) else obj.sql_keyword
    return f"DROP {keyword} {table_name(obj)}"


def trigger_state_sql(trigger: Trigger) -> str:
    """ENABLE or DISABLE TRIGGER, as `trigger.enabled` says ("D": disabled)."""
    action = "DISABLE" if trigger.enabled == "D" else "ENABLE"
    on = qualify_mssql(trigger.schema, trigger.table)
    return f"{action} TRIGGER {qualify_mssql(trigger.schema, trigger.name)} ON {on}"


def module_sql(obj: DbObject) -> str:
    """A view's, routine's or trigger's module text, as SQL Server holds it."""
    return str(getattr(obj, "definition", "")).rstrip()


def definition_statements(obj: DbObject) -> list[str]:
    """The statements that create `obj` with its comments, in T-SQL."""
    if isinstance(obj, Table):
        return [create_table_sql(obj)] + table_comments_sql(obj)
    if isinstance(obj, Index):
        return [obj.definition]
    if isinstance(obj, Trigger):
        disable = [trigger_state_sql(obj)] if obj.enabled == "D" else []
        return [module_sql(obj)] + disable
    if hasattr(obj, "definition"):  # views, functions, procedures
        return [module_sql(obj)]
    return obj.create_sql()


def create_ddl(obj: DbObject) -> str:
    """The object's creation script in T-SQL, for people to read (`Change.before_sql`
    and `after_sql`): one statement as is, several as batches with GO between them."""
    statements = definition_statements(obj)
    if len(statements) == 1:
        return _script_text(statements[0])
    return mssql_script(statements)


def is_module(sql: str) -> bool:
    """Whether `sql` creates or alters a view, procedure, function or trigger: T-SQL wants
    each alone in its batch, and keeps its text up to the end of the batch."""
    words = leading_words(sql, 4)
    if words[:1] == ["CREATE"] and words[1:3] == ["OR", "ALTER"]:
        words = words[2:]
    return len(words) > 1 and words[0] in ("CREATE", "ALTER") and words[1] in _MODULE_WORDS


def mssql_script(statements: Iterable[str]) -> str:
    """The statements as a script sqlcmd (and dbci's T-SQL splitter) runs: each in a batch
    of its own, followed by a `GO` line. A module's text gets no `;`, which SQL Server
    would keep as part of it."""
    return "".join(_script_text(s) + "GO\n" for s in statements)


def _script_text(sql: str) -> str:
    return (sql.rstrip() if is_module(sql) else terminated(sql)) + "\n"
