"""Listing and dropping every object in schemas (clean), on real PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.databases import connected, count_queries, run_script

from dbci.engines.base import Database
from dbci.errors import InputError
from dbci.migrate.clean import SchemaObject, clean_statements, list_objects


def clean(db: Database, schemas: list[str], **kwargs: Any) -> list[str]:
    """Run clean's statements in one transaction, as `dbci clean` does; return them."""
    statements = clean_statements(db, schemas, **kwargs)
    db.begin()
    try:
        for sql in statements:
            db.execute(sql)
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return statements


def keyed(objects: list[SchemaObject]) -> set[tuple[str, str, str]]:
    return {(o.kind, o.schema, o.name) for o in objects}


# ---- PostgreSQL ---------------------------------------------------------------------------

PG_SETUP = """
CREATE SCHEMA app;
CREATE SCHEMA keep;
CREATE TABLE keep.kept (id int PRIMARY KEY, note text);
INSERT INTO keep.kept VALUES (1, 'stays');

CREATE TABLE app.customer (
    id serial PRIMARY KEY,
    email text NOT NULL CHECK (email LIKE '%@%')
);
CREATE TABLE app.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id int NOT NULL REFERENCES app.customer (id),
    total numeric CHECK (total >= 0),
    updated_at timestamptz
);
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders
    FOR EACH ROW EXECUTE FUNCTION app.touch();
INSERT INTO app.customer (email) VALUES ('a@example.com');
INSERT INTO app.orders (customer_id, total) VALUES (1, 10);

CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

CREATE VIEW app.customer_orders AS
    SELECT c.email, o.total FROM app.customer c JOIN app.orders o ON o.customer_id = c.id;
CREATE MATERIALIZED VIEW app.order_totals AS
    SELECT customer_id, sum(total) AS total FROM app.orders GROUP BY customer_id;
CREATE SEQUENCE app.invoice_no;

CREATE FUNCTION app.add(a integer, b integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE PROCEDURE app.forget_orders() LANGUAGE sql AS 'DELETE FROM app.orders';
CREATE AGGREGATE app.total_of(integer) (SFUNC = app.add, STYPE = integer, INITCOND = '0');
CREATE FUNCTION app.row_no() RETURNS bigint WINDOW LANGUAGE internal AS 'window_row_number';

CREATE TYPE app.mood AS ENUM ('happy', 'sad');
CREATE TYPE app.money_pair AS (amount numeric, currency char(3));
CREATE TYPE app.float_range AS RANGE (subtype = float8);
CREATE TYPE app.shell;
CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);
CREATE TABLE app.typed (
    m app.mood, pair app.money_pair, r app.float_range, p app.positive, n int DEFAULT app.add(1, 2)
);
CREATE FUNCTION app.same_mood(app.mood, app.mood) RETURNS boolean
    LANGUAGE sql AS 'SELECT $1 = $2';
CREATE OPERATOR app.=== (LEFTARG = app.mood, RIGHTARG = app.mood, FUNCTION = app.same_mood);
CREATE OPERATOR FAMILY app.mood_ops USING btree;

CREATE COLLATION app.byte_order FROM "C";
CREATE TEXT SEARCH CONFIGURATION app.plain (COPY = pg_catalog.simple);
CREATE TEXT SEARCH DICTIONARY app.simple_dict (TEMPLATE = pg_catalog.simple);
CREATE STATISTICS app.kept_stats ON id, note FROM keep.kept;

CREATE FOREIGN DATA WRAPPER dbci_test_fdw;
CREATE SERVER dbci_test_server FOREIGN DATA WRAPPER dbci_test_fdw;
CREATE FOREIGN TABLE app.remote (id int) SERVER dbci_test_server;

CREATE TABLE public.note (id int PRIMARY KEY, body text);
CREATE VIEW public.note_view AS SELECT * FROM public.note;
CREATE FUNCTION public.hello() RETURNS text LANGUAGE sql AS $$SELECT 'hi'$$;
"""

