"""`dbci.data.catalog` (the tables a data refresh copies, read from the catalog) on real
PostgreSQL and MariaDB, and `dbci.data.order` (the order they are copied in).

The expected values come from the database itself by another road than the reader's
(information_schema, `pg_get_constraintdef`, SHOW COLUMNS, SHOW CREATE TABLE) or are
written by hand from the schema below; never from the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.databases import connected, count_queries, run_script
from support.mysql import MySQLServer

from dbci.data.catalog import read_catalog
from dbci.data.model import Catalog, Column, ForeignKey, Name, Table
from dbci.data.order import children, copy_order, parents
from dbci.engines.base import Database

# ---- PostgreSQL -----------------------------------------------------------------------------

REP = 'Rep "Q" Schema'  # a second schema: mixed case, a space and a quote
PG_SCHEMAS = ["app", REP]

PG_SETUP = '''
CREATE SCHEMA app;
CREATE SCHEMA "Rep ""Q"" Schema";
CREATE SCHEMA elsewhere;
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN app.short_code AS varchar(8);
CREATE DOMAIN app.code AS app.short_code;
CREATE TYPE app.mood AS ENUM ('happy', 'sad');

CREATE TABLE app.department (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name varchar(40) NOT NULL,
    head_id bigint,
    code app.code,
    CONSTRAINT department_name_key UNIQUE (name)
);
CREATE TABLE app.employee (
    id bigserial PRIMARY KEY,
    department_id integer NOT NULL
        CONSTRAINT employee_department_fk REFERENCES app.department (id),
    manager_id bigint CONSTRAINT employee_manager_fk REFERENCES app.employee (id),
    email app.email NOT NULL,
    badge char(6),
    mood app.mood,
    tags text[],
    address inet,
    period daterange,
    salary numeric(10, 2),
    ratio double precision,
    active boolean,
    hired date,
    seen timestamptz,
    starts time,
    token uuid,
    profile jsonb,
    photo bytea,
    grade smallint,
    dropped integer,
    shout text GENERATED ALWAYS AS (upper(email)) STORED
);
ALTER TABLE app.employee DROP COLUMN dropped;
ALTER TABLE app.department ADD CONSTRAINT department_head_fk FOREIGN KEY (head_id)
    REFERENCES app.employee (id) DEFERRABLE INITIALLY DEFERRED;
CREATE UNIQUE INDEX employee_email_key ON app.employee (email);
CREATE UNIQUE INDEX employee_badge_active ON app.employee (badge) WHERE active;
CREATE UNIQUE INDEX employee_lower_email ON app.employee (lower(email));
CREATE UNIQUE INDEX employee_token_incl ON app.employee (token) INCLUDE (grade);

CREATE TABLE app.shipment (
    region text,
    number integer,
    shipped date,
    PRIMARY KEY (region, number)
);
CREATE TABLE app."Order ""Line""" (
    "Line ID" serial PRIMARY KEY,
    "Ship Number" integer NOT NULL,
    "Ship Region" text NOT NULL,
    CONSTRAINT "Line to Shipment" FOREIGN KEY ("Ship Number", "Ship Region")
        REFERENCES app.shipment (number, region)
);

