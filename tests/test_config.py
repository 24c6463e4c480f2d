"""Config loading: Flyway's TOML layout, precedence, ${env.X}, errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbci.errors import InputError
from dbci.settings.config import Overrides, load_settings

FLYWAY_TOML = """
[environments.dev]
url = "jdbc:postgresql://db.example:5432/app"
user = "app"
password = "${env.APP_PW}"
schemas = ["app", "audit"]

[environments.ci]
url = "jdbc:sqlite:build/ci.db"

[flyway]
environment = "dev"
locations = ["filesystem:sql"]
outOfOrder = true
table = "my_history"
validateMigrationNaming = true

[flyway.placeholders]
owner = "app_owner"

[environments.ci.flyway]
table = "ci_history"
"""


def load(
    tmp_path: Path, text: str | None = FLYWAY_TOML, name: str = "flyway.toml", env=None, **overrides
):
    if text is not None:
        (tmp_path / name).write_text(text)
    return load_settings(Overrides(project=tmp_path, **overrides), environ=env or {})


def test_flyway_toml_layout(tmp_path: Path) -> None:
    s = load(tmp_path, env={"APP_PW": "pw1"})
    assert s.environment == "dev"
    assert s.database.masked() == "postgresql+psycopg://app:***@db.example:5432/app"
    assert s.database.password == "pw1"
    assert s.schemas == ["app", "audit"]
    assert s.locations == ["filesystem:sql"]
    assert s.out_of_order is True
    assert s.table == "my_history"
    assert s.placeholders == {"owner": "app_owner"}
    assert s.validate_migration_naming is True
    assert s.validate_on_migrate is True  # default


def test_dbci_toml_wins_over_flyway_toml(tmp_path: Path) -> None:
    (tmp_path / "flyway.toml").write_text('[flyway]\ntable = "from_flyway"\n')
    s = load(tmp_path, '[flyway]\ntable = "from_dbci"\n', name="dbci.toml")
    assert s.table == "from_dbci"
    assert s.config_file.name == "dbci.toml"


def test_environment_specific_flyway_settings(tmp_path: Path) -> None:
    s = load(tmp_path, environment="ci")
    assert s.table == "ci_history"
    assert s.database.dialect == "sqlite"
    assert s.database.database == str(tmp_path / "build/ci.db")


def test_precedence_command_line_over_env_vars_over_file(tmp_path: Path) -> None:
    env = {
        "APP_PW": "x",
        "DBCI_TABLE": "env_table",
        "DBCI_OUT_OF_ORDER": "false",
        "DBCI_URL": "postgresql://envhost/db",
        "DBCI_PLACEHOLDERS_OWNER": "env_owner",
    }
    s = load(tmp_path, env=env)
    assert s.table == "env_table"
    assert s.out_of_order is False
    assert s.database.host == "envhost"
    assert s.placeholders["owner"] == "env_owner"
    s = load(tmp_path, env=env, url="sqlite:///cli.db", settings={"table": "cli_table"})
    assert s.table == "cli_table"
    assert s.database.dialect == "sqlite"


def test_user_and_password_override_url(tmp_path: Path) -> None:
    s = load(tmp_path, env={"APP_PW": "x"}, user="other", password="secret")
    assert s.database.username == "other"
    assert s.database.password == "secret"
    assert "secret" not in s.database.masked()
    assert "secret" not in repr(s)


def test_missing_env_reference_names_key_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path)
    err = caught.value
    assert "APP_PW is not set" in str(err)
    assert err.file.endswith("flyway.toml") and err.line == 5


def test_env_reference_only_resolved_when_used(tmp_path: Path) -> None:
    s = load(tmp_path, environment="ci")  # dev's ${env.APP_PW} is not needed
    assert s.environment == "ci"


def test_toml_syntax_error_names_file_line_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path, '[flyway]\nlocations = ["a"\ntable = "x"\n')
    err = caught.value
    assert err.exit_code == 2
    assert err.file.endswith("flyway.toml")
    assert (err.line, err.column) == (3, 1)
    assert str(err).startswith(f"{err.file}:3:1: invalid TOML")


def test_wrong_type_names_key_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path, '[flyway]\n\noutOfOrder = "yes"\n')
    assert "flyway.outOfOrder must be true or false" in str(caught.value)
    assert caught.value.line == 3


def test_unknown_environment_lists_known(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path, env={"APP_PW": "x"}, environment="prod")
    assert "unknown environment 'prod' in flyway.toml (known: ci, dev)" in str(caught.value)


def test_no_config_no_url_is_clear(tmp_path: Path) -> None:
    s = load(tmp_path, None)
    with pytest.raises(InputError) as caught:
        s.require_database()
    assert "no database" in str(caught.value)


def test_bad_env_var_value(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path, None, env={"DBCI_OUT_OF_ORDER": "maybe"})
    assert "DBCI_OUT_OF_ORDER must be true or false" in str(caught.value)
