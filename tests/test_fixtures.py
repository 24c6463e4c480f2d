"""The database fixtures themselves work, against real servers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

try:
    from support import postgres
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.support import postgres

USER_TABLES = sa.text(
    "SELECT count(*) FROM information_schema.tables"
    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
)
DATABASE_EXISTS = sa.text("SELECT count(*) FROM pg_database WHERE datname = :name")



def _database_exists(admin_url: str, name: str) -> bool:
    engine = sa.create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(DATABASE_EXISTS, {"name": name}).scalar_one())
    finally:
        engine.dispose()


def test_pg_admin_url_is_maintenance_db_with_psycopg(pg_admin_url: str) -> None:
    url = make_url(pg_admin_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.database == "postgres"
    engine = sa.create_engine(pg_admin_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == "postgres"
    engine.dispose()


@pytest.fixture
def dropped_after_the_test(pg_admin_url: str) -> Iterator[list[str]]:
    """The test puts its `pg_url` database's name here; once `pg_url` is torn down (it was
    set up after this fixture, so it is torn down before), the database must be gone."""
    names: list[str] = []
    yield names
    assert names, "the test never named its database"
    for name in names:
        assert not _database_exists(pg_admin_url, name), f"{name} was not dropped"


# Self-contained: each test checks its own database, in any order, alone or with others.
# `dropped_after_the_test` comes before `pg_url` so that it is set up first, torn down last.
def test_pg_url_is_fresh_empty_and_dropped_after(
    dropped_after_the_test: list[str], pg_url: str, pg_admin_url: str
) -> None:
    url = make_url(pg_url)
    assert url.drivername == "postgresql+psycopg"
    name = url.database
    assert name is not None and name.startswith("dbci_t_") and len(name) == len("dbci_t_") + 8
    assert _database_exists(pg_admin_url, name)
    dropped_after_the_test.append(name)

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == name
        assert conn.execute(USER_TABLES).scalar_one() == 0
        conn.execute(sa.text("CREATE TABLE leftover (id int)"))  # goes with the database
    engine.dispose()


def test_scratch_databases_are_distinct(pg_cluster: postgres.PgCluster) -> None:
    with pg_cluster.scratch_database() as first, pg_cluster.scratch_database() as second:
        assert make_url(first).database != make_url(second).database


def test_scratch_database_dropped_despite_open_connection(pg_cluster: postgres.PgCluster) -> None:
    with pg_cluster.scratch_database() as url:
        name = make_url(url).database
        assert name is not None
        conn = postgres.connect(url)
        assert _database_exists(pg_cluster.admin_url, name)
    assert not _database_exists(pg_cluster.admin_url, name)
    assert conn.broken or conn.closed or _is_dead(conn)
    conn.close()


def _is_dead(conn: psycopg.Connection[object]) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def test_password_server_rejects_wrong_password(
    pg_password_server: postgres.PasswordServer,
) -> None:
    server = pg_password_server
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        postgres.connect(server.url("wrong-pw"))
    with pytest.raises(psycopg.OperationalError, match="password"):  # no password at all
        psycopg.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            dbname=server.database,
            connect_timeout=10,
        )
    engine = sa.create_engine(server.url("wrong-pw"))
    with pytest.raises(sa.exc.OperationalError, match="password authentication failed"):
        engine.connect()
    engine.dispose()


def test_password_server_accepts_right_password(
    pg_password_server: postgres.PasswordServer,
) -> None:
    server = pg_password_server
    assert (server.host, server.user, server.password, server.database) == (
        "127.0.0.1",
        "dbci",
        "s3cret-pw",
        "dbci",
    )
    assert server.url() == f"postgresql+psycopg://dbci:s3cret-pw@127.0.0.1:{server.port}/dbci"
    engine = sa.create_engine(server.url("s3cret-pw"))
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT current_user, current_database(), pg_get_userbyid(datdba)"
                " FROM pg_database WHERE datname = current_database()"
            )
        ).one()
        assert tuple(row) == ("dbci", "dbci", "dbci")
        method = conn.execute(sa.text("SHOW password_encryption")).scalar_one()
        assert method == "scram-sha-256"
    engine.dispose()


def test_sqlite_url(sqlite_url: str, tmp_path: Path) -> None:
    assert sqlite_url == f"sqlite:///{tmp_path / 'test.db'}"
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (42)"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM t")).scalar_one() == 42
    engine.dispose()
    assert (tmp_path / "test.db").is_file()


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "postgres://postgres@127.0.0.1:5432/postgres",
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    ],
)
def test_url_forms_are_normalised(given: str) -> None:
    assert postgres.sqlalchemy_url(given, "other") == (
        "postgresql+psycopg://postgres@127.0.0.1:5432/other"
    )


def test_socket_url_form() -> None:
    given = "postgresql://postgres:@/postgres?host=/tmp/dbci-pgserver-x/pgdata"
    assert postgres.sqlalchemy_url(given, "db1") == (
        "postgresql+psycopg://postgres@/db1?host=/tmp/dbci-pgserver-x/pgdata"
    )
    assert make_url(postgres.sqlalchemy_url(given)).query == {"host": "/tmp/dbci-pgserver-x/pgdata"}


def test_unreachable_url_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(postgres.ENV_URL, f"postgresql://postgres:pw@127.0.0.1:{port}/postgres")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(postgres.PostgresUnavailable, match="cannot be reached") as caught:
        postgres.open_cluster()
    assert "CI=true" in str(caught.value)
    assert ":pw@" not in str(caught.value)
