"""MySQL/MariaDB snapshots and the diff's SQL, on the real server of `DBCI_TEST_MYSQL_URL`.

The round trip is the core (as in `test_diff_roundtrip.py`): each scenario builds schema A
in one scratch database and schema B in another (under different names), snapshots both,
runs the diff's statements from A to B on the first, and snapshots it again: it must now
equal B, and the diff back must take it to A again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from support.databases import count_queries
from test_mysql_schema_truth import ORACLE_CATALOG_KINDS, oracle_differences, show_create

from dbci.engines.base import Database
from dbci.engines.mysql.ddl import create_ddl, mysql_script
from dbci.engines.mysql.engine import MySQLDatabase
from dbci.engines.mysql.snapshot import snapshot_mysql, strip_qualifier
from dbci.schema import snapshot_file
from dbci.schema.diff import diff
from dbci.schema.model import Constraint, Procedure, Snapshot, Table, Trigger, View
from dbci.settings.urls import parse_database_url

# name -> (A's statements, B's statements)
SCENARIOS: dict[str, tuple[list[str], list[str]]] = {
    "add and drop tables": (
        ["create table kept (id int primary key)", "create table old (id int, note text)"],
        [
            "create table kept (id int primary key)",
            "create table fresh (id int auto_increment primary key, kept_id int not null, "
            "code varchar(10) not null unique, key code_prefix (code(3)), "
            "constraint fresh_kept foreign key (kept_id) references kept (id) "
            "on delete cascade) comment 'new one'",
        ],
    ),
    "columns: type, null, default, comment, order": (
        [
            "create table t (id int primary key, a int, b varchar(10) not null, "
            "c decimal(5,2) default 1.5, d text comment 'old', gone int, "
            "ts timestamp null)"
        ],
        [
            "create table t (id int primary key, b varchar(20) null default 'x''y;z', "
            "a bigint unsigned not null default 0, c decimal(5,2), e date default '2020-01-01', "
            "d text comment 'new', ts timestamp not null default current_timestamp "
            "on update current_timestamp, f varchar(5) collate latin1_bin)"
        ],
    ),
    "columns reordered": (
        ["create table t (a int, b int, c int, d int, e int)"],
        ["create table t (d int, b int, x int, a int, e int, c int)"],
    ),
    "auto_increment and primary key": (
        [
            "create table t (id int not null, code varchar(5) not null, primary key (code))",
            "create table u (id int auto_increment primary key, v int)",
        ],
        [
            "create table t (id int not null auto_increment, code varchar(5) not null, "
            "primary key (id))",
            "create table u (id int not null, v int not null, primary key (id, v))",
        ],
    ),
    "unique and check constraints": (
        [
            "create table t (a int, b int, c varchar(20), constraint ab unique (a, b), "
            "constraint positive check (a > 0), constraint gone check (b < 10))"
        ],
        [
            "create table t (a int, b int, c varchar(20), constraint ab unique (b, a), "
            "constraint c_prefix unique (c(4)), constraint positive check (a > 1), "
            "constraint fresh check (c <> 'x'))"
        ],
    ),
    "foreign keys: add, drop, actions": (
        [
            "create table p (id int primary key, code int not null, unique key (code))",
            "create table c (id int primary key, pid int, pcode int, "
            "constraint c_p foreign key (pid) references p (id), "
            "constraint c_code foreign key (pcode) references p (code))",
        ],
        [
            "create table p (id int primary key, code int not null, unique key (code))",
            "create table c (id int primary key, pid int, pcode int, key c_code (pcode), "
            "constraint c_p foreign key (pid) references p (id) "
            "on delete set null on update cascade)",
        ],
    ),
    "foreign key columns retyped": (
        [
            "create table p (id int primary key)",
            "create table c (id int primary key, pid int, "
            "constraint c_p foreign key (pid) references p (id))",
        ],
        [
            "create table p (id bigint primary key)",
            "create table c (id int primary key, pid bigint, "
            "constraint c_p foreign key (pid) references p (id))",
        ],
    ),
    "referenced key changes": (
        [
            "create table p (id int not null, code int not null, primary key (id), "
            "unique key code_key (code))",
            "create table c (pcode int, constraint c_code foreign key (pcode) references p (code))",
        ],
        [
            "create table p (id int not null, code int not null, primary key (id), "
            "unique key code_key (code, id))",
            "create table c (pcode int, constraint c_code foreign key (pcode) references p (code))",
        ],
    ),
    "indexes: add, drop, change, prefix, fulltext": (
        [
            "create table t (id int primary key, a varchar(100), b int, c text, "
            "key a_b (a, b), key b_only (b), key gone (b, id))",
            "create table other (id int primary key, x int)",
        ],
        [
            "create table t (id int primary key, a varchar(100), b int, c text, "
            "key a_b (a(10) desc, b) comment 'prefix', key b_only (b), "
            "fulltext key c_text (c))",
            "create table other (id int primary key, x int, key x_key (x))",
        ],
    ),
    "index a foreign key needs is replaced": (
        [
            "create table p (id int primary key)",
            "create table c (id int primary key, pid int, other int, key narrow (pid), "
            "constraint c_p foreign key (pid) references p (id))",
        ],
        [
            "create table p (id int primary key)",
            "create table c (id int primary key, pid int, other int, key wide (pid, other), "
            "constraint c_p foreign key (pid) references p (id))",
        ],
    ),
    "views: add, change, drop, view on view": (
        [
            "create table t (id int primary key, name varchar(20), price int)",
            "create view names as select id, name from t",
            "create view gone as select id from t",
            "create view upper_names as select id, upper(name) as name from names",
        ],
        [
            "create table t (id int primary key, name varchar(20), price int)",
            "create view names as select id, name, price from t where price > 0",
            "create view upper_names as select id, upper(name) as name, price from names",
            "create view cheap as select * from upper_names where price < 10",
            "create algorithm=merge sql security invoker view checked as "
            "select id, price from t where price > 5 with local check option",
        ],
    ),
    "a view's table is altered": (
        [
            "create table t (id int primary key, old_col int, kept varchar(5))",
            "create view v as select id, old_col, kept from t",
        ],
        [
            "create table t (id int primary key, kept varchar(50), new_col date)",
            "create view v as select id, kept, new_col from t",
        ],
    ),
    "routines: add, change, drop": (
        [
            "create procedure keep_me(in a int) begin select a; end",
            "create procedure changes(in a int, out b int) begin set b = a + 1; end",
            "create function gone(x int) returns int deterministic return x * 2",
            "create function retyped(x int) returns int return x",
        ],
        [
            "create procedure keep_me(in a int) begin select a; end",
            "create procedure changes(in a int, out b int) comment 'twice' "
            "begin declare t int; set t = a * 2; set b = t; end",
            "create function fresh(s varchar(10)) returns varchar(20) deterministic "
            "no sql begin declare r varchar(20); set r = concat(s, ';', s); return r; end",
            "create function retyped(x bigint) returns bigint reads sql data "
            "sql security invoker return x",
        ],
    ),
    "triggers: add, change, drop": (
        [
            "create table t (id int primary key, n int, changed datetime)",
            "create table log (msg varchar(50))",
            "create trigger t_bi before insert on t for each row set new.n = 1",
            "create trigger t_bu before update on t for each row "
            "begin set new.changed = now(); end",
            "create trigger t_ad after delete on t for each row insert into log values ('gone')",
        ],
        [
            "create table t (id int primary key, n int, changed datetime)",
            "create table log (msg varchar(50))",
            "create trigger t_bi before insert on t for each row set new.n = 2",
            "create trigger t_bu before update on t for each row "
            "begin set new.changed = now(); end",
            "create trigger t_ai after insert on t for each row "
            "begin insert into log values ('a;b'); insert into log values (concat('n=', new.n));"
            " end",
        ],
    ),
    "generated columns": (
        [
            "create table t (a int, b int as (a + 1) virtual, c int as (a * 2) stored, "
            "d int as (a - 1) virtual, e int)"
        ],
        [
            "create table t (a int, b int as (a + 2) virtual, c int as (a * 2) virtual, "
            "d int, e int as (a * 3) stored)"
        ],
    ),
    "column checks and json (MariaDB)": (
        ["create table t (a int check (a > 0), b int, doc json, gone int check (gone < 5))"],
        ["create table t (a int check (a > 1), b int check (b <> 0), doc json, more json)"],
    ),
    "a dropped column takes its keys and checks": (
        [
            "create table t (id int auto_increment primary key, a int, b int, "
            "unique key a_key (a), key b_a (b, a), constraint a_pos check (a > 0), "
            "constraint a_b check (a <> b))",
        ],
        ["create table t (b int, key b_a (b))"],
    ),
    "tables and views swap names": (
        [
            "create table x (id int primary key, n int)",
            "create trigger x_bi before insert on x for each row set new.n = 0",
            "create view y as select id from x",
        ],
        [
            "create table y (id int primary key)",
            "create view x as select id, id * 2 as twice from y",
        ],
    ),
    "table comment and engine-neutral options": (
        ["create table t (id int) comment 'before'", "create table u (id int)"],
        ["create table t (id int)", "create table u (id int) comment 'it''s after'"],
    ),
}


# Scenarios whose SHOW CREATE TABLE after the diff lists the same keys and checks as B's
# in another order: MySQL lists them in the order they were added, which the snapshot
# does not hold (checks are sorted by name, indexes are objects of their own). A known
# gap of the snapshot, not of these scenarios: the oracle compares their lines unordered.
KEY_ORDER_GAPS = {"unique and check constraints", "indexes: add, drop, change, prefix, fulltext"}


def _lines(statement: str) -> list[str]:
    """A statement's lines without the commas that end all but the last part."""
    return [line.rstrip(",") for line in statement.splitlines()]


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