# Everything PG_SETUP makes in app and public that clean must name.
PG_EXPECTED = {
    ("table", "app", "customer"),
    ("table", "app", "orders"),
    ("table", "app", "events"),
    ("table", "app", "typed"),
    ("foreign table", "app", "remote"),
    ("view", "app", "customer_orders"),
    ("materialized view", "app", "order_totals"),
    ("sequence", "app", "invoice_no"),
    ("function", "app", "touch()"),
    ("function", "app", "add(a integer, b integer)"),
    ("function", "app", "row_no()"),
    ("function", "app", "same_mood(app.mood, app.mood)"),
    ("procedure", "app", "forget_orders()"),
    ("aggregate", "app", "total_of(integer)"),
    ("type", "app", "mood"),
    ("type", "app", "money_pair"),
    ("type", "app", "float_range"),
    ("type", "app", "shell"),
    ("domain", "app", "positive"),
    ("operator", "app", "=== (app.mood, app.mood)"),
    ("operator family", "app", "mood_ops"),
    ("collation", "app", "byte_order"),
    ("text search configuration", "app", "plain"),
    ("text search dictionary", "app", "simple_dict"),
    ("statistics", "app", "kept_stats"),
    ("table", "public", "note"),
    ("view", "public", "note_view"),
    ("function", "public", "hello()"),
}

# Extensions to try, in order, each with a type it makes: contrib ships most of them, and
# the embedded pgserver (which has no contrib) ships pgvector.
CANDIDATE_EXTENSIONS = {
    "citext": "citext",
    "hstore": "hstore",
    "ltree": "ltree",
    "cube": "cube",
    "seg": "seg",
    "isn": "isbn",
    "vector": "vector",
}

# What must be gone from a cleaned schema, one catalog per row: (catalog, namespace column).
PG_CATALOGS = [
    ("pg_class", "relnamespace"),
    ("pg_proc", "pronamespace"),
    ("pg_type", "typnamespace"),
    ("pg_collation", "collnamespace"),
    ("pg_ts_config", "cfgnamespace"),
    ("pg_ts_dict", "dictnamespace"),
    ("pg_operator", "oprnamespace"),
    ("pg_opfamily", "opfnamespace"),
    ("pg_opclass", "opcnamespace"),
    ("pg_statistic_ext", "stxnamespace"),
    ("pg_conversion", "connamespace"),
    ("pg_extension", "extnamespace"),
]


def pg_leftovers(db: Database, schema: str) -> dict[str, int]:
    """Objects of each catalog still in `schema` (array and row types included), if any."""
    counts = {}
    for catalog, column in PG_CATALOGS:
        rows = db.query(
            f"SELECT count(*) FROM {catalog} o JOIN pg_namespace n ON n.oid = o.{column} "
            "WHERE n.nspname = :s",
            {"s": schema},
        )
        if rows[0][0]:
            counts[catalog] = rows[0][0]
    return counts


def assert_keep_survived(db: Database) -> None:
    assert db.query("SELECT id, note FROM keep.kept") == [(1, "stays")]


def available_extension(db: Database) -> str | None:
    rows = db.query(
        "SELECT name FROM pg_available_extensions WHERE name = ANY(:names)",
        {"names": list(CANDIDATE_EXTENSIONS)},
    )
    names = {row[0] for row in rows}
    return next((name for name in CANDIDATE_EXTENSIONS if name in names), None)


