"""`COPY … FROM STDIN` with its data inline in a PostgreSQL migration (pg_dump's idiom).

The reference is Flyway's PostgreSQL support (flyway-database-postgresql):
`PostgreSQLParser` takes a statement whose words read `^COPY( .*)? FROM STDIN`
(COPY_FROM_STDIN_REGEX) as a COPY, skips the rest of the line after its `;`, and reads
the lines after it as its data up to the first line that is `\\.` once trimmed
(`readCopyData`); `PostgreSQLCopyParsedStatement` sends that data through PgJDBC's
`CopyManager.copyIn`, inside the migration's transaction (`canExecuteInTransaction`
true) and never in a JDBC batch. What the data loads into a table is psql's answer:
every end-to-end test loads the same files with `psql -f` into another database and
compares the tables.
"""

from __future__ import annotations

import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import postgres
from support.projects import write_project
from support.splitting import whole_and_windowed

from dbci.errors import InputError
from dbci.sqlsplit import Statement, split_statements

PSQL = "/usr/bin/psql"
HISTORY = "flyway_schema_history"

# --- the splitter ---------------------------------------------------------------------

# The data holds everything that would mean something to the SQL lexer: `;`, quotes, a
# dollar quote, comments, a backslash. None of it may split or open anything.
TRICKY = (
    "create table things (id int, name text);\n"  # line 1
    "COPY public.things (id, name) FROM stdin;\n"  # line 2
    "1\tapple; drop table things;\n"  # line 3
    "2\tit's $$ open\n"  # line 4
    "3\t-- not a comment /* nor this\n"  # line 5
    '4\t"quoted\\tescaped\n'  # line 6
    "\\.\n"  # line 7
    "insert into things values (5, 'after');\n"  # line 8
    "\n"
    "select 'x\n;y';\n"  # line 10
)


def test_copy_data_is_part_of_its_statement_and_never_lexed() -> None:
    assert split_statements(TRICKY, "postgresql") == [
        Statement("create table things (id int, name text)", 1),
        Statement(
            "COPY public.things (id, name) FROM stdin",
            2,
            copy_data=(
                "1\tapple; drop table things;\n"
                "2\tit's $$ open\n"
                "3\t-- not a comment /* nor this\n"
                '4\t"quoted\\tescaped\n'
            ),
        ),
        Statement("insert into things values (5, 'after')", 8),
        Statement("select 'x\n;y'", 10),
    ]
    copy = split_statements(TRICKY, "postgresql")[1]
    assert copy.data_line == 3
    # as written, for psql: the command, its `;`, the data and the `\.` line
    assert copy.written == TRICKY.split("\n", 1)[1].split("\ninsert", 1)[0]


CSV_MULTILINE = (
    "COPY things (id, name) FROM STDIN WITH (FORMAT csv, HEADER true);\n"  # line 1
    "id,name\n"  # line 2
    '1,"two\n'  # line 3
    'lines; and a ""quote""\n'  # line 4
    '\\.x"\n'  # line 5: not the end (more than `\.` on it)
    '2,"$$ -- ;"\n'  # line 6
    "\\.\n"  # line 7
    "SELECT 1;\n"  # line 8
)


def test_csv_quoted_field_over_several_lines() -> None:
    found = split_statements(CSV_MULTILINE, "postgresql")
    assert found == [
        Statement(
            "COPY things (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)",
            1,
            copy_data=CSV_MULTILINE.split("\n", 1)[1].split("\\.\nSELECT", 1)[0],
        ),
        Statement("SELECT 1", 8),
    ]


@pytest.mark.parametrize(
    "command",
    [
        "COPY t FROM STDIN",
        "copy t (a, b) from stdin",
        "COPY t FROM STDIN WITH (FORMAT csv)",
        "COPY t (a) FROM stdin (FORMAT text)",
        "COPY t FROM STDIN DELIMITER ','",
        "COPY t FROM STDIN WITH CSV HEADER",
        "COPY t -- a comment\n  (a)\n  FROM\n  STDIN",
        'COPY "my table" FROM STDIN',
    ],
)
def test_copy_from_stdin_forms(command: str) -> None:
    script = f"{command};\n1\n\\.\nSELECT 2;\n"
    lines = command.count("\n")
    assert split_statements(script, "postgresql") == [
        Statement(command, 1, copy_data="1\n"),
        Statement("SELECT 2", 4 + lines),
    ]


