"""Finding migrations on disk by Flyway's naming rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.projects import write_project

from dbci.config import Overrides, load_settings
from dbci.discovery import MigrationKind, discover
from dbci.errors import InputError


def found(tmp_path: Path, files: dict[str, str | bytes], toml: str = ""):
    root = write_project(tmp_path, files, toml or None)
    return discover(load_settings(Overrides(project=root), environ={}))


def test_kinds_versions_descriptions_and_order(tmp_path: Path) -> None:
    f = found(
        tmp_path,
        {
            "V1.10__ten.sql": "select 10;",
            "V1.9__nine.sql": "select 9;",
            "sub/deeper/V2_1__Add_people.sql": "select 21;",
            "U1.9__undo_nine.sql": "select -9;",
            "B1.9__base.sql": "select 0;",
            "R__b_view.sql": "select 'b';",
            "R__a_view.sql": "select 'a';",
            "README.md": "not sql",
            "V1.9__nine.sql.conf": "executeInTransaction=false\n",
            "beforeMigrate.sql": "select 'callback';",
            "afterEachMigrate__log.sql": "select 'callback';",
        },
    )
    assert [m.version.text for m in f.versioned] == ["1.9", "1.10", "2.1"]
    assert f.versioned[2].description == "Add people"
    assert f.versioned[2].script == "sub/deeper/V2_1__Add_people.sql"
    assert f.versioned[2].display_path == "migrations/sub/deeper/V2_1__Add_people.sql"
    assert f.versioned[0].execute_in_transaction is False
    assert f.versioned[1].execute_in_transaction is None
    assert [m.description for m in f.repeatable] == ["a view", "b view"]
    assert [m.kind for m in f.undo + f.baseline] == [MigrationKind.UNDO, MigrationKind.BASELINE]
    assert f.warnings == [] and f.naming_problems == []


def test_duplicate_versions_name_both_files(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        found(tmp_path, {"V1__a.sql": "select 1;", "V1.0__b.sql": "select 1;"})
    message = str(caught.value)
    assert "more than one migration with version 1" in message
    assert "migrations/V1.0__b.sql" in message and "migrations/V1__a.sql" in message


def test_duplicate_repeatable_descriptions(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="repeatable description views"):
        found(tmp_path, {"R__views.sql": "select 1;", "x/R__views.sql": "select 2;"})


BAD_NAMES = {
    "V1_init.sql": "no '__' separator",
    "init.sql": "no V, U, B or R prefix",
    "V1.a__x.sql": "invalid version",
    "R1__x.sql": "a repeatable migration has no version",
}


def test_bad_names_warn_by_default(tmp_path: Path) -> None:
    f = found(tmp_path, {name: "select 1;" for name in BAD_NAMES} | {"V2__ok.sql": "select 2;"})
    assert [m.version.text for m in f.versioned] == ["2"]
    assert len(f.warnings) == len(BAD_NAMES)
    for name, reason in BAD_NAMES.items():
        assert any(name in w and reason in w for w in f.warnings), name


def test_bad_names_are_errors_with_validate_migration_naming(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        found(
            tmp_path,
            {"V1_init.sql": "select 1;", "init.sql": "x"},
            "[flyway]\nvalidateMigrationNaming = true\n",
        )
    assert caught.value.exit_code == 2
    assert "invalid migration file name" in str(caught.value)
    assert "1 more such file" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"select 1;\nselect '\xff\xfe';\n", "is not valid UTF-8", 2),
        (b"select 1;\n\x00\x01binary", "contains NUL bytes", 2),
        (b"", "migration is empty", None),
        (b"  \n\n\t\n", "migration is empty", None),
    ],
    ids=["non-utf8", "nul-bytes", "empty", "whitespace-only"],
)
def test_unreadable_content(tmp_path: Path, content: bytes, message: str, line) -> None:
    with pytest.raises(InputError) as caught:
        found(tmp_path, {"V1__x.sql": content})
    assert message in str(caught.value)
    assert caught.value.file == "migrations/V1__x.sql"
    assert caught.value.line == line


def test_missing_location_warns_or_fails(tmp_path: Path) -> None:
    s = load_settings(Overrides(project=tmp_path), environ={})
    assert "location 'filesystem:migrations' not found" in discover(s).warnings[0]
    (tmp_path / "dbci.toml").write_text("[flyway]\nfailOnMissingLocations = true\n")
    with pytest.raises(InputError, match="not found"):
        discover(load_settings(Overrides(project=tmp_path), environ={}))


def test_bad_script_conf(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        found(tmp_path, {"V1__x.sql": "select 1;", "V1__x.sql.conf": "executeInTransaction=maybe"})
    assert caught.value.file == "migrations/V1__x.sql.conf" and caught.value.line == 1
