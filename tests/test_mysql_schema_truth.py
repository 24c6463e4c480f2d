"""MySQL/MariaDB schema truth: what the server's SHOW CREATE says, dbci must see and make.

Each scenario builds schema A in one scratch database and B in another, runs dbci's diff
A -> B on A, and then (a) dbci's second diff is empty and (b) an oracle that owes nothing
to dbci agrees: the SHOW CREATE statements of every object of A and B (`show_create`),
normalised only for AUTO_INCREMENT=n and the database name, are equal. The same runs
the other way (B -> A), and the scenarios' A and B differ in SHOW CREATE, so a diff that
saw nothing ("No differences") fails. The server is `DBCI_TEST_MYSQL_URL` (MariaDB here).
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dbci.engines.base import Database
from dbci.engines.mysql.engine import MySQLDatabase
from dbci.engines.mysql.snapshot import snapshot_mysql
from dbci.schema import snapshot_file
from dbci.schema.diff import diff
from dbci.schema.model import Snapshot
from dbci.settings.urls import parse_database_url

# ---- the oracle ---------------------------------------------------------------------------

# Every kind of object SHOW CREATE writes. Triggers and routines: SHOW CREATE prints the
# statement as it was first written (`create trigger t before …`), which no catalog
# holds, so `ORACLE_CATALOG_KINDS` leaves them out for objects dbci recreates.
ORACLE_KINDS = ("table", "sequence", "view", "event", "procedure", "function", "trigger")
ORACLE_CATALOG_KINDS = ("table", "sequence", "view", "event")

_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+")
_DEFINER = re.compile(r" DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`")


def show_create(db: Database, kinds: Collection[str] = ORACLE_KINDS) -> dict[tuple[str, str], str]:
    """(kind, name) -> SHOW CREATE's statement for every object of `kinds` in the current
    database, with AUTO_INCREMENT=n and the database's name (`` `db`. ``) taken out. The
    names come from information_schema; the statements are the server's own."""
    schema = db.current_schema()
    listed = db.literal(schema)
    names: list[tuple[str, str]] = []
    table_kinds = {"BASE TABLE": "table", "SYSTEM VERSIONED": "table", "SEQUENCE": "sequence"}
    for name, table_type in db.query(
        "SELECT table_name, table_type FROM information_schema.tables "
        f"WHERE table_schema = {listed}"
    ):
        kind = "view" if table_type == "VIEW" else table_kinds.get(str(table_type))
        if kind is not None:
            names.append((kind, str(name)))
    for name, routine_type in db.query(
        "SELECT routine_name, routine_type FROM information_schema.routines "
        f"WHERE routine_schema = {listed}"
    ):
        names.append((str(routine_type).lower(), str(name)))
    for (name,) in db.query(
        f"SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = {listed}"
    ):
        names.append(("trigger", str(name)))
    for (name,) in db.query(
        f"SELECT event_name FROM information_schema.events WHERE event_schema = {listed}"
    ):
        names.append(("event", str(name)))
    # The column of SHOW CREATE's row that holds the statement.
    column = {"table": 1, "sequence": 1, "view": 1, "event": 3}
    out: dict[tuple[str, str], str] = {}
    for kind, name in sorted(names):
        if kind not in kinds:
            continue
        row = db.query(f"SHOW CREATE {kind.upper()} {db.quote(name)}")[0]
        text = str(row[column.get(kind, 2)])
        text = _AUTO_INCREMENT.sub("", text).replace(f"{db.quote(schema)}.", "")
        out[(kind, name)] = _DEFINER.sub("", text)
    return out


def oracle_differences(
    first: dict[tuple[str, str], str], second: dict[tuple[str, str], str]
) -> str:
    """The objects whose SHOW CREATE differs, for an assertion message."""
    lines = []
    for key in sorted(first.keys() | second.keys()):
        if first.get(key) != second.get(key):
            lines.append(f"{key}:\n  A: {first.get(key)}\n  B: {second.get(key)}")
    return "\n".join(lines)


# ---- scenarios ----------------------------------------------------------------------------

