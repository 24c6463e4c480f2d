"""SQL Server snapshots and diffs without a server: catalog rows → model, model → T-SQL.

No SQL Server can run here, so the tests feed `snapshot_from_rows` with rows shaped as the
`sys.*` queries and SQLAlchemy's reflection return them, diff hand-made snapshots, assert
the exact T-SQL, and parse every statement and every catalog query with SQLFluff's `tsql`
dialect to show they are T-SQL in shape.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

import pytest
from sqlfluff.core import Linter

from dbci.engines.sqlserver import snapshot as mssql
from dbci.engines.sqlserver.ddl import drop_default_sql, is_module, quote_mssql
from dbci.engines.sqlserver.diff import create_ddl, mssql_script
from dbci.engines.sqlserver.snapshot import (
    SchemaRows,
    column_from_row,
    render_type,
    snapshot_from_rows,
)
from dbci.schema import snapshot_file
from dbci.schema.diff import Diff, diff
from dbci.schema.model import (
    Column,
    Constraint,
    DbObject,
    Function,
    Index,
    Procedure,
    Snapshot,
    Table,
    Trigger,
    View,
)
from dbci.sqlsplit import split_statements

_LINTER = Linter(dialect="tsql")

# SQLFluff 3.5's tsql grammar lacks ENABLE TRIGGER (DISABLE TRIGGER parses); both are T-SQL.
_SQLFLUFF_GAPS = (re.compile(r"^ENABLE TRIGGER "),)
# It also reads `check_constraints` after `sys.` as the CHECK keyword; bracketed it parses.
_SQLFLUFF_WORKAROUNDS = (("sys.check_constraints", "sys.[check_constraints]"),)


def assert_tsql(statements: Iterable[str]) -> None:
    """Every statement parses as T-SQL, with no unparsable part."""
    for sql in statements:
        if any(gap.match(sql) for gap in _SQLFLUFF_GAPS):
            continue
        for text, workaround in _SQLFLUFF_WORKAROUNDS:
            sql = sql.replace(text, workaround)
        parsed = _LINTER.parse_string(sql)
        assert parsed.tree is not None, sql
        bad = [s.raw for s in parsed.tree.recursive_crawl("unparsable")]
        assert not bad and not parsed.violations, (sql, bad, parsed.violations)


def snap(*objects: DbObject) -> Snapshot:
    out = Snapshot("mssql")
    for obj in objects:
        out.add(obj)
    return out


def tsql(a: Snapshot, b: Snapshot) -> list[str]:
    """The statements that make a into b, checked to be T-SQL."""
    statements = diff(a, b).statements
    assert_tsql(statements)
    return statements


def pk(table: str, *columns: str) -> Constraint:
    names = ", ".join(quote_mssql(c) for c in columns)
    return Constraint(
        name=f"PK_{table}",
        constraint_type="primary key",
        definition=f"PRIMARY KEY CLUSTERED ({names})",
    )


def fk(name: str, column: str, table: str) -> Constraint:
    return Constraint(
        name=name,
        constraint_type="foreign key",
        definition=f"FOREIGN KEY ([{column}]) REFERENCES [dbo].[{table}] ([id])",
        references=("dbo", table),
    )


ID = Column(name="id", data_type="int", nullable=False, identity="IDENTITY(1,1)")
CUSTOMER = Table(
    schema="dbo",
    name="customer",
    columns=(
        ID,
        Column(name="email", data_type="nvarchar(100)", nullable=False, default="(N'')"),
        Column(name="note", data_type="nvarchar(max)", collation="Latin1_General_CI_AS"),
    ),
    constraints=(pk("customer", "id"),),
)
ORDERS = Table(
    schema="dbo",
    name="orders",
    columns=(
        ID,
        Column(name="customer_id", data_type="int", nullable=False),
        Column(name="net", data_type="decimal(12,2)", nullable=False, default="((0))"),
        Column(name="gross", data_type="decimal(15,4)", generated="([net]*(1.2)) PERSISTED"),
    ),
    constraints=(
        pk("orders", "id"),
        fk("FK_orders_customer", "customer_id", "customer"),
        Constraint(name="CK_orders_net", constraint_type="check", definition="CHECK ([net]>=(0))"),
    ),
)
ORDERS_BY_CUSTOMER = Index(
    schema="dbo",
    name="IX_orders_customer",
    table="orders",
    definition="CREATE NONCLUSTERED INDEX [IX_orders_customer] ON [dbo].[orders] ([customer_id]) "
    "INCLUDE ([net])",
    method="nonclustered",
    columns=("customer_id",),
    include=("net",),
)
BIG_ORDERS = View(
    schema="dbo",
    name="big_orders",
    definition="CREATE VIEW dbo.big_orders AS SELECT id, net FROM dbo.orders WHERE net > 100",
    dependencies=(("table", "dbo", "orders"),),
)
TOP_ORDERS = View(
    schema="dbo",
    name="top_orders",
    definition="CREATE VIEW dbo.top_orders AS SELECT TOP 10 id FROM dbo.big_orders ORDER BY net",
    dependencies=(("view", "dbo", "big_orders"),),
)
TOTAL = Procedure(
    schema="dbo",
    name="order_total",
    arguments="@id int",
    language="tsql",
    definition="CREATE PROCEDURE dbo.order_total @id int\nAS\nBEGIN\n"
    "    SELECT net FROM dbo.orders WHERE id = @id;\nEND",
    dependencies=(("table", "dbo", "orders"),),
)
STAMP = Trigger(
    schema="dbo",
    name="orders_stamp",
    table="orders",
    definition="CREATE TRIGGER dbo.orders_stamp ON dbo.orders AFTER UPDATE AS\nBEGIN\n"
    "    SET NOCOUNT ON;\nEND",
)
ALL = (CUSTOMER, ORDERS, ORDERS_BY_CUSTOMER, BIG_ORDERS, TOP_ORDERS, TOTAL, STAMP)


# ---- catalog rows -> model ------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (("int", 0, "sys", 4, 10, 0), "int"),
        (("nvarchar", 0, "sys", 100, 0, 0), "nvarchar(50)"),
        (("nvarchar", 0, "sys", -1, 0, 0), "nvarchar(max)"),
        (("varbinary", 0, "sys", -1, 0, 0), "varbinary(max)"),
        (("char", 0, "sys", 3, 0, 0), "char(3)"),
        (("decimal", 0, "sys", 9, 12, 2), "decimal(12,2)"),
        (("datetime2", 0, "sys", 7, 23, 3), "datetime2(3)"),
        (("datetimeoffset", 0, "sys", 10, 34, 7), "datetimeoffset(7)"),
        (("float", 0, "sys", 8, 53, 0), "float"),
        (("real", 0, "sys", 4, 24, 0), "real"),
        (("geography", 0, "sys", -1, 0, 0), "geography"),
        (("Phone", 1, "app", 20, 0, 0), "[app].[Phone]"),
    ],
)
def test_types_are_written_as_sql_server_names_them(row: tuple, expected: str) -> None:
    assert render_type(*row) == expected


def test_a_column_row_keeps_identity_default_computed_collation_and_comment() -> None:
    base = ("t", "c", "int", 0, "sys", 4, 10, 0)
    _, plain = column_from_row((*base, 0, None, "((1))", None, None, None, None, "the c"))
    assert plain == Column(
        name="c", data_type="int", nullable=False, default="((1))", comment="the c"
    )
    _, identity = column_from_row((*base, 0, None, None, "100", "5", None, None, None))
    assert identity.identity == "IDENTITY(100,5)"
    _, computed = column_from_row((*base, 1, None, None, None, None, "([a]+[b])", 1, None))
    assert computed.generated == "([a]+[b]) PERSISTED"
    _, virtual = column_from_row((*base, 1, None, None, None, None, "([a]+[b])", 0, None))
    assert virtual.generated == "([a]+[b])"
    text = ("t", "n", "nvarchar", 0, "sys", 20, 0, 0, 1, "Latin1_General_CI_AS")
    _, collated = column_from_row((*text, None, None, None, None, None, None))
    assert (collated.data_type, collated.collation) == ("nvarchar(10)", "Latin1_General_CI_AS")


def _rows() -> list[SchemaRows]:
    """A schema `app` as the catalog queries and SQLAlchemy's reflection return it, and the
    history table in `dbo` (excluded, so absent from the table names)."""
    int_ = ("int", 0, "sys", 4, 10, 0)
    app = SchemaRows(
        schema="app",
        tables=["customer", "orders"],
        foreign_keys={
            ("app", "orders"): [
                {
                    "name": "FK_orders_customer",
                    "constrained_columns": ["customer_id"],
                    "referred_schema": "app",
                    "referred_table": "customer",
                    "referred_columns": ["id"],
                    "options": {"ondelete": "CASCADE"},
                }
            ],
            ("app", "customer"): [],
        },
        table_comments={
            ("app", "customer"): {"text": "people who buy"},
            ("app", "orders"): {"text": None},
        },
        columns=[
            ("customer", "id", *int_, 0, None, None, "1", "1", None, None, None),
            (
                "customer",
                "email",
                "nvarchar",
                0,
                "sys",
                200,
                0,
                0,
                0,
                "Latin1_General_CI_AS",
                None,
                None,
                None,
                None,
                None,
                "where to write",
            ),
            ("orders", "id", *int_, 0, None, None, "1", "1", None, None, None),
            ("orders", "customer_id", *int_, 0, None, None, None, None, None, None, None),
            (
                "orders",
                "net",
                "decimal",
                0,
                "sys",
                9,
                12,
                2,
                0,
                None,
                "((0))",
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "orders",
                "gross",
                "decimal",
                0,
                "sys",
                9,
                15,
                4,
                1,
                None,
                None,
                None,
                None,
                "([net]*(1.2))",
                1,
                None,
            ),
            (
                "orders",
                "placed",
                "datetime2",
                0,
                "sys",
                7,
                23,
                3,
                0,
                None,
                "(sysutcdatetime())",
                None,
                None,
                None,
                None,
                None,
            ),
        ],
        keys=[
            ("customer", "PK_customer", "PK", "CLUSTERED", "id", 0),
            ("customer", "UQ_customer_email", "UQ", "NONCLUSTERED", "email", 0),
            ("orders", "PK_orders", "PK", "CLUSTERED", "id", 0),
            ("orders", "UQ_orders_pair", "UQ", "NONCLUSTERED", "customer_id", 0),
            ("orders", "UQ_orders_pair", "UQ", "NONCLUSTERED", "placed", 1),
        ],
        checks=[("orders", "CK_orders_net", "([net]>=(0))")],
        indexes=[
            ("orders", "CCI_orders", "NONCLUSTERED COLUMNSTORE", 0, None, "net", 0, 1),
            ("orders", "CCI_orders", "NONCLUSTERED COLUMNSTORE", 0, None, "placed", 0, 1),
            ("orders", "IX_orders_placed", "NONCLUSTERED", 0, "([net]>(0))", "placed", 1, 0),
            ("orders", "IX_orders_placed", "NONCLUSTERED", 0, "([net]>(0))", "customer_id", 0, 0),
            ("orders", "IX_orders_placed", "NONCLUSTERED", 0, "([net]>(0))", "net", 0, 1),
            (
                "flyway_schema_history",
                "flyway_schema_history_s_idx",
                "NONCLUSTERED",
                0,
                None,
                "success",
                0,
                0,
            ),
        ],
        modules=[
            (
                "FN",
                "net_of",
                "CREATE FUNCTION app.net_of(@gross decimal(15,4)) RETURNS decimal(12,2)\n"
                "AS BEGIN RETURN @gross / 1.2 END",
                None,
                None,
            ),
            (
                "IF",
                "orders_of",
                "CREATE FUNCTION app.orders_of(@customer int) RETURNS TABLE AS RETURN "
                "SELECT id FROM app.orders WHERE customer_id = @customer",
                None,
                None,
            ),
            (
                "P ",
                "place",
                "CREATE PROCEDURE app.place @customer int, @id int OUTPUT AS SET @id = 1",
                None,
                None,
            ),
            (
                "TR",
                "orders_audit",
                "CREATE TRIGGER app.orders_audit ON app.orders AFTER INSERT AS SET NOCOUNT ON",
                "orders",
                1,
            ),
            (
                "TR",
                "history_guard",
                "CREATE TRIGGER app.history_guard ON app.flyway_schema_history "
                "AFTER DELETE AS ROLLBACK",
                "flyway_schema_history",
                0,
            ),
            (
                "TR",
                "big_insert",
                "CREATE TRIGGER app.big_insert ON app.big INSTEAD OF INSERT AS SET NOCOUNT ON",
                "big",
                0,
            ),
            ("V ", "big", "CREATE VIEW app.big AS SELECT * FROM app.orders_of(1)", None, None),
        ],
        parameters=[
            ("net_of", 0, "", "decimal", 0, "sys", 9, 12, 2, 0, 0),
            ("net_of", 1, "@gross", "decimal", 0, "sys", 9, 15, 4, 0, 0),
            ("orders_of", 1, "@customer", "int", 0, "sys", 4, 10, 0, 0, 0),
            ("place", 1, "@customer", "int", 0, "sys", 4, 10, 0, 0, 0),
            ("place", 2, "@id", "int", 0, "sys", 4, 10, 0, 1, 0),
        ],
        dependencies=[
            ("big", "V ", "app", "orders_of"),
            ("orders", "U", "app", "net_of"),
            ("orders", "U", "app", "orders"),  # a computed column reads its own table
            ("orders_of", "IF", "app", "orders"),
            ("place", "P ", "dbo", "audit_log"),  # outside the snapshot
        ],
    )
    return [app]


def test_catalog_rows_make_the_snapshot() -> None:
    snapshot = snapshot_from_rows("mssql", _rows())
    keys = sorted(snapshot.objects)
    assert keys == [
        ("function", "app", "net_of(@gross decimal(15,4))"),
        ("function", "app", "orders_of(@customer int)"),
        ("index", "app", "CCI_orders"),
        ("index", "app", "IX_orders_placed"),
        ("procedure", "app", "place(@customer int, @id int OUTPUT)"),
        ("table", "app", "customer"),
        ("table", "app", "orders"),
        ("trigger", "app", "big.big_insert"),
        ("trigger", "app", "orders.orders_audit"),
        ("view", "app", "big"),
    ]
    customer = snapshot.objects[("table", "app", "customer")]
    assert isinstance(customer, Table)
    assert customer.comment == "people who buy"
    assert customer.columns[1] == Column(
        name="email",
        data_type="nvarchar(100)",
        nullable=False,
        collation="Latin1_General_CI_AS",
        comment="where to write",
    )
    orders = snapshot.objects[("table", "app", "orders")]
    assert isinstance(orders, Table)
    assert [c.data_type for c in orders.columns] == [
        "int",
        "int",
        "decimal(12,2)",
        "decimal(15,4)",
        "datetime2(3)",
    ]
    assert [(c.name, c.constraint_type, c.definition) for c in orders.constraints] == [
        ("CK_orders_net", "check", "CHECK ([net]>=(0))"),
        (
            "FK_orders_customer",
            "foreign key",
            "FOREIGN KEY ([customer_id]) REFERENCES [app].[customer] ([id]) ON DELETE CASCADE",
        ),
        ("PK_orders", "primary key", "PRIMARY KEY CLUSTERED ([id])"),
        ("UQ_orders_pair", "unique", "UNIQUE NONCLUSTERED ([customer_id], [placed] DESC)"),
    ]
    assert orders.constraints[1].references == ("app", "customer")
    assert orders.dependencies == (("function", "app", "net_of(@gross decimal(15,4))"),)
    placed = snapshot.objects[("index", "app", "IX_orders_placed")]
    assert isinstance(placed, Index)
    assert placed.definition == (
        "CREATE NONCLUSTERED INDEX [IX_orders_placed] ON [app].[orders] "
        "([placed] DESC, [customer_id]) INCLUDE ([net]) WHERE ([net]>(0))"
    )
    assert (placed.columns, placed.include, placed.predicate) == (
        ("placed", "customer_id"),
        ("net",),
        "([net]>(0))",
    )
    columnstore = snapshot.objects[("index", "app", "CCI_orders")]
    assert isinstance(columnstore, Index)
    assert columnstore.definition == (
        "CREATE NONCLUSTERED COLUMNSTORE INDEX [CCI_orders] ON [app].[orders] ([net], [placed])"
    )
    net_of = snapshot.objects[("function", "app", "net_of(@gross decimal(15,4))")]
    assert isinstance(net_of, Function)
    assert (net_of.result, net_of.language) == ("decimal(12,2)", "tsql")
    orders_of = snapshot.objects[("function", "app", "orders_of(@customer int)")]
    assert isinstance(orders_of, Function)
    assert orders_of.result == "inline table"
    assert orders_of.dependencies == (("table", "app", "orders"),)
    big = snapshot.objects[("view", "app", "big")]
    assert isinstance(big, View)
    assert big.dependencies == (("function", "app", "orders_of(@customer int)"),)
    assert big.definition.startswith("CREATE VIEW app.big AS")
    place = snapshot.objects[("procedure", "app", "place(@customer int, @id int OUTPUT)")]
    assert isinstance(place, Procedure) and place.dependencies == ()
    audit = snapshot.objects[("trigger", "app", "orders.orders_audit")]
    assert isinstance(audit, Trigger) and (audit.table, audit.enabled) == ("orders", "D")


def test_a_snapshot_from_rows_diffs_to_nothing_against_itself_and_creates_in_order() -> None:
    snapshot = snapshot_from_rows("mssql", _rows())
    assert diff(snapshot, snapshot).statements == []
    statements = tsql(Snapshot("mssql"), snapshot)
    order = [s.split("(")[0].split(" AS")[0].strip() for s in statements]
    assert order == [
        "CREATE TABLE [app].[customer]",
        "EXEC sys.sp_addextendedproperty @name = N'MS_Description', @value = N'people who buy', "
        "@level0type = N'SCHEMA', @level0name = N'app', @level1type = N'TABLE', "
        "@level1name = N'customer'",
        "EXEC sys.sp_addextendedproperty @name = N'MS_Description', @value = N'where to write', "
        "@level0type = N'SCHEMA', @level0name = N'app', @level1type = N'TABLE', "
        "@level1name = N'customer', @level2type = N'COLUMN', @level2name = N'email'",
        "CREATE FUNCTION app.net_of",  # the orders table's computed column calls it
        "CREATE TABLE [app].[orders]",
        "CREATE FUNCTION app.orders_of",
        "CREATE PROCEDURE app.place @customer int, @id int OUTPUT",
        "CREATE VIEW app.big",
        "CREATE NONCLUSTERED COLUMNSTORE INDEX [CCI_orders] ON [app].[orders]",
        "CREATE NONCLUSTERED INDEX [IX_orders_placed] ON [app].[orders]",
        "ALTER TABLE [app].[orders] ADD CONSTRAINT [FK_orders_customer] FOREIGN KEY",
        "CREATE TRIGGER app.big_insert ON app.big INSTEAD OF INSERT",
        "CREATE TRIGGER app.orders_audit ON app.orders AFTER INSERT",
        "DISABLE TRIGGER [app].[orders_audit] ON [app].[orders]",
    ]


def test_a_clustered_columnstore_index_names_no_columns() -> None:
    rows = SchemaRows(
        schema="dw",
        tables=["facts"],
        indexes=[("facts", "CCI_facts", "CLUSTERED COLUMNSTORE", 0, None, None, None, None)],
    )
    index = snapshot_from_rows("mssql", [rows]).objects[("index", "dw", "CCI_facts")]
    assert isinstance(index, Index)
    assert index.definition == "CREATE CLUSTERED COLUMNSTORE INDEX [CCI_facts] ON [dw].[facts]"
    assert_tsql([index.definition])


def test_catalog_queries_are_t_sql() -> None:
    queries = [
        mssql.COLUMNS_SQL,
        mssql.KEYS_SQL,
        mssql.CHECKS_SQL,
        mssql.INDEXES_SQL,
        mssql.MODULES_SQL,
        mssql.PARAMETERS_SQL,
        mssql.DEPENDENCIES_SQL,
    ]
    # `:schema` is dbci's parameter (the engine sends it as `?`); T-SQL's is `@schema`.
    assert all(q.count(":schema") == 1 for q in queries)
    assert_tsql(q.replace(":schema", "@schema") for q in queries)


# ---- tables ---------------------------------------------------------------------------


def test_new_tables_come_before_their_foreign_keys_and_views() -> None:
    statements = tsql(snap(), snap(*ALL))
    assert mssql_script(statements) == (
        "CREATE TABLE [dbo].[customer] (\n"
        "    [id] int IDENTITY(1,1) NOT NULL,\n"
        "    [email] nvarchar(100) NOT NULL CONSTRAINT [DF_customer_email] DEFAULT (N''),\n"
        "    [note] nvarchar(max) COLLATE Latin1_General_CI_AS NULL,\n"
        "    CONSTRAINT [PK_customer] PRIMARY KEY CLUSTERED ([id])\n"
        ");\nGO\n"
        "CREATE TABLE [dbo].[orders] (\n"
        "    [id] int IDENTITY(1,1) NOT NULL,\n"
        "    [customer_id] int NOT NULL,\n"
        "    [net] decimal(12,2) NOT NULL CONSTRAINT [DF_orders_net] DEFAULT ((0)),\n"
        "    [gross] AS ([net]*(1.2)) PERSISTED,\n"
        "    CONSTRAINT [PK_orders] PRIMARY KEY CLUSTERED ([id]),\n"
        "    CONSTRAINT [CK_orders_net] CHECK ([net]>=(0))\n"
        ");\nGO\n"
        f"{TOTAL.definition}\nGO\n"
        f"{BIG_ORDERS.definition}\nGO\n"
        f"{TOP_ORDERS.definition}\nGO\n"
        f"{ORDERS_BY_CUSTOMER.definition};\nGO\n"
        "ALTER TABLE [dbo].[orders] ADD CONSTRAINT [FK_orders_customer] "
        "FOREIGN KEY ([customer_id]) REFERENCES [dbo].[customer] ([id]);\nGO\n"
        f"{STAMP.definition}\nGO\n"
    )


def test_dropped_tables_lose_their_foreign_keys_first_and_go_last() -> None:
    assert tsql(snap(*ALL), snap()) == [
        "DROP VIEW [dbo].[top_orders]",
        "DROP VIEW [dbo].[big_orders]",
        "ALTER TABLE [dbo].[orders] DROP CONSTRAINT [FK_orders_customer]",
        "DROP TABLE [dbo].[orders]",
        "DROP TABLE [dbo].[customer]",
        "DROP PROCEDURE [dbo].[order_total]",
    ]


def test_columns_are_added_dropped_and_altered() -> None:
    after = dataclasses.replace(
        CUSTOMER,
        columns=(
            ID,
            Column(name="email", data_type="nvarchar(200)", nullable=False, default="(N'')"),
            Column(name="vip", data_type="bit", nullable=False, default="((0))"),
        ),
    )
    assert tsql(snap(CUSTOMER), snap(after)) == [
        drop_default_sql(CUSTOMER, "email"),
        "ALTER TABLE [dbo].[customer] DROP COLUMN [note]",
        "ALTER TABLE [dbo].[customer] ALTER COLUMN [email] nvarchar(200) NOT NULL",
        "ALTER TABLE [dbo].[customer] ADD CONSTRAINT [DF_customer_email] DEFAULT (N'') FOR [email]",
        "ALTER TABLE [dbo].[customer] ADD [vip] bit NOT NULL "
        "CONSTRAINT [DF_customer_vip] DEFAULT ((0))",
    ]
    assert drop_default_sql(CUSTOMER, "email") == (
        "DECLARE @dbci_default_317fffe2 nvarchar(max) = (SELECT "
        "N'ALTER TABLE [dbo].[customer] DROP CONSTRAINT ' + QUOTENAME(d.name)\n"
        "    FROM sys.default_constraints AS d\n"
        "    JOIN sys.columns AS c\n"
        "        ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id\n"
        "    WHERE d.parent_object_id = OBJECT_ID(N'[dbo].[customer]') AND c.name = N'email')\n"
        "EXEC (@dbci_default_317fffe2)"
    )


def test_nullability_and_default_changes() -> None:
    before = snap(CUSTOMER)
    email = Column(name="email", data_type="nvarchar(100)", nullable=True, default="(N'?')")
    note = Column(
        name="note", data_type="nvarchar(max)", collation="Latin1_General_CI_AS", nullable=False
    )
    after = snap(dataclasses.replace(CUSTOMER, columns=(ID, email, note)))
    assert tsql(before, after) == [
        drop_default_sql(CUSTOMER, "email"),
        "ALTER TABLE [dbo].[customer] ALTER COLUMN [email] nvarchar(100) NULL",
        "ALTER TABLE [dbo].[customer] ADD CONSTRAINT [DF_customer_email] "
        "DEFAULT (N'?') FOR [email]",
        "ALTER TABLE [dbo].[customer] ALTER COLUMN [note] nvarchar(max) "
        "COLLATE Latin1_General_CI_AS NOT NULL",
    ]


def test_a_column_that_changes_identity_is_dropped_and_added() -> None:
    plain = dataclasses.replace(
        CUSTOMER,
        columns=(Column(name="id", data_type="int", nullable=False),) + CUSTOMER.columns[1:],
    )
    assert tsql(snap(CUSTOMER), snap(plain)) == [
        "ALTER TABLE [dbo].[customer] DROP CONSTRAINT [PK_customer]",
        "ALTER TABLE [dbo].[customer] DROP COLUMN [id]",
        "ALTER TABLE [dbo].[customer] ADD [id] int NOT NULL",
        "ALTER TABLE [dbo].[customer] ADD CONSTRAINT [PK_customer] PRIMARY KEY CLUSTERED ([id])",
    ]


def test_retyping_a_key_takes_its_index_constraints_and_foreign_keys_off_and_back() -> None:
    big_id = Column(name="id", data_type="bigint", nullable=False, identity="IDENTITY(1,1)")
    customer = dataclasses.replace(CUSTOMER, columns=(big_id,) + CUSTOMER.columns[1:])
    orders = dataclasses.replace(
        ORDERS,
        columns=(ID, Column(name="customer_id", data_type="bigint", nullable=False))
        + ORDERS.columns[2:],
    )
    statements = tsql(snap(*ALL), snap(customer, orders, *ALL[2:]))
    # Views and procedures reading the tables bind when they run: they stay as they are.
    assert statements == [
        "ALTER TABLE [dbo].[orders] DROP CONSTRAINT [FK_orders_customer]",
        "ALTER TABLE [dbo].[customer] DROP CONSTRAINT [PK_customer]",
        "DROP INDEX [IX_orders_customer] ON [dbo].[orders]",
        "ALTER TABLE [dbo].[customer] ALTER COLUMN [id] bigint NOT NULL",
        "ALTER TABLE [dbo].[customer] ADD CONSTRAINT [PK_customer] PRIMARY KEY CLUSTERED ([id])",
        "ALTER TABLE [dbo].[orders] ALTER COLUMN [customer_id] bigint NOT NULL",
        ORDERS_BY_CUSTOMER.definition,
        "ALTER TABLE [dbo].[orders] ADD CONSTRAINT [FK_orders_customer] "
        "FOREIGN KEY ([customer_id]) REFERENCES [dbo].[customer] ([id])",
    ]


def test_schema_bound_views_go_around_a_column_change_with_the_views_that_read_them() -> None:
    bound = dataclasses.replace(
        BIG_ORDERS,
        definition="CREATE VIEW dbo.big_orders\nWITH SCHEMABINDING\n"
        "AS SELECT id, net FROM dbo.orders",
    )
    wider = dataclasses.replace(
        ORDERS,
        columns=(
            *ORDERS.columns[:2],
            dataclasses.replace(ORDERS.columns[2], data_type="decimal(14,2)"),
            ORDERS.columns[3],
        ),
    )
    before = snap(CUSTOMER, ORDERS, bound, TOP_ORDERS, TOTAL)
    assert tsql(before, snap(CUSTOMER, wider, bound, TOP_ORDERS, TOTAL)) == [
        "DROP VIEW [dbo].[top_orders]",
        "DROP VIEW [dbo].[big_orders]",
        "ALTER TABLE [dbo].[orders] DROP CONSTRAINT [CK_orders_net]",  # it reads [net]
        drop_default_sql(ORDERS, "net"),
        # the computed column reads [net]: it goes, and comes back once [net] is altered
        "ALTER TABLE [dbo].[orders] DROP COLUMN [gross]",
        "ALTER TABLE [dbo].[orders] ALTER COLUMN [net] decimal(14,2) NOT NULL",
        "ALTER TABLE [dbo].[orders] ADD CONSTRAINT [DF_orders_net] DEFAULT ((0)) FOR [net]",
        "ALTER TABLE [dbo].[orders] ADD [gross] AS ([net]*(1.2)) PERSISTED",
        "ALTER TABLE [dbo].[orders] ADD CONSTRAINT [CK_orders_net] CHECK ([net]>=(0))",
        bound.definition,
        TOP_ORDERS.definition,
    ]


def test_table_and_column_comments_are_extended_properties() -> None:
    commented = dataclasses.replace(
        CUSTOMER,
        comment="people",
        columns=(dataclasses.replace(ID, comment="the key"),) + CUSTOMER.columns[1:],
    )
    recommented = dataclasses.replace(commented, comment="buyers", columns=CUSTOMER.columns)
    target = (
        "@level0type = N'SCHEMA', @level0name = N'dbo', "
        "@level1type = N'TABLE', @level1name = N'customer'"
    )
    name = "@name = N'MS_Description'"
    assert tsql(snap(CUSTOMER), snap(commented)) == [
        f"EXEC sys.sp_addextendedproperty {name}, @value = N'people', {target}",
        f"EXEC sys.sp_addextendedproperty {name}, @value = N'the key', {target}, "
        "@level2type = N'COLUMN', @level2name = N'id'",
    ]
    assert tsql(snap(commented), snap(recommented)) == [
        f"EXEC sys.sp_updateextendedproperty {name}, @value = N'buyers', {target}",
        f"EXEC sys.sp_dropextendedproperty {name}, {target}, "
        "@level2type = N'COLUMN', @level2name = N'id'",
    ]


# ---- indexes and foreign keys -------------------------------------------------------------


def test_indexes_are_added_dropped_and_recreated() -> None:
    unique = dataclasses.replace(
        ORDERS_BY_CUSTOMER,
        definition="CREATE UNIQUE NONCLUSTERED INDEX [IX_orders_customer] ON [dbo].[orders] "
        "([customer_id] DESC) WHERE ([net]>(0))",
        unique=True,
    )
    assert tsql(snap(CUSTOMER, ORDERS), snap(CUSTOMER, ORDERS, ORDERS_BY_CUSTOMER)) == [
        ORDERS_BY_CUSTOMER.definition
    ]
    assert tsql(snap(CUSTOMER, ORDERS, ORDERS_BY_CUSTOMER), snap(CUSTOMER, ORDERS)) == [
        "DROP INDEX [IX_orders_customer] ON [dbo].[orders]"
    ]
    assert tsql(snap(CUSTOMER, ORDERS, ORDERS_BY_CUSTOMER), snap(CUSTOMER, ORDERS, unique)) == [
        "DROP INDEX [IX_orders_customer] ON [dbo].[orders]",
        unique.definition,
    ]


def test_foreign_keys_are_added_and_dropped() -> None:
    loose = dataclasses.replace(ORDERS, constraints=(ORDERS.constraints[0], ORDERS.constraints[2]))
    assert tsql(snap(CUSTOMER, loose), snap(CUSTOMER, ORDERS)) == [
        "ALTER TABLE [dbo].[orders] ADD CONSTRAINT [FK_orders_customer] "
        "FOREIGN KEY ([customer_id]) REFERENCES [dbo].[customer] ([id])"
    ]
    cascading = dataclasses.replace(
        ORDERS,
        constraints=(
            ORDERS.constraints[0],
            dataclasses.replace(
                ORDERS.constraints[1],
                definition=ORDERS.constraints[1].definition + " ON DELETE CASCADE",
            ),
            ORDERS.constraints[2],
        ),
    )
    assert tsql(snap(CUSTOMER, ORDERS), snap(CUSTOMER, cascading)) == [
        "ALTER TABLE [dbo].[orders] DROP CONSTRAINT [FK_orders_customer]",
        "ALTER TABLE [dbo].[orders] ADD CONSTRAINT [FK_orders_customer] "
        "FOREIGN KEY ([customer_id]) REFERENCES [dbo].[customer] ([id]) ON DELETE CASCADE",
    ]
    assert tsql(snap(CUSTOMER, ORDERS), snap(CUSTOMER, loose)) == [
        "ALTER TABLE [dbo].[orders] DROP CONSTRAINT [FK_orders_customer]"
    ]


# ---- views, routines, triggers ------------------------------------------------------------


def test_a_changed_view_is_dropped_and_created_with_the_views_that_read_it() -> None:
    changed = dataclasses.replace(
        BIG_ORDERS, definition=BIG_ORDERS.definition.replace("100", "500")
    )
    assert tsql(snap(*ALL), snap(*ALL[:3], changed, *ALL[4:])) == [
        "DROP VIEW [dbo].[top_orders]",
        "DROP VIEW [dbo].[big_orders]",
        changed.definition,
        TOP_ORDERS.definition,
    ]


def test_a_changed_procedure_is_dropped_and_created() -> None:
    changed = dataclasses.replace(TOTAL, definition=TOTAL.definition.replace("net", "net * 2"))
    assert tsql(snap(*ALL), snap(*ALL[:5], changed, STAMP)) == [
        "DROP PROCEDURE [dbo].[order_total]",
        changed.definition,
    ]


def test_a_routine_whose_parameters_change_goes_before_its_successor_comes() -> None:
    renamed = dataclasses.replace(
        TOTAL,
        arguments="@order int",
        definition=TOTAL.definition.replace("@id", "@order"),
    )
    assert tsql(snap(*ALL), snap(*ALL[:5], renamed, STAMP)) == [
        "DROP PROCEDURE [dbo].[order_total]",
        renamed.definition,
    ]


def test_a_changed_function_takes_the_views_that_read_it_along() -> None:
    net = Function(
        schema="dbo",
        name="net",
        arguments="@x decimal(12,2)",
        result="decimal(12,2)",
        language="tsql",
        definition="CREATE FUNCTION dbo.net(@x decimal(12,2)) RETURNS decimal(12,2) "
        "AS BEGIN RETURN @x END",
    )
    reader = View(
        schema="dbo",
        name="nets",
        definition="CREATE VIEW dbo.nets WITH SCHEMABINDING AS "
        "SELECT dbo.net(net) AS n FROM dbo.orders",
        dependencies=(net.key, ORDERS.key),
    )
    changed = dataclasses.replace(net, definition=net.definition.replace("@x END", "@x * 2 END"))
    assert tsql(snap(CUSTOMER, ORDERS, net, reader), snap(CUSTOMER, ORDERS, changed, reader)) == [
        "DROP VIEW [dbo].[nets]",
        "DROP FUNCTION [dbo].[net]",
        changed.definition,
        reader.definition,
    ]


def test_a_changed_function_takes_the_table_parts_that_call_it_off_and_back() -> None:
    positive = Function(
        schema="dbo",
        name="positive",
        arguments="@x decimal(12,2)",
        result="bit",
        language="tsql",
        definition="CREATE FUNCTION dbo.positive(@x decimal(12,2)) RETURNS bit "
        "AS BEGIN RETURN IIF(@x > 0, 1, 0) END",
    )
    # As SQL Server writes them: calls schema-qualified, names in brackets.
    priced = Table(
        schema="dbo",
        name="priced",
        columns=(
            Column(
                name="price",
                data_type="decimal(12,2)",
                nullable=False,
                default="([dbo].[positive]((1)))",
            ),
            Column(name="ok", data_type="bit", generated="([dbo].[positive]([price]))"),
            Column(name="note", data_type="nvarchar(10)"),
        ),
        constraints=(
            Constraint(
                name="CK_priced_note", constraint_type="check", definition="CHECK (len([note])>(0))"
            ),
            Constraint(
                name="CK_priced_price",
                constraint_type="check",
                definition="CHECK ([dbo].[positive]([price])=(1))",
            ),
        ),
        dependencies=(positive.key,),
    )
    by_ok = Index(
        schema="dbo",
        name="IX_priced_ok",
        table="priced",
        definition="CREATE NONCLUSTERED INDEX [IX_priced_ok] ON [dbo].[priced] ([ok])",
        columns=("ok",),
    )
    changed = dataclasses.replace(positive, definition=positive.definition.replace(">", ">="))
    assert tsql(snap(priced, positive, by_ok), snap(priced, changed, by_ok)) == [
        "ALTER TABLE [dbo].[priced] DROP CONSTRAINT [CK_priced_price]",
        drop_default_sql(priced, "price"),
        "DROP INDEX [IX_priced_ok] ON [dbo].[priced]",  # on the computed column
        "ALTER TABLE [dbo].[priced] DROP COLUMN [ok]",
        "DROP FUNCTION [dbo].[positive]",
        changed.definition,
        "ALTER TABLE [dbo].[priced] ADD CONSTRAINT [DF_priced_price] "
        "DEFAULT ([dbo].[positive]((1))) FOR [price]",
        "ALTER TABLE [dbo].[priced] ADD [ok] AS ([dbo].[positive]([price]))",
        "ALTER TABLE [dbo].[priced] ADD CONSTRAINT [CK_priced_price] "
        "CHECK ([dbo].[positive]([price])=(1))",
        by_ok.definition,
    ]


def test_a_changed_trigger_is_dropped_and_created_and_its_state_is_toggled() -> None:
    changed = dataclasses.replace(
        STAMP, definition=STAMP.definition.replace("AFTER UPDATE", "AFTER INSERT, UPDATE")
    )
    assert tsql(snap(*ALL), snap(*ALL[:6], changed)) == [
        "DROP TRIGGER [dbo].[orders_stamp]",
        changed.definition,
    ]
    disabled = dataclasses.replace(STAMP, enabled="D")
    assert tsql(snap(*ALL), snap(*ALL[:6], disabled)) == [
        "DISABLE TRIGGER [dbo].[orders_stamp] ON [dbo].[orders]"
    ]
    assert tsql(snap(*ALL[:6], disabled), snap(*ALL)) == [
        "ENABLE TRIGGER [dbo].[orders_stamp] ON [dbo].[orders]"
    ]


# ---- scripts and DDL for people -------------------------------------------------------------


def test_the_script_puts_every_statement_in_a_batch_of_its_own() -> None:
    script = mssql_script(
        ["DROP VIEW [dbo].[v]", "CREATE VIEW dbo.v AS SELECT 1 AS one -- note\n\n"]
    )
    assert script == "DROP VIEW [dbo].[v];\nGO\nCREATE VIEW dbo.v AS SELECT 1 AS one -- note\nGO\n"
    assert is_module("/* header */\n-- more\ncreate or alter procedure dbo.p as select 1")
    assert not is_module("CREATE TABLE [dbo].[view] ([a] int)")
    assert quote_mssql("a]b") == "[a]]b]"


def test_dbci_s_t_sql_splitter_gives_the_script_s_statements_back_one_batch_each() -> None:
    statements = tsql(snap(CUSTOMER), snap(*ALL)) + tsql(snap(*ALL), snap(CUSTOMER))
    batches = split_statements(mssql_script(statements), "mssql")
    assert [b.sql.removesuffix(";") for b in batches] == [s.rstrip() for s in statements]


def test_a_snapshot_from_rows_survives_its_json_form() -> None:
    snapshot = snapshot_from_rows("mssql", _rows())
    assert snapshot_file.loads(snapshot_file.dumps(snapshot), "test").objects == snapshot.objects


def test_create_ddl_writes_each_kind_in_t_sql() -> None:
    assert create_ddl(ORDERS_BY_CUSTOMER) == ORDERS_BY_CUSTOMER.definition + ";\n"
    assert create_ddl(BIG_ORDERS) == BIG_ORDERS.definition + "\n"
    assert create_ddl(dataclasses.replace(STAMP, enabled="D")) == (
        f"{STAMP.definition}\nGO\nDISABLE TRIGGER [dbo].[orders_stamp] ON [dbo].[orders];\nGO\n"
    )
    table = create_ddl(ORDERS)
    assert table.startswith("CREATE TABLE [dbo].[orders] (\n") and table.endswith(");\n")
    assert "CONSTRAINT [FK_orders_customer] FOREIGN KEY ([customer_id])" in table
    changes = diff(snap(), snap(dataclasses.replace(CUSTOMER, comment="people"))).changes
    assert changes[0].after_sql == (create_ddl(dataclasses.replace(CUSTOMER, comment="people")))
    assert changes[0].after_sql is not None and changes[0].after_sql.count("\nGO\n") == 2


def test_the_diff_reports_changes_and_destructive_ones() -> None:
    result: Diff = diff(snap(*ALL), snap(CUSTOMER))
    assert [(c.change, c.type, c.name) for c in result.changes] == [
        ("Drop", "table", "orders"),
        ("Drop", "procedure", "order_total(@id int)"),
        ("Drop", "view", "big_orders"),
        ("Drop", "view", "top_orders"),
        ("Drop", "index", "IX_orders_customer"),
        ("Drop", "trigger", "orders.orders_stamp"),
    ]
    assert result.destructive