def test_postgresql_lists_every_kind_once(pg_url: str, tmp_path: Path) -> None:
    with connected(pg_url, tmp_path) as db:
        run_script(db, PG_SETUP)
        objects = list_objects(db, ["app", "public"])

        assert keyed(objects) == PG_EXPECTED
        assert len(objects) == len(PG_EXPECTED)  # nothing twice
        # Not listed: the partition (goes with its parent), the serial and identity
        # sequences (go with their tables), indexes, triggers, array, row and multirange
        # types, and anything in the schema `keep`.
        names = {o.name for o in objects}
        for implicit in ("events_2024", "customer_id_seq", "orders_id_seq", "_mood"):
            assert implicit not in names
        assert "orders_customer_idx" not in names and "float_multirange" not in names
        assert all(o.schema in ("app", "public") for o in objects)

        # Dropping in the listed order: what depends on tables, tables, routines, types.
        kinds = [o.kind for o in objects]
        assert kinds.index("materialized view") < kinds.index("table")
        assert kinds.index("view") < kinds.index("table")
        assert max(i for i, k in enumerate(kinds) if k == "table") < kinds.index("sequence")
        assert kinds.index("sequence") < kinds.index("function") < kinds.index("type")
        by_name = {(o.schema, o.name): o.drop_sql for o in objects}
        assert by_name[("app", "orders")] == 'DROP TABLE IF EXISTS "app"."orders" CASCADE'
        assert (
            by_name[("app", "add(a integer, b integer)")]
            == 'DROP FUNCTION IF EXISTS "app"."add"(a integer, b integer) CASCADE'
        )
        assert (
            by_name[("app", "=== (app.mood, app.mood)")]
            == 'DROP OPERATOR IF EXISTS "app".=== (app.mood, app.mood) CASCADE'
        )
        assert all(not o.drop_sql.rstrip().endswith(";") for o in objects)


def test_postgresql_clean_empties_the_schemas_and_nothing_else(pg_url: str, tmp_path: Path) -> None:
    with connected(pg_url, tmp_path) as db:
        run_script(db, PG_SETUP)
        statements = clean(db, ["app", "public"])

        assert statements and not any(s.startswith("DROP SCHEMA") for s in statements)
        assert pg_leftovers(db, "app") == {}
        assert pg_leftovers(db, "public") == {}
        assert db.schema_exists("app") and db.schema_exists("public")
        assert list_objects(db, ["app", "public"]) == []
        assert_keep_survived(db)
        # The foreign server is no schema's object: it stays.
        assert db.query("SELECT srvname FROM pg_foreign_server") == [("dbci_test_server",)]
        # A second clean of empty schemas has nothing to do.
        assert clean_statements(db, ["app", "public"]) == []


def test_postgresql_extension_in_a_schema(pg_url: str, tmp_path: Path) -> None:
    with connected(pg_url, tmp_path) as db:
        extension = available_extension(db)
        if extension is None:
            pytest.skip(f"none of {', '.join(CANDIDATE_EXTENSIONS)} is available on this server")
        run_script(db, PG_SETUP)
        db.execute(f"CREATE EXTENSION {db.quote(extension)} SCHEMA app")
        # The extension's own functions and types live in app; count them to be sure the
        # listing below really had members to leave out.
        members = db.query(
            "SELECT count(*) FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid "
            "WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' "
            "AND x.extname = :x",
            {"x": extension},
        )[0][0]
        assert members > 0

        objects = list_objects(db, ["app", "public"])

        assert keyed(objects) == PG_EXPECTED | {("extension", "app", extension)}
        assert objects[0] == SchemaObject(
            "extension", "app", extension, f'DROP EXTENSION IF EXISTS "{extension}" CASCADE'
        )
        clean(db, ["app", "public"])
        assert pg_leftovers(db, "app") == {}
        assert pg_leftovers(db, "public") == {}
        assert_keep_survived(db)


