"""The MySQL/MariaDB engine on the real server (`DBCI_TEST_MYSQL_URL`): history table in
Flyway's MySQL form, non-transactional DDL and its failed rows, GET_LOCK, clean, errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.mysql import MySQLServer
from support.projects import write_project

from dbci.sqlsplit import split_statements


def _database(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _history(server: MySQLServer, url: str) -> list[tuple]:
    return server.execute(
        "SELECT installed_rank, version, script, success FROM flyway_schema_history "
        "ORDER BY installed_rank",
        _database(url),
    )


def test_history_table_is_flyways_mysql_form(tmp_path: Path, mysql_url, mysql_server, dbci):
    write_project(tmp_path, {"V1__init.sql": "CREATE TABLE person (id INT PRIMARY KEY);\n"})
    done = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    columns = mysql_server.execute(
        "SELECT column_name, column_type, is_nullable FROM information_schema.columns "
        f"WHERE table_schema = '{_database(mysql_url)}' AND table_name = 'flyway_schema_history' "
        "ORDER BY ordinal_position"
    )
    assert [(c, t.split("(")[0] if c != "success" else t, n) for c, t, n in columns] == [
        ("installed_rank", "int", "NO"),
        ("version", "varchar", "YES"),
        ("description", "varchar", "NO"),
        ("type", "varchar", "NO"),
        ("script", "varchar", "NO"),
        ("checksum", "int", "YES"),
        ("installed_by", "varchar", "NO"),
        ("installed_on", "timestamp", "NO"),
        ("execution_time", "int", "NO"),
        ("success", "tinyint(1)", "NO"),
    ]
    indexes = mysql_server.execute(
        "SELECT DISTINCT index_name FROM information_schema.statistics "
        f"WHERE table_schema = '{_database(mysql_url)}' AND table_name = 'flyway_schema_history'"
    )
    assert {i for (i,) in indexes} == {"PRIMARY", "flyway_schema_history_s_idx"}
    assert _history(mysql_server, mysql_url) == [(1, "1", "V1__init.sql", 1)]


def test_failure_on_the_third_statement_says_the_first_two_were_applied(
    tmp_path: Path, mysql_url, mysql_server, dbci
):
    bad = (
        "CREATE TABLE a (id INT);\n"
        "CREATE TABLE b (id INT);\n"
        "CREATE TABLE a (id INT);\n"  # line 3: a exists
        "CREATE TABLE c (id INT);\n"
    )
    write_project(tmp_path, {"V1__ok.sql": "CREATE TABLE z (id INT);\n", "V2__bad.sql": bad})
    done = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert done.returncode == 1
    error = done.stderr.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("dbci: error: migrations/V2__bad.sql:3: ")
    assert "Table 'a' already exists" in error
    assert "statements 1 and 2 of 4 had already been applied" in error
    assert "Migrated schema" not in done.stdout or '"2 - bad"' not in done.stdout
    tables = {t for (t,) in mysql_server.execute("SHOW TABLES", _database(mysql_url))}
    assert {"a", "b", "z"} <= tables and "c" not in tables
    assert _history(mysql_server, mysql_url)[-1] == (2, "2", "V2__bad.sql", 0)

    info = dbci("info", "--url", mysql_url, cwd=tmp_path)
    assert "Failed" in info.stdout
    validate = dbci("validate", "--url", mysql_url, cwd=tmp_path)
    assert validate.returncode == 1 and "failed migration version 2" in validate.stdout + (
        validate.stderr
    )
    repair = dbci("repair", "--url", mysql_url, cwd=tmp_path)
    assert repair.returncode == 0, repair.stderr
    assert [row[1] for row in _history(mysql_server, mysql_url)] == ["1"]
    # Fix the database and the script, then the re-run completes.
    mysql_server.execute("DROP TABLE a, b", _database(mysql_url))
    fixed = "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\nCREATE TABLE c (id INT);\n"
    (tmp_path / "migrations" / "V2__bad.sql").write_text(fixed)
    again = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert dbci("validate", "--url", mysql_url, cwd=tmp_path).returncode == 0


def test_a_dml_only_migration_is_all_or_nothing(tmp_path: Path, mysql_url, mysql_server, dbci):
    write_project(
        tmp_path,
        {
            "V1__table.sql": "CREATE TABLE t (id INT PRIMARY KEY);\n",
            "V2__rows.sql": "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n"
            "INSERT INTO t VALUES (1);\n",
        },
    )
    done = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert done.returncode == 1
    assert "migrations/V2__rows.sql:3:" in done.stderr and "Duplicate entry" in done.stderr
    assert "had already been applied" not in done.stderr  # it was rolled back whole
    assert mysql_server.execute("SELECT COUNT(*) FROM t", _database(mysql_url)) == [(0,)]
    assert [row[1] for row in _history(mysql_server, mysql_url)] == ["1"]


def test_a_syntax_error_is_reported_at_its_line_in_the_file(tmp_path: Path, mysql_url, dbci):
    write_project(
        tmp_path,
        {"V1__x.sql": "-- header\nCREATE TABLE t (\n  id INT,\n  name VARCHAR(10) NOT NUL\n);\n"},
    )
    done = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("dbci: error: migrations/V1__x.sql:4: "), done.stderr
    assert "MySQL error 1064" in done.stderr


def test_concurrent_migrations_apply_each_version_once(tmp_path: Path, mysql_url, mysql_server):
    files = {f"V{n}__t{n}.sql": f"CREATE TABLE t{n} (id INT);\n" for n in range(1, 6)}
    write_project(tmp_path, files)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "dbci", "migrate", "--url", mysql_url],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
    history = _history(mysql_server, mysql_url)
    assert [row[1] for row in history] == ["1", "2", "3", "4", "5"]
    assert all(row[3] == 1 for row in history)


def test_migrate_waits_for_flyways_named_lock(tmp_path: Path, mysql_url, mysql_server):
    write_project(tmp_path, {"V1__t.sql": "CREATE TABLE t (id INT);\n"})
    from dbci.engines.postgresql.engine import java_string_hash

    name = f"Flyway-{java_string_hash(f'`{_database(mysql_url)}`.`flyway_schema_history`')}"
    holder = mysql_server.connect()
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", (name,))
            assert cursor.fetchone() == (1,)
        run = subprocess.Popen(
            [sys.executable, "-m", "dbci", "migrate", "--url", mysql_url],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with pytest.raises(subprocess.TimeoutExpired):
            run.wait(timeout=3)
        with holder.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", (name,))
        out, err = run.communicate(timeout=30)
        assert run.returncode == 0, err
    finally:
        holder.close()
    assert [row[1] for row in _history(mysql_server, mysql_url)] == ["1"]


def test_clean_drops_every_kind_of_object(tmp_path: Path, mysql_url, mysql_server, dbci):
    database = _database(mysql_url)
    for statement in [
        "CREATE TABLE a (id INT PRIMARY KEY, b_id INT)",
        "CREATE TABLE b (id INT PRIMARY KEY, a_id INT, FOREIGN KEY (a_id) REFERENCES a (id))",
        "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b (id)",  # a cycle
        "CREATE VIEW v AS SELECT * FROM a",
        "CREATE PROCEDURE p() BEGIN SELECT 1; END",
        "CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1",
        "CREATE TRIGGER tr BEFORE INSERT ON a FOR EACH ROW SET NEW.id = NEW.id",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM a",
        "CREATE SEQUENCE s",
    ]:
        mysql_server.execute(statement, database)
    write_project(tmp_path, {})
    done = dbci("clean", "--url", mysql_url, cwd=tmp_path, env={"DBCI_CLEAN_DISABLED": "false"})
    assert done.returncode == 0, done.stderr
    left = mysql_server.execute(
        f"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{database}'"
    )
    routines = mysql_server.execute(
        f"SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = '{database}'"
    )
    events = mysql_server.execute(
        f"SELECT COUNT(*) FROM information_schema.events WHERE event_schema = '{database}'"
    )
    assert left == routines == events == [(0,)]
    # foreign_key_checks is back on for the session: a fresh migrate enforces them
    write_project(
        tmp_path,
        {
            "V1__fk.sql": "CREATE TABLE p (id INT PRIMARY KEY);\n"
            "CREATE TABLE c (p_id INT, FOREIGN KEY (p_id) REFERENCES p (id));\n"
            "INSERT INTO c VALUES (1);\n"
        },
    )
    failed = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert failed.returncode == 1 and "foreign key constraint fails" in failed.stderr


def test_unreachable_server_and_bad_options_are_one_line(tmp_path: Path, dbci):
    write_project(tmp_path, {"V1__t.sql": "CREATE TABLE t (id INT);\n"})
    down = dbci("info", "--url", "mysql://root:s3cr3t-pw@127.0.0.1:9/db", cwd=tmp_path)
    assert down.returncode == 3
    assert len(down.stderr.strip().splitlines()) == 1 and "cannot connect" in down.stderr
    assert "s3cr3t-pw" not in down.stderr + down.stdout
    option = dbci("info", "--url", "mysql://root@127.0.0.1:3306/test?frobnicate=1", cwd=tmp_path)
    assert option.returncode == 2 and "frobnicate" in option.stderr


def test_a_wrong_password_never_shows(tmp_path: Path, mysql_server, dbci):
    write_project(tmp_path, {})
    url = mysql_server.database_url("test").replace("mysql://root@", "mysql://root:n0t-th1s@")
    done = dbci("info", "--url", url, cwd=tmp_path)
    assert done.returncode == 3 and "Access denied" in done.stderr
    assert "n0t-th1s" not in done.stderr + done.stdout


def test_baseline_undo_and_info(tmp_path: Path, mysql_url, mysql_server, dbci):
    write_project(
        tmp_path,
        {
            "V1__a.sql": "CREATE TABLE a (id INT);\n",
            "V2__b.sql": "CREATE TABLE b (id INT);\n",
            "U2__b.sql": "DROP TABLE b;\n",
        },
    )
    assert dbci("migrate", "--url", mysql_url, cwd=tmp_path).returncode == 0
    undo = dbci("undo", "--url", mysql_url, cwd=tmp_path)
    assert undo.returncode == 0, undo.stderr
    tables = {t for (t,) in mysql_server.execute("SHOW TABLES", _database(mysql_url))}
    assert "b" not in tables and "a" in tables
    assert [r[2] for r in _history(mysql_server, mysql_url)][-1] == "U2__b.sql"
    with mysql_server.scratch_database() as other:
        mysql_server.execute("CREATE TABLE legacy (id INT)", _database(other))
        base = dbci("baseline", "--url", other, "--baseline-version", "1", cwd=tmp_path)
        assert base.returncode == 0, base.stderr
        more = dbci("migrate", "--url", other, cwd=tmp_path)
        assert more.returncode == 0, more.stderr
        assert [r[1] for r in _history(mysql_server, other)] == ["1", "2"]


def test_stored_programs_with_and_without_delimiter(tmp_path: Path, mysql_url, mysql_server, dbci):
    write_project(
        tmp_path,
        {
            "V1__data.sql": "CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(50));\n"
            'INSERT INTO t VALUES (1, \'it\\\'s; here\'), (2, "a \\"b\\""); # a comment\n',
            "V2__with_delimiter.sql": "DELIMITER $$\n"
            "CREATE PROCEDURE bump(IN n INT)\nBEGIN\n  UPDATE t SET id = id + n;\n"
            "  IF n > 10 THEN\n    SET n = 10;\n  END IF;\nEND$$\n"
            "DELIMITER ;\nCALL bump(0);\n",
            "V3__without.sql": "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC\n"
            "BEGIN\n  DECLARE y INT;\n  SET y = x * 2;\n  RETURN y;\nEND;\n"
            "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n"
            "  IF NEW.note IS NULL THEN SET NEW.note = 'none'; END IF;\nEND;\n"
            "INSERT INTO t (id) VALUES (3);\n",
        },
    )
    done = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    database = _database(mysql_url)
    assert mysql_server.execute("SELECT id, note FROM t ORDER BY id", database) == [
        (1, "it's; here"),
        (2, 'a "b"'),
        (3, "none"),
    ]
    assert mysql_server.execute("SELECT twice(21)", database) == [(42,)]
    # The dry run of the same migrations, on a fresh database, is a script that runs as is.
    with mysql_server.scratch_database() as fresh:
        dry = dbci("migrate", "--url", fresh, "--dry-run", "plan.sql", cwd=tmp_path)
        assert dry.returncode == 0, dry.stderr
        script = (tmp_path / "plan.sql").read_text()
        assert "DELIMITER $$" in script
        for statement in split_statements(script, "mysql"):
            mysql_server.execute(statement.sql, _database(fresh))
        assert mysql_server.execute("SELECT twice(2)", _database(fresh)) == [(4,)]
        assert [r[1] for r in _history(mysql_server, fresh)] == ["1", "2", "3"]


def test_a_run_killed_midway_leaves_a_failed_row(tmp_path: Path, mysql_url, mysql_server, dbci):
    # The history row of a migration run outside a transaction is written before its
    # statements and marked successful after them: SIGKILL in between leaves it failed.
    write_project(
        tmp_path,
        {
            "V1__slow.sql": "CREATE TABLE IF NOT EXISTS a (id INT);\nDO SLEEP(30);\n"
            "CREATE TABLE IF NOT EXISTS b (id INT);\n"
        },
    )
    database = _database(mysql_url)
    run = subprocess.Popen(
        [sys.executable, "-m", "dbci", "migrate", "--url", mysql_url],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):  # until the sleep is running
            sleeping = mysql_server.execute(
                "SELECT id FROM information_schema.processlist WHERE info = 'DO SLEEP(30)'"
            )
            if sleeping:
                break
            time.sleep(0.05)
        assert sleeping, "the migration never reached its second statement"
        run.kill()
        run.wait(timeout=10)
        mysql_server.execute(f"KILL {sleeping[0][0]}")
    finally:
        if run.poll() is None:
            run.kill()
    assert _history(mysql_server, mysql_url) == [(1, "1", "V1__slow.sql", 0)]
    assert {t for (t,) in mysql_server.execute("SHOW TABLES", database)} >= {"a"}
    validate = dbci("validate", "--url", mysql_url, cwd=tmp_path)
    assert validate.returncode == 1 and "failed migration version 1" in validate.stdout + (
        validate.stderr
    )
    (tmp_path / "migrations" / "V1__slow.sql").write_text(
        "CREATE TABLE IF NOT EXISTS a (id INT);\nCREATE TABLE IF NOT EXISTS b (id INT);\n"
    )
    assert dbci("repair", "--url", mysql_url, cwd=tmp_path).returncode == 0
    again = dbci("migrate", "--url", mysql_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert _history(mysql_server, mysql_url) == [(1, "1", "V1__slow.sql", 1)]
    assert dbci("validate", "--url", mysql_url, cwd=tmp_path).returncode == 0