@pytest.mark.parametrize(
    "command",
    [
        "COPY t TO STDOUT",
        "COPY t FROM '/tmp/stdin'",
        "COPY (SELECT 1) TO STDOUT",
        "COPYX FROM STDIN",
    ],
)
def test_other_copies_have_no_inline_data(command: str) -> None:
    found = split_statements(f"{command};\nSELECT 2;\n", "postgresql")
    assert [(s.sql, s.line, s.is_copy) for s in found] == [
        (command, 1, False),
        ("SELECT 2", 2, False),
    ]


def test_the_rest_of_the_copy_line_and_blank_terminators() -> None:
    # A comment after the `;` is allowed (Flyway skips the line); the end line may carry
    # blanks (Flyway trims it); an empty data block is data too.
    script = "COPY t FROM stdin; -- the rows\n  \\.  \r\nCOPY u FROM stdin;\n1\n\\.\n"
    assert split_statements(script, "postgresql") == [
        Statement("COPY t FROM stdin", 1, copy_data=""),
        Statement("COPY u FROM stdin", 3, copy_data="1\n"),
    ]


@pytest.mark.parametrize(
    ("script", "message", "line"),
    [
        ("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n", "unterminated COPY", 2),
        ("SELECT 1;\nCOPY t FROM stdin;", "unterminated COPY", 2),
        ("SELECT 1;\n\nCOPY t FROM stdin; SELECT 2;\n\\.\n", "must end its line", 3),
    ],
)
def test_malformed_copy_blocks_are_input_errors(script: str, message: str, line: int) -> None:
    with pytest.raises(InputError) as raised:
        split_statements(script, "postgresql")
    assert message in raised.value.message and raised.value.line == line


@pytest.mark.parametrize("window", [8, 16, 64, 1 << 20])
def test_windowed_split_keeps_copy_data(window: int) -> None:
    script = TRICKY * 3 + CSV_MULTILINE
    whole, windowed = whole_and_windowed(script, "postgresql", window)
    assert whole == windowed
    from dbci.sqlsplit import split_windows

    pieces = split_windows(script.encode("utf-8"), "postgresql", window)
    assert pieces == split_statements(script, "postgresql")
    assert [s.data_line for s in pieces] == [
        s.data_line for s in split_statements(script, "postgresql")
    ]


def test_other_dialects_do_not_read_copy_data() -> None:
    for dialect in ("mysql", "mssql", "sqlite"):
        found = split_statements("COPY t FROM stdin;\nSELECT 2;\n", dialect)
        assert not any(s.is_copy for s in found)


# --- end to end: dbci migrate against psql -f ------------------------------------------


def flyway_checksum_reference(text: str) -> int:
    """Flyway's ChecksumCalculator: one CRC32 over every line's UTF-8 bytes, read with
    BufferedReader.readLine (terminators \\n, \\r, \\r\\n dropped), stored as a signed int."""
    crc = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


@pytest.fixture
def two_pg(pg_cluster: postgres.PgCluster) -> Iterator[tuple[str, str]]:
    """Two fresh databases: one for dbci migrate, one for psql -f."""
    with pg_cluster.scratch_database() as a, pg_cluster.scratch_database() as b:
        yield a, b