def differences(got: Snapshot, want: Snapshot) -> str:
    lines = []
    for key in sorted(set(got.objects) | set(want.objects)):
        if got.objects.get(key) != want.objects.get(key):
            lines.append(f"{key}:\n  got  {got.objects.get(key)}\n  want {want.objects.get(key)}")
    return "\n".join(lines)


@pytest.fixture
def two_urls(mysql_server) -> Iterator[tuple[str, str]]:
    with mysql_server.scratch_database() as first, mysql_server.scratch_database() as second:
        yield first, second


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_round_trip(name: str, two_urls: tuple[str, str]) -> None:
    a_sql, b_sql = SCENARIOS[name]
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, a_sql)
        run(other, b_sql)
        a, b = snap(db), snap(other)
        assert a.objects != b.objects
        for source, target in ((a, b), (b, a)):
            forward = diff(source, target)
            assert forward.statements and forward.changes
            run(db, forward.statements)
            now = snap(db)
            assert now.objects == target.objects, (
                differences(now, target) + "\n\nstatements:\n" + forward.sql()
            )
            assert not diff(now, target).statements
            if target is b:  # SHOW CREATE of the objects dbci rebuilds from the catalog agrees
                got, want = (
                    show_create(db, ORACLE_CATALOG_KINDS),
                    show_create(other, ORACLE_CATALOG_KINDS),
                )
                if name in KEY_ORDER_GAPS:  # the same lines, in another order (see there)
                    got = {k: sorted(_lines(v)) for k, v in got.items()}
                    want = {k: sorted(_lines(v)) for k, v in want.items()}
                assert got == want, oracle_differences(got, want) + "\n\n" + forward.sql()
        # Every kind the scenario has survives the snapshot file.
        assert snapshot_file.loads(snapshot_file.dumps(b), "b").objects == b.objects


