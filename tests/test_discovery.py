"""Finding migrations on disk by Flyway's naming rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.projects import write_project

from dbci.errors import InputError
from dbci.migrate.discovery import discover
from dbci.migrate.naming import MigrationKind
from dbci.settings.config import Overrides, load_settings


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


# Flyway's own messages (org.flywaydb.core.internal.resource.ResourceNameParser.parse).
BAD_NAMES = {
    "V1_init.sql": "Invalid versioned migration name format: V1_init.sql (could not recognise "
    "version number 1_init)",
    "init.sql": "Unrecognised migration name format: init.sql",
    "V1.a__x.sql": "(could not recognise version number 1.a)",
    "R1__x.sql": "Invalid repeatable migration / callback name format: R1__x.sql (It cannot "
    "contain a version and should look like this: R__x.sql)",
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
    assert "invalid migration file name: Invalid versioned migration name format" in str(
        caught.value
    )
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


# Containment (issue 21): files that resolve outside the project are refused before
# they are read; the end-to-end scenarios are in tests/reliability/test_containment.py.

TOKEN = "ghs_discoveryT0kenZ9"


def _link(link: Path, target: str | Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _settings(project: Path):
    return load_settings(Overrides(project=project), environ={})


def test_link_out_of_the_project_is_refused_naming_the_link(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;"})
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text(f"runner:x:1001:1001:{TOKEN}:/home/runner:/bin/sh\n")
    _link(project / "migrations/V2__x.sql", secret)
    with pytest.raises(InputError) as caught:
        discover(_settings(project))
    assert caught.value.exit_code == 2 and caught.value.file == "migrations/V2__x.sql"
    assert str(caught.value) == (
        f"migrations/V2__x.sql: resolves outside the project (to {secret}): refused; "
        "configure a location outside the project explicitly to use one"
    )
    assert TOKEN not in str(caught.value)


def test_link_inside_the_project_is_recorded_as_the_plain_file(tmp_path: Path) -> None:
    text = "CREATE TABLE t (id int);\r\n-- crlf\r\n"
    plain = discover(_settings(write_project(tmp_path / "plain", {"sub/V2__x.sql": text})))
    project = write_project(tmp_path / "project", {})
    (project / "shared").mkdir()
    (project / "shared/any_name.sql.txt").write_text(text)
    _link(project / "migrations/sub/V2__x.sql", "../../shared/any_name.sql.txt")
    linked = discover(_settings(project)).versioned[0]
    expected = plain.versioned[0]
    assert (linked.script, linked.text, linked.description, linked.display_path) == (
        expected.script,
        expected.text,
        expected.description,
        expected.display_path,
    )
    assert linked.script == "sub/V2__x.sql"  # the name as found, not the link's target
    assert linked.path == project / "migrations/sub/V2__x.sql"


def test_location_folder_linked_inside_is_searched_outside_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "db/sql").mkdir(parents=True)
    (project / "db/sql/V1__a.sql").write_text("select 1;")
    _link(project / "migrations", "db/sql")
    assert [m.display_path for m in discover(_settings(project)).versioned] == [
        "migrations/V1__a.sql"
    ]
    (project / "migrations").unlink()
    (tmp_path / "outside").mkdir()
    _link(project / "migrations", "../outside")
    with pytest.raises(InputError) as caught:
        discover(_settings(project))
    assert str(caught.value).startswith("migrations: resolves outside the project (to ")


def test_location_configured_outside_is_allowed(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;"})
    (project / "dbci.toml").write_text('[flyway]\nlocations = ["migrations", "../shared"]\n')
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/V2__b.sql").write_text("select 2;")
    f = discover(_settings(project))
    assert [(m.script, m.display_path) for m in f.versioned] == [
        ("V1__a.sql", "migrations/V1__a.sql"),
        ("V2__b.sql", "../shared/V2__b.sql"),
    ]


def test_vcs_folders_are_never_searched_nor_read(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {})
    (project / "dbci.toml").write_text('[flyway]\nlocations = ["."]\n')
    (project / "V1__a.sql").write_text("select 1;")
    for vcs in (".git", ".hg", ".svn"):
        (project / vcs).mkdir()
        (project / vcs / "V9__hidden.sql").write_text("select 9;")
    assert [m.script for m in discover(_settings(project)).versioned] == ["V1__a.sql"]
    (project / ".git/config").write_text(f"[remote]\n\turl = https://x:{TOKEN}@host/r\n")
    _link(project / "V2__b.sql", ".git/config")
    with pytest.raises(InputError) as caught:
        discover(_settings(project))
    assert caught.value.file == "V2__b.sql"
    assert "resolves into a version-control folder" in str(caught.value)


def test_fifo_named_like_a_migration_is_refused_without_blocking(tmp_path: Path) -> None:
    import os
    import threading

    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;"})
    fifo = project / "migrations/V2__pipe.sql"
    os.mkfifo(fifo)
    done = threading.Event()

    def unblock() -> None:
        # Were the FIFO opened for reading, feed it once so that the test fails, not hangs.
        while not done.wait(0.05):
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue  # no reader: nobody opened it
            os.write(fd, b"select 2;")
            os.close(fd)
            return

    feeder = threading.Thread(target=unblock, daemon=True)
    feeder.start()
    try:
        with pytest.raises(InputError) as caught:
            discover(_settings(project))
    finally:
        done.set()
        feeder.join()
    assert str(caught.value) == "migrations/V2__pipe.sql: is not a regular file (a FIFO): refused"


def test_script_conf_links(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;"})
    (project / "confs").mkdir()
    (project / "confs/a.conf").write_text("executeInTransaction=false\n")
    _link(project / "migrations/V1__a.sql.conf", "../confs/a.conf")
    assert discover(_settings(project)).versioned[0].execute_in_transaction is False
    outside = tmp_path / "a.conf"
    outside.write_text(f"# {TOKEN}\nexecuteInTransaction=false\n")
    (project / "migrations/V1__a.sql.conf").unlink()
    _link(project / "migrations/V1__a.sql.conf", outside)
    with pytest.raises(InputError) as caught:
        discover(_settings(project))
    assert caught.value.file == "migrations/V1__a.sql.conf"
    assert "resolves outside the project" in str(caught.value)


def test_folder_link_loops_end_and_are_not_followed(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;", "s/R__r.sql": "x"})
    _link(project / "migrations/loop", ".")
    _link(project / "migrations/s/up", "..")
    _link(project / "migrations/s/V2__self.sql", "V2__self.sql")  # a link to itself
    with pytest.raises(InputError, match="V2__self.sql: cannot read migration: Too many levels"):
        discover(_settings(project))
    (project / "migrations/s/V2__self.sql").unlink()
    f = discover(_settings(project))
    assert [m.script for m in f.versioned + f.repeatable] == ["V1__a.sql", "s/R__r.sql"]


def test_sql_tests_are_checked_by_discovery(tmp_path: Path) -> None:
    from dbci.stages.build.sql_tests import test_files

    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;"})
    (project / "tests/sql/b").mkdir(parents=True)
    (project / "tests/sql/b/t2.sql").write_text("select 2;")
    (project / "tests/sql/t1.sql").write_text("select 1;")
    _link(project / "tests/sql/t3.sql", "t1.sql")
    assert [p.relative_to(project).as_posix() for p in test_files(_settings(project))] == [
        "tests/sql/b/t2.sql",
        "tests/sql/t1.sql",
        "tests/sql/t3.sql",
    ]
    secret = tmp_path / "secret.sql"
    secret.write_text(TOKEN)
    _link(project / "tests/sql/t4.sql", secret)
    for call in (discover, test_files):
        with pytest.raises(InputError) as caught:
            call(_settings(project))
        assert caught.value.file == "tests/sql/t4.sql"
        assert "set [dbci] tests to a folder outside the project" in str(caught.value)


def test_dangling_links_inside_cannot_be_read_outside_are_refused(tmp_path: Path) -> None:
    """Outside the project, whether the target exists makes no difference to the answer:
    the error is no way to probe the machine's files."""
    project = write_project(tmp_path / "project", {"V1__a.sql": "select 1;"})
    _link(project / "migrations/V2__gone.sql", "gone/V2__gone.sql")
    with pytest.raises(InputError) as caught:
        discover(_settings(project))
    assert str(caught.value) == (
        "migrations/V2__gone.sql: cannot read migration: No such file or directory"
    )
    (project / "migrations/V2__gone.sql").unlink()
    _link(project / "migrations/V2__gone.sql", tmp_path / "nowhere/V2__gone.sql")
    with pytest.raises(InputError, match="V2__gone.sql: resolves outside the project"):
        discover(_settings(project))