def psql_file(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    """psql -f, stopping at the first error, as a person loads a pg_dump."""
    return subprocess.run(
        [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path), postgres.libpq_url(url)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def history(url: str) -> list[tuple]:
    if not rows(url, f"SELECT 1 FROM pg_tables WHERE tablename = '{HISTORY}'"):
        return []
    return rows(
        url,
        f"SELECT version, script, checksum, success FROM {HISTORY} "
        "WHERE type = 'SQL' ORDER BY installed_rank",
    )


TEXT_V1 = (
    "CREATE TABLE things (id int PRIMARY KEY, name text, note text);\n"
    "\n"
    "--\n"
    "-- Data for Name: things; Type: TABLE DATA; Schema: public; Owner: -\n"
    "--\n"
    "\n"
    "COPY public.things (id, name, note) FROM stdin;\n"
    "1\tapple\t\\N\n"
    "2\tpear\\twith tab\tback\\\\slash\n"
    "3\tsemi; colon\tit's $$ -- not SQL\n"
    "4\tline\\nbreak\t\\x41\\101\n"
    "5\tgrüße ✓\t\n"
    "\\.\n"
    "\n"
    "\n"
    "UPDATE things SET note = 'updated' WHERE id = 5;\n"
    "INSERT INTO things VALUES (6, 'after the copy', NULL);\n"
)
TEXT_V2 = (
    "COPY things (id, name) FROM STDIN (FORMAT text, DELIMITER '|');\n"
    "7|seven\n"
    "8|\\N\n"
    "\\.\n"
    "CREATE TABLE more (k text);\n"
    "COPY more FROM stdin;\n"
    "a\n"
    "\\.\n"
)
TEXT_V3 = "INSERT INTO more VALUES ('v3');\n"
CSV_V4 = (
    "CREATE TABLE people (id int, name text, bio text);\n"
    "COPY people (id, name, bio) FROM STDIN WITH (FORMAT csv, HEADER);\n"
    "id,name,bio\n"
    '1,"Smith, Ann","first line\n'
    'second line; with ""quotes""\n'
    'third"\n'
    "2,Bob,\n"
    '3,"",plain\n'
    "\\.\n"
    "INSERT INTO people VALUES (4, 'after csv', NULL);\n"
)
FILES = {
    "V1__things.sql": TEXT_V1,
    "V2__more.sql": TEXT_V2,
    "V3__plain.sql": TEXT_V3,
    "V4__people.sql": CSV_V4,
}


def load_with_psql(url: str, root: Path, names: list[str]) -> None:
    for name in names:
        done = psql_file(url, root / "migrations" / name)
        assert done.returncode == 0, done.stderr


def test_migrate_loads_what_psql_loads(tmp_path: Path, two_pg: tuple[str, str], dbci) -> None:
    dbci_db, psql_db = two_pg
    root = write_project(tmp_path, FILES)
    done = dbci("--project", root, "--url", dbci_db, "migrate")
    assert done.returncode == 0, done.stderr
    load_with_psql(psql_db, root, list(FILES))
    for query in (
        "SELECT id, name, note FROM things ORDER BY id",
        "SELECT k FROM more ORDER BY k",
        "SELECT id, name, bio FROM people ORDER BY id",
    ):
        assert rows(dbci_db, query) == rows(psql_db, query)
    # What the COPY text and CSV formats mean (PostgreSQL's COPY documentation), as a check
    # that both sides loaded real data and not nothing.
    things = rows(dbci_db, "SELECT id, name, note FROM things ORDER BY id")
    assert things[0] == (1, "apple", None)
    assert things[1] == (2, "pear\twith tab", "back\\slash")
    assert things[3] == (4, "line\nbreak", "AA")
    assert things[4] == (5, "grüße ✓", "updated")
    assert [t[0] for t in things] == [1, 2, 3, 4, 5, 6, 7, 8]
    people = rows(dbci_db, "SELECT id, name, bio FROM people ORDER BY id")
    assert people[0] == (1, "Smith, Ann", 'first line\nsecond line; with "quotes"\nthird')
    assert people[1] == (2, "Bob", None) and people[2] == (3, "", "plain")
    # The history: every migration, successful, with Flyway's checksum of the file.
    assert history(dbci_db) == [
        (name.split("__")[0][1:], name, flyway_checksum_reference(text), True)
        for name, text in FILES.items()
    ]


@pytest.mark.parametrize("path", ["batched", "one_at_a_time"])
@pytest.mark.parametrize(
    ("bad", "line"),
    [
        # text format: the second data row holds a bad integer (line 5 of the file)
        (
            "CREATE TABLE side (a int);\n"
            "INSERT INTO side VALUES (1);\n"
            "COPY things (id, name) FROM stdin;\n"
            "20\ttwenty\n"
            "x\tbad\n"
            "21\ttwenty-one\n"
            "\\.\n"
            "INSERT INTO things VALUES (22, 'never');\n",
            5,
        ),
        # CSV: a quoted field over three lines before the bad row (line 7 of the file)
        (
            "INSERT INTO things VALUES (19, 'first');\n"
            "COPY things (id, name) FROM STDIN WITH (FORMAT csv, HEADER);\n"
            "id,name\n"
            '20,"a\n'
            "b\n"
            'c"\n'
            "x,bad\n"
            "\\.\n",
            7,
        ),
        # text format: a backslash before a line break makes it part of the row (the
        # server counts the row as one line), then the bad row on line 5 of the file
        (
            "COPY things (id, name) FROM stdin;\n"
            "20\tone\\\n"
            "two\\\\\n"
            "21\tthree\n"
            "x\tbad\n"  # line 5: PostgreSQL's "line 3"
            "\\.\n",
            5,
        ),
    ],
    ids=["text", "csv", "text-escaped-newline"],
)
def test_a_bad_data_row_names_its_line_and_applies_nothing(
    tmp_path: Path, pg_url: str, dbci, bad: str, line: int, path: str
) -> None:
    files = {
        "V1__things.sql": "CREATE TABLE things (id int, name text);\n",
        "V2__load.sql": bad,
        "V3__later.sql": "CREATE TABLE later (a int);\n",
    }
    if path == "one_at_a_time":  # a callback makes the runner apply one at a time
        files["afterEachMigrate.sql"] = "SELECT 1;\n"
    root = write_project(tmp_path, files)
    done = dbci("--project", root, "--url", pg_url, "migrate")
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"V2__load.sql:{line}: " in done.stderr
    assert 'invalid input syntax for type integer: "x"' in done.stderr
    assert "COPY things, line" in done.stderr
    # V1 committed; V2 rolled back whole (its INSERT and CREATE too), V3 never ran.
    assert [r[1] for r in history(pg_url)] == ["V1__things.sql"]
    assert rows(pg_url, "SELECT count(*) FROM things") == [(0,)]
    tables = rows(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert sorted(t[0] for t in tables) == sorted([HISTORY, "things"])


def test_dry_run_writes_the_data_block_as_written(
    tmp_path: Path, two_pg: tuple[str, str], dbci
) -> None:
    script_db, migrate_db = two_pg
    root = write_project(tmp_path, FILES)
    out = tmp_path / "dry.sql"
    dry = dbci("--project", root, "--url", script_db, "migrate", "--dry-run", out)
    assert dry.returncode == 0, dry.stderr
    text = out.read_text(encoding="utf-8")
    for block in (
        TEXT_V1[TEXT_V1.index("COPY") : TEXT_V1.index("\\.\n") + 2],
        TEXT_V2[: TEXT_V2.index("\\.\n") + 2],
        CSV_V4[CSV_V4.index("COPY") : CSV_V4.index("\\.\n") + 2],
    ):
        assert block + "\n" in text
    assert history(script_db) == []  # nothing executed
    # The script runs in psql and leaves what migrate leaves, history rows included.
    ran = psql_file(script_db, out)
    assert ran.returncode == 0, ran.stderr
    live = dbci("--project", root, "--url", migrate_db, "migrate")
    assert live.returncode == 0, live.stderr
    for query in (
        "SELECT id, name, note FROM things ORDER BY id",
        "SELECT k FROM more ORDER BY k",
        "SELECT id, name, bio FROM people ORDER BY id",
    ):
        assert rows(script_db, query) == rows(migrate_db, query)
    assert history(script_db) == history(migrate_db)
    assert [h[2] for h in history(script_db)] == [
        flyway_checksum_reference(t) for t in FILES.values()
    ]