def test_snapshot_is_the_same_under_another_database_name(two_urls: tuple[str, str]) -> None:
    schema = SCENARIOS["views: add, change, drop, view on view"][1] + [
        "create table c (id int primary key, tid int, constraint c_t foreign key (tid) "
        "references t (id) on delete cascade)",
        "create trigger c_bi before insert on c for each row begin set new.tid = new.tid; end",
        "create procedure p() select count(*) from c",
    ]
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, schema)
        run(other, schema)
        first, second = snap(db), snap(other)
        assert first.objects == second.objects
        names = first.objects
        view = names[("view", "", "names")]
        assert isinstance(view, View)
        assert db.current_schema() not in view.definition
        assert view.dependencies == (("table", "", "t"),)
        cheap = names[("view", "", "cheap")]
        assert cheap.depends_on() == (("view", "", "upper_names"),)
        checked = names[("view", "", "checked")]
        assert isinstance(checked, View)
        assert checked.options == ("ALGORITHM=MERGE", "SQL SECURITY INVOKER")
        assert checked.check_option == "LOCAL"
        table = names[("table", "", "c")]
        assert isinstance(table, Table)
        fk = next(c for c in table.constraints if c.name == "c_t")
        assert fk == Constraint(
            name="c_t",
            constraint_type="foreign key",
            definition="FOREIGN KEY (`tid`) REFERENCES `t` (`id`) ON DELETE CASCADE",
            references=("", "t"),
        )
        trigger = names[("trigger", "", "c.c_bi")]
        assert isinstance(trigger, Trigger)
        assert trigger.definition.startswith("CREATE TRIGGER `c_bi` BEFORE INSERT ON `c`")
        assert isinstance(names[("procedure", "", "p()")], Procedure)


