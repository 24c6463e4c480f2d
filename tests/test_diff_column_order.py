"""`dbci diff` and column order on PostgreSQL, through the real command line.

PostgreSQL adds a column last and cannot move one: by default a table whose columns are
in another order is no difference (so `--exit-code` passes once the columns are there),
and `--column-order` compares the order and rebuilds the table, keeping its rows. What
the databases hold is read from the database itself (`pg_attribute` order, the rows).
"""

from __future__ import annotations

from pathlib import Path

from support import postgres
from support.postgres import PgCluster

A_SQL = """
CREATE TABLE t (id int PRIMARY KEY, a text, c text);
INSERT INTO t VALUES (1, 'a', 'c');
"""
B_SQL = "CREATE TABLE t (id int PRIMARY KEY, a text, b int, c text);"


def _run(url: str, sql: str) -> None:
    with postgres.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _column_names(url: str) -> list[str]:
    """The columns of public.t in the order PostgreSQL holds them."""
    with postgres.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'public.t'::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ).fetchall()
    return [name for (name,) in rows]


def _rows(url: str) -> list[tuple[object, ...]]:
    with postgres.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT id, a, b, c FROM t ORDER BY id").fetchall()


def test_column_order_is_no_difference_unless_asked(
    pg_cluster: PgCluster, tmp_path: Path, dbci
) -> None:
    with pg_cluster.scratch_database() as url_a, pg_cluster.scratch_database() as url_b:
        _run(url_a, A_SQL)
        _run(url_b, B_SQL)
        sides = ("--source", f"url:{url_a}", "--target", f"url:{url_b}")
        project = ("--project", tmp_path)

        first = dbci(*project, "diff", *sides, "--sql", tmp_path / "add.sql", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        _run(url_a, (tmp_path / "add.sql").read_text())
        assert _column_names(url_a) == ["id", "a", "c", "b"]  # added last
        assert _column_names(url_b) == ["id", "a", "b", "c"]

        # Only the order differs now: no difference, and no statement.
        same = dbci(*project, "diff", *sides, "--exit-code", "--sql", "-", cwd=tmp_path)
        assert same.returncode == 0, same.stdout + same.stderr
        assert same.stdout.strip() == ""

        # Asked for, the order differs, and the table is rebuilt in B's order.
        ordered = dbci(
            *project,
            "diff",
            *sides,
            "--column-order",
            "--exit-code",
            "--sql",
            tmp_path / "order.sql",
            cwd=tmp_path,
        )
        assert ordered.returncode == 1, ordered.stdout + ordered.stderr
        assert "Change (destructive)" in ordered.stdout  # a rebuild: marked destructive
        assert "1 difference" in ordered.stdout
        script = (tmp_path / "order.sql").read_text()
        assert "rebuilt to put its columns in order" in script
        _run(url_a, script)
        assert _column_names(url_a) == _column_names(url_b)
        assert _rows(url_a) == [(1, "a", None, "c")]

        done = dbci(*project, "diff", *sides, "--column-order", "--exit-code", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