# name -> (A's statements, B's statements)
SCENARIOS: dict[str, tuple[list[str], list[str]]] = {
    "table options": (
        [
            "create table t (id int auto_increment primary key) engine=InnoDB "
            "row_format=compact stats_persistent=0 stats_sample_pages=10 auto_increment=100",
            # Without an index: InnoDB gives each index the table's KEY_BLOCK_SIZE, and
            # keeps it there when the table's is reset (information_schema does not say).
            "create table z (id int) row_format=compressed key_block_size=8",
            "create table u (id int, s varchar(10)) default charset=latin1",
            "create table m (id int) engine=MyISAM checksum=1 pack_keys=1",
            "create table c (id int) comment 'old'",
        ],
        [
            "create table t (id int auto_increment primary key) engine=InnoDB "
            "row_format=dynamic stats_auto_recalc=0 auto_increment=5",
            "create table u (id int, s varchar(10)) default charset=utf8mb4 collate utf8mb4_bin",
            "create table m (id int) engine=InnoDB",
            "create table c (id int)",
            "create table z (id int)",
        ],
    ),
    "partitions": (
        [
            "create table r (id int) partition by range (id) "
            "(partition p0 values less than (10), partition p1 values less than (20))",
            "create table d (id int) partition by list (id) (partition a values in (1, 2), "
            "partition b values in (3), partition c values in (4))",
            "create table h (id int)",
            "create table k (id int primary key) partition by key (id) partitions 2",
        ],
        [
            "create table r (id int) partition by range (id) "
            "(partition p0 values less than (10), partition p1 values less than (20), "
            "partition p2 values less than maxvalue)",
            "create table d (id int) partition by list (id) (partition a values in (1, 2), "
            "partition c values in (4))",
            "create table h (id int) partition by hash (id) partitions 4",
            "create table k (id int primary key)",
        ],
    ),
    "events": (
        [
            "create table log (msg varchar(20))",
            "create event e1 on schedule every 1 hour starts '2030-01-01 00:00:00' "
            "do insert into log values ('e1')",
            "create event gone on schedule at '2030-01-01 00:00:00' on completion preserve "
            "do delete from log",
        ],
        [
            "create table log (msg varchar(20))",
            "create event e1 on schedule every 2 day starts '2030-01-01 00:00:00' "
            "ends '2031-01-01 00:00:00' on completion preserve disable comment 'twice' "
            "do insert into log values ('e1;2')",
            "create event fresh on schedule every '1:30' hour_minute "
            "starts '2030-06-01 12:00:00' do begin delete from log; "
            "insert into log values ('x'); end",
        ],
    ),
    "invisible columns": (
        ["create table t (id int, a int, b int invisible, d int default 3 invisible)"],
        ["create table t (id int, a int invisible, b int, c int invisible, d int default 3)"],
    ),
    "ignored indexes": (
        [
            "create table t (id int, a int, b int, key ka (a), key kb (b) ignored, "
            "unique key u (a, b), key kc (id))"
        ],
        [
            "create table t (id int, a int, b int, key ka (a) ignored, key kb (b), "
            "unique key u (a, b) ignored, key kc (id, a) ignored)"
        ],
    ),
    "sequences": (
        [
            "create sequence s1",
            "create sequence gone start with 10 cache 0",
            "create table t (id int)",
        ],
        [
            "create sequence s1 start with 1 increment by 5 maxvalue 1000 cache 20 cycle",
            "create sequence fresh start with 100 minvalue 10",
            "create table t (id int default nextval(fresh))",
        ],
    ),
    "system versioning": (
        [
            "create table v (id int)",
            "create table w (id int) with system versioning",
            "create table x (id int, s timestamp(6) generated always as row start invisible, "
            "e timestamp(6) generated always as row end invisible, "
            "period for system_time (s, e)) with system versioning",
            "create table y (id int, s timestamp(6) generated always as row start, "
            "e timestamp(6) generated always as row end, "
            "period for system_time (s, e)) with system versioning",
        ],
        [
            "create table v (id int) with system versioning",
            "create table w (id int)",
            "create table x (id int, n varchar(5), "
            "s timestamp(6) generated always as row start invisible, "
            "e timestamp(6) generated always as row end invisible, "
            "period for system_time (s, e)) with system versioning",
            "create table y (id int)",
        ],
    ),
    "spatial index and a column renamed in case": (
        [
            "create table g (id int primary key, p point not null)",
            "create table c (id int, Name varchar(10) not null, Other int, key n (Name))",
        ],
        [
            "create table g (id int primary key, p point not null, spatial index sp (p))",
            "create table c (id int, name varchar(10) not null, Other int, key n (name))",
        ],
    ),
}