def test_columns_keys_and_indexes_as_mysql_writes_them(mysql_url: str) -> None:
    with connected(mysql_url) as db:
        run(
            db,
            [
                "create table t (id int unsigned auto_increment primary key, "
                "s varchar(30) not null default 'a' comment 'note', "
                "ts timestamp not null default current_timestamp on update current_timestamp, "
                "g int as (length(s)) stored, j json, key s_prefix (s(5) desc, id), "
                "fulltext key s_text (s)) comment 'the table'",
            ],
        )
        shot = snap(db)
    table = shot.objects[("table", "", "t")]
    assert isinstance(table, Table) and table.comment == "the table"
    columns = {c.name: c for c in table.columns}
    assert (columns["id"].data_type, columns["id"].identity) == (
        "int(10) unsigned",
        "AUTO_INCREMENT",
    )
    assert (columns["s"].default, columns["s"].comment) == ("'a'", "note")
    assert columns["ts"].identity == "ON UPDATE current_timestamp()"
    assert columns["g"].generated == "(octet_length(`s`)) STORED"
    assert [c.constraint_type for c in table.constraints] == [
        "primary key",
        "column check",
    ]
    prefix = shot.objects[("index", "", "s_prefix")]
    assert prefix.definition == "CREATE INDEX `s_prefix` ON `t` (`s`(5) DESC, `id`)"
    text = shot.objects[("index", "", "s_text")]
    assert text.definition == "CREATE FULLTEXT INDEX `s_text` ON `t` (`s`)"


def test_history_table_and_other_schemas(mysql_server, two_urls: tuple[str, str]) -> None:
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        main, second = db.current_schema(), other.current_schema()
        run(db, ["create table flyway_schema_history (x int)", "create table t (id int)"])
        run(other, ["create table t2 (id int primary key)", "create view v2 as select id from t2"])
        shot = snapshot_mysql(db, [main, second], exclude_tables=[(main, "flyway_schema_history")])
    assert sorted(shot.objects) == [
        ("table", "", "t"),
        ("table", second, "t2"),
        ("view", second, "v2"),
    ]
    view = shot.objects[("view", second, "v2")]
    # A second schema's view keeps its qualifiers: it runs from the default schema.
    assert f"`{second}`.`t2`" in view.definition


def test_strip_qualifier_leaves_strings_and_comments() -> None:
    text = "select `db`.`t`.`a` AS `a`,'`db`.`t`' AS `s` from `db`.`t` /* `db`.`x` */"
    assert strip_qualifier(text, "db") == (
        "select `t`.`a` AS `a`,'`db`.`t`' AS `s` from `t` /* `db`.`x` */"
    )