def test_postgresql_objects_using_an_extension_go_with_it(pg_url: str, tmp_path: Path) -> None:
    # A function and a table column of the extension's type: the extension's CASCADE drops
    # them first, and the function's own DROP ... IF EXISTS must then not fail on the type
    # that no longer exists.
    with connected(pg_url, tmp_path) as db:
        extension = available_extension(db)
        if extension is None:
            pytest.skip(f"none of {', '.join(CANDIDATE_EXTENSIONS)} is available on this server")
        typ = f"app.{CANDIDATE_EXTENSIONS[extension]}"
        db.execute("CREATE SCHEMA app")
        db.execute(f"CREATE EXTENSION {db.quote(extension)} SCHEMA app")
        db.execute(f"CREATE TABLE app.login (name {typ})")
        db.execute(f"CREATE FUNCTION app.echo({typ}) RETURNS {typ} LANGUAGE sql AS 'SELECT $1'")
        assert keyed(list_objects(db, ["app"])) == {
            ("extension", "app", extension),
            ("table", "app", "login"),
            ("function", "app", f"echo({typ})"),
        }
        clean(db, ["app"])
        assert pg_leftovers(db, "app") == {}


def test_postgresql_exclude_tables(pg_url: str, tmp_path: Path) -> None:
    with connected(pg_url, tmp_path) as db:
        history = ("public", "flyway_schema_history")
        for sql in db.history_table_ddl(*history):
            db.execute(sql)
        assert list_objects(db, ["public"], exclude_tables={history}) == []
        assert keyed(list_objects(db, ["public"])) == {("table", *history)}

        db.execute("CREATE TABLE public.other (id int)")
        assert keyed(list_objects(db, ["public"], exclude_tables=[history])) == {
            ("table", "public", "other")
        }


def test_postgresql_drop_schemas_drops_the_schema_itself(pg_url: str, tmp_path: Path) -> None:
    with connected(pg_url, tmp_path) as db:
        run_script(db, PG_SETUP)
        statements = clean(db, ["app", "public"], drop_schemas={"app", "keep"})

        # keep is not among the schemas cleaned, so drop_schemas does not reach it.
        assert statements[-1] == 'DROP SCHEMA IF EXISTS "app" CASCADE'
        assert sum(s.startswith("DROP SCHEMA") for s in statements) == 1
        assert not any('"app".' in s for s in statements)  # no object-by-object drops there
        assert not db.schema_exists("app")
        assert db.schema_exists("public") and pg_leftovers(db, "public") == {}
        assert_keep_survived(db)


def test_postgresql_catalog_queries_do_not_grow_with_the_objects(
    pg_url: str, tmp_path: Path
) -> None:
    def make(db: Database, schema: str, count: int) -> None:
        db.execute(f"CREATE SCHEMA {schema}")
        for i in range(count):
            db.execute(f"CREATE TABLE {schema}.t{i} (id serial PRIMARY KEY, n int)")
            db.execute(f"CREATE VIEW {schema}.v{i} AS SELECT * FROM {schema}.t{i}")
            db.execute(f"CREATE FUNCTION {schema}.f{i}(int) RETURNS int LANGUAGE sql AS 'SELECT 1'")
            db.execute(f"CREATE TYPE {schema}.e{i} AS ENUM ('x')")

    with connected(pg_url, tmp_path) as db:
        make(db, "few", 5)
        make(db, "many", 50)
        queries = count_queries(db)
        few = list_objects(db, ["few"])
        after_few = queries()
        many = list_objects(db, ["many"])
        after_many = queries() - after_few
        assert len(few) == 5 * 4 and len(many) == 50 * 4
        assert after_few == after_many
        assert after_few <= 6  # a handful, not one per object

        before = queries()
        clean_statements(db, ["many"])
        assert queries() - before == after_many


def test_other_dialects_are_refused() -> None:
    class OtherDatabase(Database):
        dialect = "oracle"
        display_name = "Oracle"

    other = object.__new__(OtherDatabase)  # no connection needed: refused before any query
    with pytest.raises(InputError, match="clean is not supported on Oracle yet"):
        list_objects(other, ["app"])
    with pytest.raises(InputError, match="clean is not supported on Oracle yet"):
        clean_statements(other, ["app"])


# ---- SQLite -------------------------------------------------------------------------------