# Rows put in A before the diff runs, and what must be there after it: the changes that
# keep data keep it.
ROWS: dict[str, tuple[list[str], str, list[tuple[object, ...]]]] = {
    "partitions": (
        ["insert into r values (1), (15)", "insert into h values (7)"],
        "select id from r union all select id from h order by id",
        [(1,), (7,), (15,)],
    ),
    "spatial index and a column renamed in case": (
        ["insert into c values (1, 'kept', 2)"],
        "select id, name, Other from c",
        [(1, "kept", 2)],
    ),
    "invisible columns": (
        ["insert into t (id, a, b) values (1, 2, 3)"],
        "select id, a, b, d from t",
        [(1, 2, 3, 3)],
    ),
}

# Changes that lose data (dbci must say so), and changes that must not be said to.
DESTRUCTIVE = {
    "partitions": {"d"},  # DROP PARTITION b
    "system versioning": {"w", "y"},  # the history goes
    "table options": set(),
    "spatial index and a column renamed in case": set(),
    "invisible columns": set(),
    "ignored indexes": set(),
}


@contextmanager
def connected(url: str) -> Iterator[Database]:
    db = MySQLDatabase.connect(
        parse_database_url(url, base_dir=Path.cwd(), where="test"), where="test", connect_timeout=5
    )
    try:
        yield db
    finally:
        db.close()


def snap(db: Database) -> Snapshot:
    return snapshot_mysql(db, [db.current_schema()])


def run(db: Database, statements: list[str]) -> None:
    for statement in statements:
        try:
            db.execute(statement)
        except Exception as exc:
            raise AssertionError(f"{statement}\nfailed: {exc}") from None


def check_round_trip(
    db: Database, other: Database, kinds: Collection[str] = ORACLE_KINDS
) -> list[str]:
    """Diff `db` -> `other` and apply it to `db`: dbci's second diff must be empty and the
    oracle (`show_create` of `kinds`) must agree. The statements run, for messages."""
    source, target = snap(db), snap(other)
    forward = diff(source, target)
    run(db, forward.statements)
    script = forward.sql()
    assert not diff(snap(db), target).statements, script
    got, want = show_create(db, kinds), show_create(other, kinds)
    assert got == want, oracle_differences(got, want) + "\n\nstatements:\n" + script
    return forward.statements


@pytest.fixture
def two_urls(mysql_server) -> Iterator[tuple[str, str]]:
    with mysql_server.scratch_database() as first, mysql_server.scratch_database() as second:
        yield first, second


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_round_trip_agrees_with_show_create(name: str, two_urls: tuple[str, str]) -> None:
    a_sql, b_sql = SCENARIOS[name]
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, a_sql)
        run(other, b_sql)
        # A and B differ in SHOW CREATE: "No differences" would be wrong.
        assert show_create(db) != show_create(other)
        forward = diff(snap(db), snap(other))
        assert forward.statements
        if name in DESTRUCTIVE:
            flagged = {c.name for c in forward.changes if c.destructive}
            assert flagged == DESTRUCTIVE[name], forward.sql()
        setup, query, rows = ROWS.get(name, ([], "", []))
        run(db, setup)
        check_round_trip(db, other)
        if query:
            assert [tuple(r) for r in db.query(query)] == rows
        # And back: B -> A, from the database just made.
        with_a = snap(db)
        run(other, ["SET foreign_key_checks = 0"])
        check_round_trip(other, db)
        assert snapshot_file.loads(snapshot_file.dumps(with_a), "a").objects == with_a.objects


