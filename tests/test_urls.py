"""JDBC and SQLAlchemy URLs map to one SQLAlchemy URL; bad ones are one clear error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from dbci.errors import InputError
from dbci.settings.urls import parse_database_url


def parse(raw: str):
    return parse_database_url(raw, base_dir=Path("/proj"), where="environment 'dev'")


@pytest.mark.parametrize(
    ("raw", "rendered", "dialect"),
    [
        ("jdbc:postgresql://h:5433/db", "postgresql+psycopg://h:5433/db", "postgresql"),
        (
            "jdbc:postgresql://h/db?user=u&password=p&sslmode=require",
            "postgresql+psycopg://u:***@h/db?sslmode=require",
            "postgresql",
        ),
        ("jdbc:postgresql:db", "postgresql+psycopg://localhost/db", "postgresql"),
        ("jdbc:sqlite:build/x.db", "sqlite+pysqlite:////proj/build/x.db", "sqlite"),
        ("jdbc:sqlite:/abs/x.db", "sqlite+pysqlite:////abs/x.db", "sqlite"),
        ("jdbc:sqlite::memory:", "sqlite+pysqlite://", "sqlite"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:***@h/db", "postgresql"),
        ("postgres://h/db", "postgresql+psycopg://h/db", "postgresql"),
        ("postgresql+psycopg://h/db", "postgresql+psycopg://h/db", "postgresql"),
        ("sqlite:///rel.db", "sqlite+pysqlite:////proj/rel.db", "sqlite"),
        # An Alembic or SQLAlchemy URL naming another driver: dbci connects with its own.
        ("postgresql+psycopg2://h/db", "postgresql+psycopg://h/db", "postgresql"),
        ("postgresql+asyncpg://u@h:6543/db", "postgresql+psycopg://u@h:6543/db", "postgresql"),
    ],
)
def test_urls_map_to_sqlalchemy(raw: str, rendered: str, dialect: str) -> None:
    url = parse(raw)
    assert url.masked() == rendered
    assert url.dialect == dialect


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("localhost:5432/db", "names no database driver"),
        ("jdbc:oracle:thin:@h:1521:x", "unsupported JDBC URL"),
        ("oracle://h/x", "unsupported database 'oracle'"),
        ("postgresql+nosuchdriver://h/db", "unknown driver 'nosuchdriver' for postgresql"),
        ("postgresql://h:notaport/db", "bad port in URL"),
        ("jdbc:postgresql://h:port/db", "bad port"),
    ],
)
def test_bad_urls_are_input_errors(raw: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(raw)
    assert message in str(caught.value)
    assert str(caught.value).startswith("environment 'dev'")


def test_password_never_in_error() -> None:
    with pytest.raises(InputError) as caught:
        parse("nodriver://user:hunter2@h/db")
    assert "hunter2" not in str(caught.value)


def test_missing_driver_module_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyodbc" else real_find_spec(name, *a),
    )
    with pytest.raises(InputError) as caught:
        parse("mssql://h/db")
    assert "module 'pyodbc', which is not installed" in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql+psycopg://u:p@h:5433/db",
        "postgresql+psycopg://us%40er:p%2Fw%3Ard@h/d%20b?sslmode=require&options=-c%20x%3Dy",
        "postgresql+psycopg://u@[::1]:5432/db",
        "postgresql+psycopg:///db?host=/var/run/postgresql",
        "postgresql+psycopg://h/db?host=a&host=b",
        "postgresql+psycopg://",
        "sqlite+pysqlite:////abs/path/x.db",
        "sqlite+pysqlite://",
        "sqlite+pysqlite:///:memory:",
    ],
)
def test_sqlalchemy_urls_parse_and_render_as_sqlalchemy_does(raw: str) -> None:
    """dbci parses SQLAlchemy's URL grammar itself (for start-up time): same result."""
    ours = parse(raw)
    theirs = make_url(raw)
    assert ours.render(hide_password=False) == theirs.render_as_string(hide_password=False)
    assert ours.masked() == theirs.render_as_string(hide_password=True)
    assert ours.to_sqlalchemy() == theirs