SQLITE_SETUP = """
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parent (id),
    code TEXT UNIQUE
);
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE audit (at TEXT, what TEXT);
CREATE INDEX child_parent_idx ON child (parent_id);
CREATE VIEW parent_names AS SELECT name FROM parent;
CREATE TRIGGER child_audit AFTER INSERT ON child
BEGIN
    INSERT INTO audit VALUES (datetime('now'), 'child ' || NEW.id);
END;
INSERT INTO parent VALUES (1, 'p');
INSERT INTO child VALUES (1, 1, 'c');
"""


def sqlite_master(db: Database) -> list[tuple[str, str]]:
    return [tuple(row) for row in db.query("SELECT type, name FROM sqlite_master ORDER BY name")]


def test_sqlite_lists_in_drop_order(sqlite_url: str, tmp_path: Path) -> None:
    with connected(sqlite_url, tmp_path) as db:
        run_script(db, SQLITE_SETUP)
        objects = list_objects(db, ["main"])

        assert [(o.kind, o.name) for o in objects] == [
            ("trigger", "child_audit"),
            ("view", "parent_names"),
            ("index", "child_parent_idx"),  # not sqlite_autoindex_child_1 (UNIQUE's)
            ("table", "audit"),
            ("table", "child"),  # before the table it references
            ("table", "parent"),
        ]
        assert objects[0].drop_sql == 'DROP TRIGGER IF EXISTS "main"."child_audit"'
        assert objects[-1].drop_sql == 'DROP TABLE IF EXISTS "main"."parent"'
        # Leaving a table out leaves out its index and trigger too.
        assert [
            (o.kind, o.name) for o in list_objects(db, ["main"], exclude_tables=[("main", "child")])
        ] == [("view", "parent_names"), ("table", "audit"), ("table", "parent")]


def test_sqlite_clean_with_foreign_keys_enforced(sqlite_url: str, tmp_path: Path) -> None:
    with connected(sqlite_url, tmp_path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        run_script(db, SQLITE_SETUP)
        statements = clean(db, ["main"])

        assert not any(s.startswith("PRAGMA") for s in statements)  # no cycle to defer
        assert sqlite_master(db) == []
        assert list_objects(db, ["main"]) == []


def test_sqlite_clean_breaks_a_foreign_key_cycle_and_resets_autoincrement(
    sqlite_url: str, tmp_path: Path
) -> None:
    with connected(sqlite_url, tmp_path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        run_script(
            db,
            """
            CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, b_id INTEGER REFERENCES b (id));
            CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));
            INSERT INTO a (id, b_id) VALUES (1, NULL);
            INSERT INTO b VALUES (1, 1);
            UPDATE a SET b_id = 1;
            """,
        )
        statements = clean(db, ["main"])

        assert statements[0] == "PRAGMA defer_foreign_keys = ON"
        assert statements[-1] == 'DELETE FROM "main".sqlite_sequence'
        # sqlite_sequence cannot be dropped; it is SQLite's own and now empty.
        assert sqlite_master(db) == [("table", "sqlite_sequence")]
        assert db.query("SELECT count(*) FROM sqlite_sequence") == [(0,)]
        assert list_objects(db, ["main"]) == []


def test_sqlite_attached_schema(sqlite_url: str, tmp_path: Path) -> None:
    with connected(sqlite_url, tmp_path) as db:
        db.execute(f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other")
        db.execute("CREATE TABLE other.t (id INTEGER PRIMARY KEY)")
        db.execute("CREATE VIEW other.v AS SELECT id FROM t")
        db.execute("CREATE TABLE main.stays (id INTEGER)")
        assert keyed(list_objects(db, ["other", "absent"])) == {
            ("view", "other", "v"),
            ("table", "other", "t"),
        }
        clean(db, ["other"])
        assert db.query('SELECT count(*) FROM "other".sqlite_master') == [(0,)]
        assert sqlite_master(db) == [("table", "stays")]
