"""Engine rules that need no server: statement classification, Flyway's lock key."""

from __future__ import annotations

import pytest

from dbci.engines.postgresql.engine import PostgreSQLDatabase, flyway_lock_key, java_string_hash
from dbci.engines.sqlite.engine import SQLiteDatabase
from dbci.sqlsplit.scanner import Statement

# Classification reads only the statement, so an instance without a connection will do.
PG = object.__new__(PostgreSQLDatabase)
LITE = object.__new__(SQLiteDatabase)


@pytest.mark.parametrize(
    ("sql", "pg", "sqlite"),
    [
        ("create index concurrently i on t (a)", True, False),
        ("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)", True, False),
        ("drop index concurrently if exists i", True, False),
        ("reindex index concurrently i", True, False),
        ("vacuum analyze t", True, True),
        ("alter system set work_mem = '64MB'", True, False),
        ("create database other", True, False),
        ("/* why */ -- because\ncreate tablespace ts location '/x'", True, False),
        ("BEGIN", True, True),
        ("start transaction", True, True),
        ("commit", True, True),
        ("end", True, True),
        ("rollback", True, True),
        ("rollback to savepoint s", False, False),
        ("create index i on t (a)", False, False),
        ("create table concurrently_named (a int)", False, False),
        ("select 'vacuum'", False, False),
        ("create function f() returns int language sql begin atomic select 1; end", False, False),
    ],
)
def test_statements_that_run_outside_a_transaction(sql: str, pg: bool, sqlite: bool) -> None:
    statement = Statement(sql, 1)
    assert PG.needs_autocommit(statement) is pg
    assert LITE.needs_autocommit(statement) is sqlite


def test_java_string_hash_matches_java() -> None:
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112
    assert java_string_hash("polygenelubricants") == -(2**31)  # Java's famous MIN_VALUE hash


def test_flyway_lock_key_is_flyway_magic_plus_table_hash() -> None:
    table = '"public"."flyway_schema_history"'
    assert flyway_lock_key(table) == 0x466C79776179 + java_string_hash(table)