def test_auto_increment_is_no_difference(two_urls: tuple[str, str]) -> None:
    table = "create table t (id int auto_increment primary key, v int)"
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, [table + " auto_increment=1000"])
        run(other, [table, "insert into t (v) values (1)"])
        assert show_create(db) == show_create(other)  # normalised
        assert not diff(snap(db), snap(other)).statements


@pytest.mark.parametrize(
    ("a_sql", "b_sql"),
    [
        ("create table t (id int)", "create table t (id int) row_format=redundant"),
        ("create table t (id int)", "create table t (id int) stats_persistent=1"),
        ("create table t (id int)", "create table t (id int) engine=Aria"),
        ("create table t (id int)", "create table t (id int) with system versioning"),
        ("create table t (id int, a int)", "create table t (id int, a int invisible)"),
        ("create table t (id int, key k (id))", "create table t (id int, key k (id) ignored)"),
        ("create table t (Id int)", "create table t (id int)"),
        (
            "create table t (id int)",
            "create table t (id int) partition by hash (id) partitions 2",
        ),
        ("create sequence t", "create sequence t increment by 2"),
        (
            "create event t on schedule every 1 day starts '2030-01-01' do select 1",
            "create event t on schedule every 1 day starts '2030-01-01' disable do select 1",
        ),
    ],
)
def test_a_difference_only_show_create_sees_is_found(
    a_sql: str, b_sql: str, two_urls: tuple[str, str]
) -> None:
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, [a_sql])
        run(other, [b_sql])
        assert show_create(db) != show_create(other)
        assert diff(snap(db), snap(other)).statements
        check_round_trip(db, other)


def test_spatial_index_has_no_length(mysql_url: str) -> None:
    with connected(mysql_url) as db:
        run(db, ["create table g (p point not null, spatial index sp (p))"])
        (sub_part,) = db.query(
            "SELECT sub_part FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND index_name = 'sp'"
        )[0]
        index = snap(db).objects[("index", "", "sp")]
    assert sub_part is not None  # MariaDB gives one, which CREATE INDEX refuses (1089)
    assert index.definition == "CREATE SPATIAL INDEX `sp` ON `g` (`p`)"


def test_case_rename_is_a_change_column(two_urls: tuple[str, str]) -> None:
    a_sql, b_sql = SCENARIOS["spatial index and a column renamed in case"]
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, a_sql)
        run(other, b_sql)
        statements = diff(snap(db), snap(other)).statements
    script = "\n".join(statements)
    assert "CHANGE COLUMN `Name` `name` varchar(10)" in script
    assert "DROP COLUMN" not in script


def test_an_event_without_starts_is_no_difference(two_urls: tuple[str, str]) -> None:
    """EVERY without STARTS: the server starts the event when it is created and writes that
    time as STARTS (in information_schema and in SHOW CREATE EVENT), so two databases built
    a second apart differ there though their scripts are the same. dbci leaves that STARTS
    out, keeps one given, and an ALTER EVENT without one (the server's STARTS: the time of
    the ALTER) leaves nothing to diff either."""
    event = "create event e on schedule every 1 hour do select 1"
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, [event])
        time.sleep(1.5)
        given = "create event s on schedule every 1 hour starts '2030-01-01' do select 1"
        run(other, [event, given])
        starts = (
            "SELECT starts FROM information_schema.events "
            "WHERE event_schema = DATABASE() AND event_name = 'e'"
        )
        assert db.query(starts) != other.query(starts)  # the server's STARTS differ
        assert show_create(db)[("event", "e")] != show_create(other)[("event", "e")]
        assert [s for s in diff(snap(db), snap(other)).statements if "`e`" in s] == []
        assert "STARTS '2030-01-01 00:00:00'" in snap(other).objects[("event", "", "s")].ddl()

        # B's event e every 2 hours, without STARTS; A's with one: ALTER EVENT, then equal.
        run(db, ["alter event e on schedule every 1 hour starts '2030-01-01'"])
        run(other, ["alter event e on schedule every 2 hour"])
        forward = diff(snap(db), snap(other))
        assert [s for s in forward.statements if "`e`" in s], forward.sql()
        time.sleep(1.1)  # the ALTER's STARTS is another second than B's
        run(db, forward.statements)
        assert not diff(snap(db), snap(other)).statements
