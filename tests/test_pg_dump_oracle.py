"""The pg_dump oracle (`support/pg_dump_oracle.py`) on real databases: it must see what
differs, whatever dbci reads, and must not see creation order, column order or the order
of grants, which carry no meaning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import pg_dump_oracle, postgres
from support.postgres import PgCluster


@pytest.fixture
def two_databases(pg_cluster: PgCluster) -> Iterator[tuple[str, str]]:
    with pg_cluster.scratch_database() as a, pg_cluster.scratch_database() as b:
        yield a, b


def run(url: str, script: str) -> None:
    with postgres.connect(url, autocommit=True) as conn:
        conn.execute(script)


def test_same_schema_built_in_another_order_agrees(two_databases: tuple[str, str]) -> None:
    a, b = two_databases
    run(
        a,
        "CREATE SCHEMA s; CREATE TABLE s.t (id int PRIMARY KEY, note text CHECK (note <> ''));"
        "CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
        "CREATE TABLE s.u (x int DEFAULT s.f()); CREATE INDEX ON s.t (note);",
    )
    # The same objects, created in another order, the columns of s.t in another order.
    run(
        b,
        "CREATE SCHEMA s; CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
        "CREATE TABLE s.u (x int DEFAULT s.f());"
        "CREATE TABLE s.t (note text CHECK (note <> ''), id int PRIMARY KEY);"
        "CREATE INDEX ON s.t (note);",
    )
    assert not pg_dump_oracle.compare_databases(a, b)
    ordered = pg_dump_oracle.compare_databases(a, b, column_order=True)
    assert ordered.types() == ["TABLE"], ordered.describe()


def test_sees_object_types_and_options(two_databases: tuple[str, str]) -> None:
    a, b = two_databases
    common = "CREATE TABLE t (id int, owner text);"
    run(a, common + "CREATE TABLE u (x int) WITH (fillfactor = 70);")
    run(
        b,
        common
        + "CREATE TABLE u (x int);"
        + "ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
        + "CREATE POLICY mine ON t USING (owner = current_user);"
        + "CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int);",
    )
    difference = pg_dump_oracle.compare_databases(a, b)
    assert difference.types() == ["AGGREGATE", "POLICY", "ROW SECURITY", "TABLE"]
    assert {e.name for e in difference.only_a} == {"u"}  # its fillfactor
    description = difference.describe()
    assert "POLICY public.t mine: only in B" in description
    assert "fillfactor" in description


def test_grants_compare_as_a_set(pg_cluster: PgCluster, two_databases: tuple[str, str]) -> None:
    a, b = two_databases
    suffix = pg_dump_oracle.database_name(a)[-8:]
    reader, writer = f"oracle_reader_{suffix}", f"oracle_writer_{suffix}"
    admin = pg_cluster.admin_connection()
    admin.execute(f"CREATE ROLE {reader} NOLOGIN; CREATE ROLE {writer} NOLOGIN")
    try:
        run(
            a, f"CREATE TABLE t (id int); GRANT SELECT ON t TO {reader}; GRANT ALL ON t TO {writer}"
        )
        run(
            b, f"CREATE TABLE t (id int); GRANT ALL ON t TO {writer}; GRANT SELECT ON t TO {reader}"
        )
        assert not pg_dump_oracle.compare_databases(a, b, privileges=True)
        run(b, f"REVOKE SELECT ON t FROM {reader}")
        difference = pg_dump_oracle.compare_databases(a, b, privileges=True)
        assert difference.types() == ["ACL"]
        # Without privileges, the grants are not compared at all.
        assert not pg_dump_oracle.compare_databases(a, b)
    finally:
        for url in (a, b):
            run(url, f"DROP OWNED BY {reader}, {writer}")
        admin.execute(f"DROP ROLE {reader}; DROP ROLE {writer}")


def test_tablespace_settings_are_kept() -> None:
    """pg_dump's `SET default_tablespace` between entries says where tables live: it is
    folded into the entries that follow it, not dropped with the session settings."""
    header = (
        "--\n-- Name: {0}; Type: TABLE; Schema: public; Owner: -\n--\n\n"
        "CREATE TABLE public.{0} (\n    x integer\n);\n\n\n"
    )
    dump = (
        "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n"
        + header.format("t")
        + "SET default_tablespace = elsewhere;\n\n"
        + header.format("u")
    )
    plain = dump.replace("SET default_tablespace = elsewhere;\n", "")
    entries = pg_dump_oracle.parse_dump(dump, database="db")
    assert [e.name for e in entries] == ["t", "u"]
    assert entries[0].text.startswith("CREATE TABLE")
    assert entries[1].text.startswith("SET default_tablespace = elsewhere;")
    assert pg_dump_oracle.compare(entries, pg_dump_oracle.parse_dump(plain, database="db"))
