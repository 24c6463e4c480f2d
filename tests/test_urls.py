"""JDBC and SQLAlchemy URLs map to one SQLAlchemy URL; bad ones are one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbci.errors import InputError
from dbci.urls import parse_database_url


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
        ("postgresql+psycopg2://h/db", "module 'psycopg2' is not installed"),
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
