"""`dbci data refresh --from prod --to qa` on the real MariaDB: the subset, the masks, the
checks of every foreign key and the swap of tables, views and triggers, each checked
against the server's own answers (the filter, a recursive query, information_schema,
mysqldump's output of the whole target)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import mysql
from support.cli import run_dbci
from support.projects import write_project

SALT = "a secret salt for the MariaDB tests"

V1 = """
CREATE TABLE countries (code CHAR(2) PRIMARY KEY, name VARCHAR(100) NOT NULL);
INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France');
CREATE TABLE customers (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    email VARCHAR(200) NOT NULL UNIQUE,
    full_name VARCHAR(200) NOT NULL,
    country_code CHAR(2),
    referred_by BIGINT,
    CONSTRAINT customers_country FOREIGN KEY (country_code) REFERENCES countries (code),
    CONSTRAINT customers_referrer FOREIGN KEY (referred_by) REFERENCES customers (id)
);
CREATE TABLE orders (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    customer_id BIGINT NOT NULL,
    placed_at DATETIME NOT NULL,
    total DECIMAL(12, 2) NOT NULL,
    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE TABLE order_lines (
    order_id BIGINT,
    line_no INT,
    sku VARCHAR(40) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
);
CREATE TABLE audit_log (id BIGINT PRIMARY KEY AUTO_INCREMENT, note VARCHAR(200));
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 300;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW
    INSERT INTO audit_log (note) VALUES (CONCAT('order ', NEW.id));
"""

CONFIG = """
[environments.prod]
url = "{source}"

[environments.qa]
url = "{target}"
provisioner = "clean"

[dbci.data]
orders = "placed_at >= '2024-07-15'"
children = true
children_limit = 0

[dbci.data.mask]
"customers.email" = "email"
"customers.full_name" = "name"
"countries.name" = "keep"
"""

CHOSEN = "SELECT id FROM orders WHERE placed_at >= '2024-07-15' ORDER BY id"


@pytest.fixture
def databases(mysql_server: mysql.MySQLServer) -> Iterator[tuple[str, str]]:
    with mysql_server.scratch_database() as source, mysql_server.scratch_database() as target:
        yield source, target


def _rows(server: mysql.MySQLServer, url: str, sql: str) -> list[tuple[Any, ...]]:
    connection = server.connect(urlsplit(url).path.lstrip("/"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]
    finally:
        connection.close()


def _dbci(project: Path, *args: str, salt: str = SALT) -> subprocess.CompletedProcess[str]:
    return run_dbci("--project", project, *args, env={"DBCI_DATA_SALT": salt})


@pytest.fixture
def project(tmp_path: Path, databases: tuple[str, str], mysql_server: mysql.MySQLServer) -> Path:
    source, target = databases
    root = write_project(
        tmp_path, {"V1__core.sql": V1}, CONFIG.format(source=source, target=target)
    )
    for environment in ("prod", "qa"):
        done = _dbci(root, "-e", environment, "migrate")
        assert done.returncode == 0, done.stderr
    statements = ["INSERT INTO countries VALUES ('US', 'United States'), ('NL', 'Netherlands')"]
    for i in range(1, 41):
        referrer = i - 8 if i > 8 else "NULL"
        statements.append(
            f"INSERT INTO customers VALUES ({i}, 'person{i}@example.com', 'Person Number{i}', "
            f"'{['DE', 'FR', 'US', 'NL'][i % 4]}', {referrer})"
        )
    for i in range(1, 121):
        statements.append(
            f"INSERT INTO orders VALUES ({i}, {(i * 7) % 40 + 1}, "
            f"'2024-03-18' + INTERVAL {i} DAY, {i * 3})"
        )
        statements.append(f"INSERT INTO order_lines VALUES ({i}, 1, 'SKU-{i}'), ({i}, 2, 'X')")
    connection = mysql_server.connect(urlsplit(source).path.lstrip("/"))
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()
    return root


def _dump(url: str) -> str:
    """mysqldump's rows of the whole database, its comments (a date among them) left out."""
    parts = urlsplit(url)
    done = subprocess.run(
        ["mysqldump", "--no-create-info", "--skip-triggers", "--skip-comments",
         f"--host={parts.hostname}", f"--port={parts.port or 3306}",
         f"--user={parts.username}", "--ignore-table="
         f"{parts.path.lstrip('/')}.flyway_schema_history", parts.path.lstrip("/")],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def test_refresh_on_mariadb(
    project: Path, databases: tuple[str, str], mysql_server: mysql.MySQLServer
) -> None:
    source, target = databases
    done = _dbci(project, "data", "refresh", "--from", "prod", "--to", "qa")
    assert done.returncode == 0, done.stderr

    def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
        return _rows(mysql_server, url, sql)

    assert rows(target, CHOSEN) == rows(source, CHOSEN)
    assert rows(target, "SELECT order_id, line_no, sku FROM order_lines ORDER BY 1, 2") == rows(
        source,
        "SELECT order_id, line_no, sku FROM order_lines WHERE order_id IN "
        f"(SELECT id FROM ({CHOSEN}) AS c) ORDER BY 1, 2",
    )
    expected = rows(
        source,
        "WITH RECURSIVE chosen(id) AS ("
        " SELECT customer_id FROM orders WHERE placed_at >= '2024-07-15'"
        " UNION SELECT c.referred_by FROM customers c JOIN chosen ON c.id = chosen.id"
        " WHERE c.referred_by IS NOT NULL) SELECT id FROM chosen ORDER BY id",
    )
    assert rows(target, "SELECT id FROM customers ORDER BY id") == expected
    assert 0 < len(expected) < 40
    # Every foreign key is there, as in the source, and every row keeps it.
    keys = (
        "SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME FROM "
        "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
        "ORDER BY 1"
    )
    assert rows(target, keys) == rows(source, keys)
    for sql in (
        "SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE c.id IS NULL",
        "SELECT COUNT(*) FROM customers c LEFT JOIN customers r ON r.id = c.referred_by "
        "WHERE c.referred_by IS NOT NULL AND r.id IS NULL",
        "SELECT COUNT(*) FROM customers c LEFT JOIN countries k ON k.code = c.country_code "
        "WHERE c.country_code IS NOT NULL AND k.code IS NULL",
        "SELECT COUNT(*) FROM order_lines l LEFT JOIN orders o ON o.id = l.order_id "
        "WHERE o.id IS NULL",
    ):
        assert rows(target, sql) == [(0,)], sql
    # The copy did not fire the trigger (the audit log is the source's, copied whole);
    # the swap put the view and the trigger in place.
    assert rows(target, "SELECT COUNT(*) FROM audit_log") == rows(
        source, "SELECT COUNT(*) FROM audit_log"
    )
    assert rows(target, "SELECT id FROM big_orders ORDER BY id") == rows(
        source,
        f"SELECT id FROM big_orders WHERE id IN (SELECT id FROM ({CHOSEN}) AS c) ORDER BY id",
    )
    rows(
        target,
        "INSERT INTO orders (customer_id, placed_at, total) "
        "SELECT MIN(id), NOW(), 1 FROM customers",
    )
    assert rows(target, "SELECT COUNT(*) FROM audit_log WHERE note LIKE 'order %'")[0][0] == (
        rows(source, "SELECT COUNT(*) FROM audit_log")[0][0] + 1
    )
    assert rows(target, "SELECT version, success FROM flyway_schema_history") == [("1", 1)]
    # No refresh database left behind.
    assert rows(target, "SHOW DATABASES LIKE 'dbci\\_refresh\\_%'") == []

    # No source value of a masked column anywhere in the target.
    dump = _dump(target)
    masked = rows(source, "SELECT email FROM customers UNION ALL SELECT full_name FROM customers")
    assert [v for (v,) in masked if v in dump] == []


def test_one_salt_gives_the_same_target_on_mariadb(
    project: Path, databases: tuple[str, str]
) -> None:
    _source, target = databases
    args = ("data", "refresh", "--from", "prod", "--to", "qa")
    assert _dbci(project, *args).returncode == 0
    first = _dump(target)
    assert _dbci(project, *args).returncode == 0
    assert _dump(target) == first
    assert _dbci(project, *args, salt="another salt").returncode == 0
    assert _dump(target) != first


def test_a_cancelled_refresh_leaves_the_mariadb_target_as_it_was(
    project: Path, databases: tuple[str, str], mysql_server: mysql.MySQLServer
) -> None:
    """SIGTERM while the rows are copied: exit 143, the target's rows and history as they
    were, the new database dropped."""
    source, target = databases
    _rows(
        mysql_server,
        source,
        "INSERT INTO audit_log (note) SELECT CONCAT('bulk ', seq) FROM seq_1_to_1000000",
    )
    _rows(mysql_server, target, "INSERT INTO audit_log (note) VALUES ('old qa row')")
    history = "SELECT version, installed_on FROM flyway_schema_history ORDER BY 1"
    notes = "SELECT note FROM audit_log ORDER BY id"
    before = (_rows(mysql_server, target, notes), _rows(mysql_server, target, history))
    process = subprocess.Popen(
        [sys.executable, "-m", "dbci", "--project", str(project), "data", "refresh",
         "--from", "prod", "--to", "qa"],
        env=dict(os.environ, DBCI_DATA_SALT=SALT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        copying = (
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
            "WHERE INFO LIKE 'INSERT INTO `dbci\\_refresh\\_%`.`audit_log`%'"
        )
        deadline = time.monotonic() + 60
        while _rows(mysql_server, source, copying) == [(0,)]:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the copy of audit_log never started"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("dbci: error: cancelled by SIGTERM")
    after = (_rows(mysql_server, target, notes), _rows(mysql_server, target, history))
    assert after == before
    assert _rows(mysql_server, target, "SHOW DATABASES LIKE 'dbci\\_refresh\\_%'") == []


def test_a_batch_the_branch_refuses_is_named_on_mariadb(
    project: Path, databases: tuple[str, str], mysql_server: mysql.MySQLServer
) -> None:
    """The branch's schema refuses rows of the source (a new CHECK): the refresh fails
    naming the table and the batch of rows, and the target keeps its data."""
    _source, target = databases
    (project / "migrations" / "V2__cap.sql").write_text(
        "ALTER TABLE orders ADD CONSTRAINT orders_cap CHECK (total < 300);\n"
    )
    _rows(mysql_server, target, "INSERT INTO audit_log (note) VALUES ('old qa row')")
    before = _rows(mysql_server, target, "SELECT note FROM audit_log")
    done = _dbci(project, "data", "refresh", "--from", "prod", "--to", "qa")
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "copying " in line and ".orders" in line and "rows 1-" in line, line
    assert "orders_cap" in line
    assert _rows(mysql_server, target, "SELECT note FROM audit_log") == before == [("old qa row",)]
    assert _rows(mysql_server, target, "SHOW DATABASES LIKE 'dbci\\_refresh\\_%'") == []