CREATE TABLE app.event (
    id bigint,
    at date NOT NULL,
    employee_id bigint CONSTRAINT event_employee_fk REFERENCES app.employee (id),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE app.event_2024 PARTITION OF app.event
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.event_2025 PARTITION OF app.event
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.event_note (
    event_id bigint,
    event_at date,
    note text,
    CONSTRAINT event_note_event_fk FOREIGN KEY (event_id, event_at)
        REFERENCES app.event (id, at)
);

CREATE TABLE elsewhere.thing (id integer PRIMARY KEY);
CREATE TABLE app.outside_child (
    thing_id integer CONSTRAINT outside_child_thing_fk REFERENCES elsewhere.thing (id)
);
CREATE TABLE app.empty ();
CREATE VIEW app.employee_names AS SELECT id, email FROM app.employee;

CREATE TABLE "Rep ""Q"" Schema"."Monthly Total" (
    "Employee" bigint CONSTRAINT "Monthly Employee" REFERENCES app.employee (id),
    "Month" date,
    total numeric,
    CONSTRAINT "Monthly Unique" UNIQUE ("Employee", "Month")
);
CREATE SEQUENCE "Rep ""Q"" Schema"."Free Sequence";

CREATE TABLE app.flyway_schema_history (installed_rank integer PRIMARY KEY, version text);
CREATE TABLE "Rep ""Q"" Schema".flyway_schema_history (installed_rank integer PRIMARY KEY);
'''

APP_TABLES = [
    ("app", 'Order "Line"'),
    ("app", "department"),
    ("app", "empty"),
    ("app", "employee"),
    ("app", "event"),
    ("app", "event_note"),
    ("app", "outside_child"),
    ("app", "shipment"),
]
PG_TABLES = sorted([*APP_TABLES, (REP, "Monthly Total")])


@pytest.fixture
def pg(pg_url: str, tmp_path: Path) -> Iterator[Database]:
    with connected(pg_url, tmp_path) as db:
        run_script(db, PG_SETUP)
        yield db


@pytest.fixture
def pg_catalog(pg: Database) -> Catalog:
    return read_catalog(pg, PG_SCHEMAS)


def test_pg_tables_are_the_base_and_partitioned_tables_without_partitions_or_history(
    pg: Database, pg_catalog: Catalog
) -> None:
    # information_schema lists partitions and history tables as base tables too: those are
    # taken out here by name.
    listed = pg.query(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema = ANY(:schemas) AND table_type = 'BASE TABLE'",
        {"schemas": PG_SCHEMAS},
    )
    expected = sorted(
        (schema, name)
        for schema, name in listed
        if name not in ("flyway_schema_history", "event_2024", "event_2025")
    )
    assert expected == PG_TABLES
    assert list(pg_catalog.tables) == PG_TABLES
    assert all(key == table.key for key, table in pg_catalog.tables.items())
    assert pg_catalog.tables[("app", "empty")].columns == ()


def test_pg_columns_match_information_schema(pg: Database, pg_catalog: Catalog) -> None:
    for key, table in pg_catalog.tables.items():
        rows = pg.query(
            "SELECT column_name, is_nullable, is_generated, character_maximum_length, "
            "numeric_precision, data_type, domain_name "
            "FROM information_schema.columns WHERE table_schema = :schema AND table_name = :name "
            "ORDER BY ordinal_position",
            {"schema": key[0], "name": key[1]},
        )
        assert [c.name for c in table.columns] == [r[0] for r in rows], key
        for column, (_, nullable, generated, length, precision, data_type, domain) in zip(
            table.columns, rows, strict=True
        ):
            assert column.nullable == (nullable == "YES"), (key, column)
            assert column.generated == (generated == "ALWAYS"), (key, column)
            if domain is None and data_type in ("character varying", "character"):
                assert column.max_length == length, (key, column)
            if data_type in ("smallint", "integer", "bigint"):
                assert column.kind == "integer"
                assert column.int_bits == precision, (key, column)
            else:
                assert column.int_bits is None, (key, column)
            assert not column.unsigned


def test_pg_column_types_and_kinds(pg: Database, pg_catalog: Catalog) -> None:
    employee = pg_catalog.tables[("app", "employee")]
    kinds = {c.name: (c.type_name, c.kind) for c in employee.columns}
    assert kinds == {
        "id": ("bigint", "integer"),
        "department_id": ("integer", "integer"),
        "manager_id": ("bigint", "integer"),
        "email": ("app.email", "text"),  # a domain over text is text
        "badge": ("character(6)", "text"),
        "mood": ("app.mood", "other"),
        "tags": ("text[]", "other"),
        "address": ("inet", "other"),
        "period": ("daterange", "other"),
        "salary": ("numeric(10,2)", "numeric"),
        "ratio": ("double precision", "numeric"),
        "active": ("boolean", "boolean"),
        "hired": ("date", "date"),
        "seen": ("timestamp with time zone", "timestamp"),
        "starts": ("time without time zone", "time"),
        "token": ("uuid", "uuid"),
        "profile": ("jsonb", "json"),
        "photo": ("bytea", "bytes"),
        "grade": ("smallint", "integer"),
        "shout": ("text", "text"),
    }
    assert employee.column("badge").max_length == 6
    assert employee.column("email").max_length is None
    assert employee.column("shout").generated
    assert [c.name for c in employee.columns if c.generated] == ["shout"]
    assert employee.column("grade").int_bits == 16

    department = pg_catalog.tables[("app", "department")]
    # An identity column is not a generated one: its values are copied.
    assert department.column("id") == Column("id", "integer", "integer", False, int_bits=32)
    assert department.column("name") == Column(
        "name", "character varying(40)", "text", False, max_length=40
    )
    # A domain over a domain over varchar(8): text, at most what the innermost domain holds.
    (inner_length,) = pg.query(
        "SELECT character_maximum_length FROM information_schema.domains "
        "WHERE domain_schema = 'app' AND domain_name = 'short_code'"
    )[0]
    assert inner_length == 8
    assert department.column("code") == Column("code", "app.code", "text", True, max_length=8)

    quoted = pg_catalog.tables[("app", 'Order "Line"')]
    assert [c.name for c in quoted.columns] == ["Line ID", "Ship Number", "Ship Region"]


def _pg_primary_key(db: Database, key: Name) -> tuple[str, ...]:
    rows = db.query(
        "SELECT k.column_name FROM information_schema.table_constraints c "
        "JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema "
        "AND k.constraint_name = c.constraint_name AND k.table_name = c.table_name "
        "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = :schema "
        "AND c.table_name = :name ORDER BY k.ordinal_position",
        {"schema": key[0], "name": key[1]},
    )
    return tuple(row[0] for row in rows)


def test_pg_keys(pg: Database, pg_catalog: Catalog) -> None:
    for key, table in pg_catalog.tables.items():
        assert table.primary_key == _pg_primary_key(pg, key), key
    assert pg_catalog.tables[("app", "shipment")].primary_key == ("region", "number")
    assert pg_catalog.tables[("app", "event")].primary_key == ("id", "at")
    assert pg_catalog.tables[("app", "event_note")].primary_key == ()
    # UNIQUE constraints and plain unique indexes (key columns only); not the partial index,
    # nor the one on an expression.
    unique = {key: table.unique for key, table in pg_catalog.tables.items() if table.unique}
    assert unique == {
        ("app", "department"): (("name",),),
        ("app", "employee"): (("email",), ("token",)),
        (REP, "Monthly Total"): (("Employee", "Month"),),
    }
    employee = pg_catalog.tables[("app", "employee")]
    assert employee.is_unique("email") and employee.is_unique("id")
    assert not employee.is_unique("badge") and not employee.is_unique("grade")
    # Each UNIQUE constraint of information_schema is one of them.
    constraints = pg.query(
        "SELECT c.table_schema, c.table_name, array_agg(k.column_name::text "
        "ORDER BY k.ordinal_position) FROM information_schema.table_constraints c "
        "JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema "
        "AND k.constraint_name = c.constraint_name AND k.table_name = c.table_name "
        "WHERE c.constraint_type = 'UNIQUE' AND c.table_schema = ANY(:schemas) "
        "GROUP BY c.table_schema, c.table_name, c.constraint_name",
        {"schemas": PG_SCHEMAS},
    )
    assert len(constraints) == 2
    for schema, name, columns in constraints:
        assert tuple(columns) in pg_catalog.tables[(schema, name)].unique


PG_FOREIGN_KEYS = {
    ("app", "department"): ["department_head_fk"],
    ("app", "employee"): ["employee_department_fk", "employee_manager_fk"],
    ("app", "event"): ["event_employee_fk"],
    ("app", "event_note"): ["event_note_event_fk"],
    ("app", "outside_child"): ["outside_child_thing_fk"],
    ("app", 'Order "Line"'): ["Line to Shipment"],
    (REP, "Monthly Total"): ["Monthly Employee"],
}


def test_pg_foreign_keys_match_pg_get_constraintdef(pg: Database, pg_catalog: Catalog) -> None:
    found = {
        key: [fk.name for fk in table.foreign_keys]
        for key, table in pg_catalog.tables.items()
        if table.foreign_keys
    }
    assert found == PG_FOREIGN_KEYS
    # With an empty search path PostgreSQL qualifies every table it names.
    pg.execute("SET search_path = ''")
    for key, table in pg_catalog.tables.items():
        for fk in table.foreign_keys:
            names = [*fk.columns, *fk.parent, *fk.parent_columns]
            quoted = dict(
                pg.query(
                    "SELECT x, quote_ident(x) FROM unnest(CAST(:names AS text[])) x",
                    {"names": names},
                )
            )
            ((definition, deferrable),) = pg.query(
                "SELECT pg_get_constraintdef(co.oid), co.condeferrable FROM pg_constraint co "
                "WHERE co.conrelid = (quote_ident(:schema) || '.' || quote_ident(:name))::regclass "
                "AND co.conname = :fk",
                {"schema": key[0], "name": key[1], "fk": fk.name},
            )
            written = (
                f"FOREIGN KEY ({', '.join(quoted[c] for c in fk.columns)}) REFERENCES "
                f"{quoted[fk.parent[0]]}.{quoted[fk.parent[1]]}"
                f"({', '.join(quoted[c] for c in fk.parent_columns)})"
            )
            assert definition.startswith(written), (definition, written)
            assert fk.deferrable == deferrable == ("DEFERRABLE" in definition)
    department = pg_catalog.tables[("app", "department")]
    assert department.foreign_keys == (
        ForeignKey("department_head_fk", ("head_id",), ("app", "employee"), ("id",), True),
    )
    # The composite key, its columns in another order than the referenced primary key's.
    assert pg_catalog.tables[("app", 'Order "Line"')].foreign_keys == (
        ForeignKey(
            "Line to Shipment",
            ("Ship Number", "Ship Region"),
            ("app", "shipment"),
            ("number", "region"),
        ),
    )
    # A foreign key to a partitioned table references it, not its partitions.
    assert pg_catalog.tables[("app", "event_note")].foreign_keys == (
        ForeignKey("event_note_event_fk", ("event_id", "event_at"), ("app", "event"), ("id", "at")),
    )


def test_pg_sequences_match_pg_sequences(pg: Database, pg_catalog: Catalog) -> None:
    rows = pg.query(
        "SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = ANY(:schemas)",
        {"schemas": PG_SCHEMAS},
    )
    assert sorted(pg_catalog.sequences) == sorted((s, n) for s, n in rows)
    assert set(pg_catalog.sequences) == {
        ("app", "department_id_seq"),  # the identity's
        ("app", "employee_id_seq"),  # bigserial's
        ("app", 'Order "Line"_Line ID_seq'),
        (REP, "Free Sequence"),  # owned by no column
    }


def test_pg_reads_every_table_in_four_queries(pg: Database) -> None:
    queries = count_queries(pg)
    read_catalog(pg, PG_SCHEMAS)
    assert queries() == 4
    run_script(
        pg, "\n".join(f"CREATE TABLE app.extra_{n} (id int PRIMARY KEY);" for n in range(30))
    )
    before = queries()
    assert len(read_catalog(pg, PG_SCHEMAS).tables) == len(PG_TABLES) + 30
    assert queries() - before == 4


def test_pg_other_history_table_and_schemas(pg: Database) -> None:
    catalog = read_catalog(pg, [REP], history_table="Monthly Total")
    assert list(catalog.tables) == [(REP, "flyway_schema_history")]
    assert catalog.sequences == [(REP, "Free Sequence")]
    assert read_catalog(pg, []) == Catalog()
    assert read_catalog(pg, ["no such schema"]) == Catalog()


def test_pg_copy_order(pg: Database, pg_catalog: Catalog) -> None:
    order = copy_order(pg_catalog)
    # By hand from the schema: department and employee reference each other; the rest
    # follow their parents, and the groups that may come next go by (schema, name)
    # (`Rep "Q" Schema` sorts before `app`, `Order "Line"` before `department`).
    assert order == [
        [("app", "department"), ("app", "employee")],
        [(REP, "Monthly Total")],
        [("app", "empty")],
        [("app", "event")],
        [("app", "event_note")],
        [("app", "outside_child")],
        [("app", "shipment")],
        [("app", 'Order "Line"')],
    ]
    # Parents first, checked against the foreign keys as information_schema lists them.
    rows = pg.query(
        "SELECT t.table_schema, t.table_name, p.table_schema, p.table_name "
        "FROM information_schema.referential_constraints r "
        "JOIN information_schema.table_constraints t ON t.constraint_schema = r.constraint_schema "
        "AND t.constraint_name = r.constraint_name "
        "JOIN information_schema.table_constraints p "
        "ON p.constraint_schema = r.unique_constraint_schema "
        "AND p.constraint_name = r.unique_constraint_name "
        "WHERE t.table_schema = ANY(:schemas)",
        {"schemas": PG_SCHEMAS},
    )
    position = {key: number for number, group in enumerate(order) for key in group}
    checked = 0
    for child_schema, child, parent_schema, parent in rows:
        child_key, parent_key = (child_schema, child), (parent_schema, parent)
        if child_key in position and parent_key in position:
            assert position[parent_key] <= position[child_key], (child_key, parent_key)
            checked += 1
    assert checked >= 6
    assert sorted(key for group in order for key in group) == PG_TABLES


def test_pg_parents_and_children(pg_catalog: Catalog) -> None:
    employee = ("app", "employee")
    assert [fk.name for fk in parents(pg_catalog, employee)] == [
        "employee_department_fk",
        "employee_manager_fk",
    ]
    assert parents(pg_catalog, ("app", "outside_child")) == []
    assert [(key, fk.name) for key, fk in children(pg_catalog, employee)] == [
        ((REP, "Monthly Total"), "Monthly Employee"),
        (("app", "department"), "department_head_fk"),
        (("app", "employee"), "employee_manager_fk"),
        (("app", "event"), "event_employee_fk"),
    ]
    assert children(pg_catalog, ("app", "event_note")) == []
    with pytest.raises(KeyError):
        parents(pg_catalog, ("elsewhere", "thing"))
    with pytest.raises(KeyError):
        children(pg_catalog, ("elsewhere", "thing"))


def test_pg_reading_is_deterministic(pg: Database, pg_catalog: Catalog) -> None:
    again = read_catalog(pg, list(reversed(PG_SCHEMAS)))
    assert again == pg_catalog
    shuffled = Catalog(tables=dict(reversed(list(pg_catalog.tables.items()))))
    assert copy_order(shuffled) == copy_order(pg_catalog)


# ---- MariaDB / MySQL ------------------------------------------------------------------------

MY_SETUP = """
CREATE TABLE department (
    id int AUTO_INCREMENT PRIMARY KEY,
    name varchar(40) NOT NULL,
    head_id bigint,
    CONSTRAINT department_name UNIQUE (name)
);
CREATE TABLE employee (
    id bigint AUTO_INCREMENT PRIMARY KEY,
    department_id int NOT NULL,
    manager_id bigint,
    email varchar(100) NOT NULL,
    mood enum('happy', 'sad'),
    level tinyint unsigned,
    visits mediumint,
    grade smallint,
    note tinytext,
    salary decimal(10, 2) unsigned,
    ratio double,
    hired date,
    seen datetime,
    stamp timestamp NULL,
    starts time,
    picture blob,
    shout varchar(100) AS (upper(email)) STORED,
    next_level int AS (level + 1) VIRTUAL,
    CONSTRAINT employee_department FOREIGN KEY (department_id) REFERENCES department (id),
    CONSTRAINT employee_manager FOREIGN KEY (manager_id) REFERENCES employee (id),
    UNIQUE KEY employee_email (email),
    KEY employee_grade (grade)
);
ALTER TABLE department ADD CONSTRAINT department_head
    FOREIGN KEY (head_id) REFERENCES employee (id);
CREATE TABLE shipment (
    region varchar(10),
    number int,
    PRIMARY KEY (region, number),
    KEY shipment_by_number (number, region)
);
CREATE TABLE `Order "Line"` (
    `Line ID` int AUTO_INCREMENT PRIMARY KEY,
    `Ship Number` int NOT NULL,
    `Ship Region` varchar(10) NOT NULL,
    CONSTRAINT `Line to Shipment` FOREIGN KEY (`Ship Number`, `Ship Region`)
        REFERENCES shipment (number, region)
);
CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY);
CREATE VIEW employee_names AS SELECT id, email FROM employee;
"""


def _second_setup(first: str) -> str:
    return f"""
CREATE TABLE `Monthly Total` (
    `Employee` bigint,
    `Month` date,
    total decimal(12, 2),
    CONSTRAINT `Monthly Unique` UNIQUE (`Employee`, `Month`),
    CONSTRAINT `Monthly Employee` FOREIGN KEY (`Employee`) REFERENCES `{first}`.employee (id)
);
CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY);
"""


@pytest.fixture
def my(
    mysql_url: str, mysql_server: MySQLServer, tmp_path: Path
) -> Iterator[tuple[Database, str, str]]:
    first = urlsplit(mysql_url).path.lstrip("/")
    second = first + "_b"
    mysql_server.execute(f"CREATE DATABASE `{second}`")
    try:
        with connected(mysql_url, tmp_path) as db:
            run_script(db, MY_SETUP)
            db.execute(f"USE `{second}`")
            run_script(db, _second_setup(first))
            db.execute(f"USE `{first}`")
            yield db, first, second
    finally:
        mysql_server.execute(f"DROP DATABASE IF EXISTS `{second}`")


def test_mysql_catalog(my: tuple[Database, str, str]) -> None:
    db, first, second = my
    queries = count_queries(db)
    catalog = read_catalog(db, [first, second])
    assert queries() == 4
    assert list(catalog.tables) == [
        (first, 'Order "Line"'),
        (first, "department"),
        (first, "employee"),
        (first, "shipment"),
        (second, "Monthly Total"),
    ]
    assert catalog.sequences == []

    # Columns as SHOW COLUMNS gives them: order, type, nullability, generated.
    for (schema, name), table in catalog.tables.items():
        rows = db.query(f"SHOW FULL COLUMNS FROM {db.qualified(schema, name)}")
        assert [(c.name, c.type_name, c.nullable) for c in table.columns] == [
            (row[0], row[1], row[3] == "YES") for row in rows
        ]
        assert [c.name for c in table.columns if c.generated] == [
            row[0] for row in rows if "GENERATED" in row[6].upper()
        ]
        assert not any(c.generated for c in table.columns if "auto_increment" in c.type_name)
    employee = catalog.tables[(first, "employee")]
    assert {c.name: (c.kind, c.int_bits, c.unsigned) for c in employee.columns} == {
        "id": ("integer", 64, False),
        "department_id": ("integer", 32, False),
        "manager_id": ("integer", 64, False),
        "email": ("text", None, False),
        "mood": ("other", None, False),
        "level": ("integer", 8, True),
        "visits": ("integer", 24, False),
        "grade": ("integer", 16, False),
        "note": ("text", None, False),
        "salary": ("numeric", None, True),
        "ratio": ("numeric", None, False),
        "hired": ("date", None, False),
        "seen": ("timestamp", None, False),
        "stamp": ("timestamp", None, False),
        "starts": ("time", None, False),
        "picture": ("bytes", None, False),
        "shout": ("text", None, False),
        "next_level": ("integer", 32, False),
    }
    assert [c.name for c in employee.columns if c.generated] == ["shout", "next_level"]
    assert employee.column("email").max_length == 100
    # A tinytext holds 255 bytes: 63 characters of utf8mb4 (4 bytes at most), whatever they are.
    ((octets, charset),) = db.query(
        "SELECT c.character_octet_length, s.maxlen FROM information_schema.columns c "
        "JOIN information_schema.character_sets s ON s.character_set_name = c.character_set_name "
        "WHERE c.table_schema = :schema AND c.table_name = 'employee' AND c.column_name = 'note'",
        {"schema": first},
    )
    assert employee.column("note").max_length == octets // charset

    # Keys: the primary key in key order; unique keys but not plain indexes.
    for (schema, name), table in catalog.tables.items():
        rows = db.query(f"SHOW INDEX FROM {db.qualified(schema, name)}")
        primary = [row for row in rows if row[2] == "PRIMARY"]
        assert table.primary_key == tuple(row[4] for row in sorted(primary, key=lambda r: r[3]))
    assert catalog.tables[(first, "shipment")].primary_key == ("region", "number")
    assert {key: t.unique for key, t in catalog.tables.items() if t.unique} == {
        (first, "department"): (("name",),),
        (first, "employee"): (("email",),),
        (second, "Monthly Total"): (("Employee", "Month"),),
    }

    # Foreign keys as SHOW CREATE TABLE writes them; never deferrable.
    for (schema, name), table in catalog.tables.items():
        created = db.query(f"SHOW CREATE TABLE {db.qualified(schema, name)}")[0][1]
        written = re.findall(r"CONSTRAINT (`[^\n]*?` FOREIGN KEY [^\n]*?),?\n", created)
        mine = []
        for fk in table.foreign_keys:
            parent = db.quote(fk.parent[1])
            if fk.parent[0] != schema:
                parent = db.qualified(*fk.parent)
            mine.append(
                f"{db.quote(fk.name)} FOREIGN KEY ({', '.join(db.quote(c) for c in fk.columns)}) "
                f"REFERENCES {parent} ({', '.join(db.quote(c) for c in fk.parent_columns)})"
            )
            assert not fk.deferrable
        assert sorted(mine) == sorted(written), (schema, name)
    assert catalog.tables[(first, 'Order "Line"')].foreign_keys == (
        ForeignKey(
            "Line to Shipment",
            ("Ship Number", "Ship Region"),
            (first, "shipment"),
            ("number", "region"),
        ),
    )
    assert catalog.tables[(second, "Monthly Total")].foreign_keys == (
        ForeignKey("Monthly Employee", ("Employee",), (first, "employee"), ("id",)),
    )

    # By hand from the schema: the cycle first, then by (schema, name) as parents allow.
    assert copy_order(catalog) == [
        [(first, "department"), (first, "employee")],
        [(first, "shipment")],
        [(first, 'Order "Line"')],
        [(second, "Monthly Total")],
    ]
    assert read_catalog(db, [second, first]) == catalog


# ---- the order, on catalogs built by hand ---------------------------------------------------


def _table(name: str, *parents: str, schema: str = "s") -> Table:
    keys = tuple(
        ForeignKey(f"{name}_{parent}", (f"{parent}_id",), (schema, parent), ("id",))
        for parent in parents
    )
    return Table(schema, name, (Column("id", "integer", "integer", False),), ("id",), (), keys)


def _catalog(*tables: Table) -> Catalog:
    return Catalog(tables={table.key: table for table in tables})


def test_order_puts_parents_first_and_cycles_together() -> None:
    catalog = _catalog(
        _table("a", "c"),
        _table("b", "a"),
        _table("c", "b"),  # a -> c -> b -> a: one group
        _table("d", "d", "a"),  # a self-reference is no group of its own
        _table("e"),
        _table("f", "missing"),  # a parent outside the catalog orders nothing
        _table("g", "e", "d"),
    )
    assert copy_order(catalog) == [
        [("s", "a"), ("s", "b"), ("s", "c")],
        [("s", "d")],
        [("s", "e")],
        [("s", "f")],
        [("s", "g")],
    ]
    assert [fk.name for fk in parents(catalog, ("s", "d"))] == ["d_d", "d_a"]
    assert parents(catalog, ("s", "f")) == []
    assert [(key[1], fk.name) for key, fk in children(catalog, ("s", "a"))] == [
        ("b", "b_a"),
        ("d", "d_a"),
    ]
    assert copy_order(Catalog()) == []


def test_order_breaks_ties_by_name_not_by_insertion() -> None:
    tables = [_table("z"), _table("m", "z"), _table("b"), _table("a", "m")]
    forward = copy_order(_catalog(*tables))
    assert forward == copy_order(_catalog(*reversed(tables)))
    assert forward == [[("s", "b")], [("s", "z")], [("s", "m")], [("s", "a")]]


def test_order_of_a_long_chain_needs_no_recursion() -> None:
    count = 20_000
    names = [f"t{n:05d}" for n in range(count)]
    # t00000 references t00001, …: the last comes first.
    chain = [_table(name, *names[n + 1 : n + 2]) for n, name in enumerate(names)]
    order = copy_order(_catalog(*chain))
    assert order == [[("s", name)] for name in reversed(names)]
    # One cycle through them all.
    ring = [_table(name, names[(n + 1) % count]) for n, name in enumerate(names)]
    assert copy_order(_catalog(*ring)) == [[("s", name) for name in names]]


def test_order_joins_several_cycles_through_one_table() -> None:
    catalog = _catalog(
        _table("hub", "x", "y"),
        _table("x", "hub"),
        _table("y", "hub"),
        _table("leaf", "x"),
        _table("root"),
        _table("x2", "root"),
    )
    assert copy_order(catalog) == [
        [("s", "hub"), ("s", "x"), ("s", "y")],
        [("s", "leaf")],
        [("s", "root")],
        [("s", "x2")],
    ]
