"""Engine rules that need no server: statement classification, Flyway's lock key."""

from __future__ import annotations

import pytest

from dbci.engines.mysql.engine import MySQLDatabase
from dbci.engines.postgresql.engine import PostgreSQLDatabase, flyway_lock_key, java_string_hash
from dbci.engines.sqlite.engine import SQLiteDatabase
from dbci.sqlsplit import Statement

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


# Flyway's lock keys, pinned from Flyway's source (flyway/flyway), never from dbci's code:
# * PostgreSQL: PostgreSQLConnection.lock takes
#   `new PostgreSQLAdvisoryLockTemplate(..., table.toString().hashCode())`, and
#   PostgreSQLAdvisoryLockTemplate.java (flyway-core/.../internal/database/postgresql/)
#   locks `LOCK_MAGIC_NUM + discriminator`, LOCK_MAGIC_NUM being the letters of "Flyway".
# * MySQL: MySQLNamedLockTemplate.java (flyway-database/flyway-mysql/.../database/mysql/)
#   names its lock `"Flyway-" + discriminator`, the same table.toString().hashCode().
# The hashCode figures are Java's own, printed by jshell (OpenJDK 17):
#   "\"public\".\"flyway_schema_history\"".hashCode() == 2125624436
#   "`test`.`flyway_schema_history`".hashCode() == -562162009
#   LOCK_MAGIC_NUM == 77431708279161
FLYWAY_LOCK_MAGIC = (0x46 << 40) + (0x6C << 32) + (0x79 << 24) + (0x77 << 16) + (0x61 << 8) + 0x79


def test_flyway_lock_key_is_flyways() -> None:
    assert FLYWAY_LOCK_MAGIC == 77431708279161
    assert flyway_lock_key('"public"."flyway_schema_history"') == 77433833903597
    assert 77433833903597 == FLYWAY_LOCK_MAGIC + 2125624436


def test_mysql_lock_name_is_flyways() -> None:
    mysql = object.__new__(MySQLDatabase)  # the name needs no connection
    assert mysql.lock_name("test", "flyway_schema_history") == "Flyway--562162009"