def test_mysql_script_wraps_bodies_in_delimiter() -> None:
    body = "CREATE PROCEDURE `p`()\nbegin select 1; select 2; end"
    script = mysql_script(["CREATE TABLE `t` (`a` text DEFAULT 'x;y')", body, body, "DROP VIEW v"])
    assert script == (
        "CREATE TABLE `t` (`a` text DEFAULT 'x;y');\n"
        f"DELIMITER $$\n{body}$$\n{body}$$\nDELIMITER ;\n"
        "DROP VIEW v;\n"
    )
    other = "CREATE PROCEDURE `p`()\nbegin select '$$'; end"
    assert mysql_script([other]) == f"DELIMITER //\n{other}//\nDELIMITER ;\n"


def test_create_ddl_is_mysqls(mysql_url: str) -> None:
    with connected(mysql_url) as db:
        run(db, SCENARIOS["routines: add, change, drop"][1] + ["create table t (id int)"])
        shot = snap(db)
        # The table options as the server writes them after the column list.
        options = str(db.query("SHOW CREATE TABLE t")[0][1]).rsplit("\n) ", 1)[1]
    table = create_ddl(shot.objects[("table", "", "t")])
    assert table == f"CREATE TABLE `t` (\n  `id` int(11)\n) {options};\n"
    routine = create_ddl(shot.objects[("function", "", "fresh(s varchar(10))")])
    assert routine.startswith("DELIMITER $$\nCREATE FUNCTION `fresh`(`s` varchar(10))")
    result = diff(Snapshot("mysql"), shot)
    assert all("`" in change.after_sql for change in result.changes)


@pytest.mark.skipif(
    shutil.which("mysql") is None,
    reason="no mysql client (Debian: default-mysql-client; .ci/run installs it)",
)
def test_mysql_script_runs_in_the_mysql_client(mysql_server, two_urls: tuple[str, str]) -> None:
    _, b_sql = SCENARIOS["triggers: add, change, drop"]
    b_sql = b_sql + SCENARIOS["routines: add, change, drop"][1]
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(other, b_sql)
        target = snap(other)
        script = mysql_script(diff(snap(db), target).statements)
        name = db.current_schema()
        server = urlsplit(mysql_server.url)
        proc = subprocess.run(
            ["mysql", "-h", server.hostname or "127.0.0.1", "-P", str(server.port or 3306)]
            + ["-u", server.username or "root", name],
            input=script,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "MYSQL_PWD": unquote(server.password or "")},
        )
        assert proc.returncode == 0, proc.stderr + script
        assert snap(db).objects == target.objects


def test_queries_do_not_grow_with_the_tables(mysql_url: str) -> None:
    with connected(mysql_url) as db:
        schema, counts = db.current_schema(), []
        for size in (2, 20):
            run(db, [f"create table t{size}_{i} (id int primary key, v int)" for i in range(size)])
            queries = count_queries(db)
            snapshot_mysql(db, [schema])
            counts.append(queries())
    assert counts == [12, 12]  # the server's version, and one query per kind


def test_snapshot_and_diff_commands(dbci, two_urls: tuple[str, str], tmp_path: Path) -> None:
    a_sql, b_sql = SCENARIOS["routines: add, change, drop"]
    with connected(two_urls[0]) as db, connected(two_urls[1]) as other:
        run(db, a_sql + ["create table flyway_schema_history (x int)"])
        run(other, b_sql)
    first, second = two_urls
    proc = dbci("--url", first, "snapshot", "--to", tmp_path / "a.json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["dialect"] == "mysql"
    names = sorted((o["type"], o["schema"], o["name"]) for o in data["objects"])
    assert ("procedure", "", "changes") in names
    assert not any(n[2] == "flyway_schema_history" for n in names)

    proc = dbci(
        "--output", "json", "diff", "--source", f"snapshot:{tmp_path / 'a.json'}",
        "--target", f"url:{second}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    changes = json.loads(proc.stdout)["changes"]
    fresh = next(c for c in changes if c["name"].startswith("fresh("))
    assert fresh["change"] == "Add" and "CREATE FUNCTION `fresh`" in fresh["after_sql"]

    proc = dbci("diff", "--source", f"url:{first}", "--target", f"url:{second}", "--sql", "-")
    assert proc.returncode == 0, proc.stderr
    assert "DROP FUNCTION IF EXISTS `gone`" in proc.stdout
    assert "CREATE FUNCTION `fresh`" in proc.stdout
