"""Tests for dbci.sqlsplit.scanner: statement boundaries, line numbers, errors, leading words."""

from __future__ import annotations

import sqlite3

import pytest
from support.splitting import whole_and_windowed

from dbci.errors import InputError
from dbci.sqlsplit import Statement, leading_words, split_statements, split_windows

PG, SQLITE, GENERIC = "postgresql", "sqlite", "generic"
ALL = (PG, SQLITE, GENERIC)


def split(script: str, dialect: str) -> list[tuple[str, int]]:
    return [(s.sql, s.line) for s in split_statements(script, dialect)]


# (dialects, script, expected [(sql, line), ...])
SPLIT_CASES = [
    # --- plain statements, whitespace, final statement without `;`
    (ALL, "SELECT 1;\nSELECT 2;", [("SELECT 1", 1), ("SELECT 2", 2)]),
    (ALL, "SELECT 1;\nSELECT 2\n", [("SELECT 1", 1), ("SELECT 2", 2)]),
    (ALL, "SELECT 1;\n\n  SELECT\n  2  \n", [("SELECT 1", 1), ("SELECT\n  2", 3)]),
    (ALL, "SELECT 1   \n\t;", [("SELECT 1", 1)]),
    (ALL, "SELECT 1; -- done\n", [("SELECT 1", 1)]),
    (ALL, "SELECT 1;\n/* trailing\n comment */\n", [("SELECT 1", 1)]),
    (ALL, "\ufeffSELECT 1;", [("SELECT 1", 1)]),
    # --- nothing to run
    (ALL, "", []),
    (ALL, " \n\t\n", []),
    (ALL, ";;\n;", []),
    (ALL, "-- only a comment\n/* and ; another */\n", []),
    (ALL, "SELECT 1;;\n;SELECT 2;", [("SELECT 1", 1), ("SELECT 2", 2)]),
    # --- comments before a statement are skipped, comments inside are kept
    (ALL, "-- header;\n/* block;\n */\n\nCREATE TABLE t (a int);", [("CREATE TABLE t (a int)", 5)]),
    (
        ALL,
        "SELECT 1 /* keep; */ + 2 -- and; this\n;\nSELECT 3;",
        [("SELECT 1 /* keep; */ + 2 -- and; this", 1), ("SELECT 3", 3)],
    ),
    (ALL, "SELECT 1 -- no newline at the end", [("SELECT 1 -- no newline at the end", 1)]),
    # --- semicolons inside quotes
    (ALL, "SELECT 'a;b';SELECT 2;", [("SELECT 'a;b'", 1), ("SELECT 2", 1)]),
    (ALL, "SELECT 'it''s; ok', '';\nSELECT 2;", [("SELECT 'it''s; ok', ''", 1), ("SELECT 2", 2)]),
    (ALL, 'SELECT "a;""b" FROM t;\nSELECT 2;', [('SELECT "a;""b" FROM t', 1), ("SELECT 2", 2)]),
    (
        ALL,
        "INSERT INTO t VALUES ('a\nb;\nc');\nSELECT 1;",
        [("INSERT INTO t VALUES ('a\nb;\nc')", 1), ("SELECT 1", 4)],
    ),
    ((SQLITE, GENERIC), "SELECT `a;``b` FROM t;", [("SELECT `a;``b` FROM t", 1)]),
    ((SQLITE,), "SELECT [a;b] FROM [t;];", [("SELECT [a;b] FROM [t;]", 1)]),
    ((PG,), "SELECT a[1] FROM t; SELECT 2;", [("SELECT a[1] FROM t", 1), ("SELECT 2", 1)]),
    # --- parentheses: `;` inside them does not end a statement (psql, Flyway)
    (
        ALL,
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b "
        "VALUES (2));\nSELECT 1;",
        [
            (
                "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
                "INSERT INTO b VALUES (2))",
                1,
            ),
            ("SELECT 1", 2),
        ],
    ),
    (ALL, "SELECT ')' FROM t; SELECT 2;", [("SELECT ')' FROM t", 1), ("SELECT 2", 1)]),
    (ALL, "SELECT 1);\nSELECT (2);", [("SELECT 1)", 1), ("SELECT (2)", 2)]),
    # --- block comments: nested in PostgreSQL only
    ((PG,), "/* a /* b; */ c; */ SELECT 1;", [("SELECT 1", 1)]),
    ((SQLITE, GENERIC), "/* a /* b; */ c; */ SELECT 1;", [("c", 1), ("*/ SELECT 1", 1)]),
    ((SQLITE, GENERIC), "SELECT 1;\n/* a /* b */\nSELECT 2;", [("SELECT 1", 1), ("SELECT 2", 3)]),
    (
        ALL,
        "SELECT 1 /**/;/***/SELECT 2 /* * / ; **/;",
        [("SELECT 1 /**/", 1), ("SELECT 2 /* * / ; **/", 1)],
    ),
    # --- PostgreSQL dollar quotes, $1 parameters, identifiers with $
    (
        (PG,),
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;",
        [("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", 1), ("SELECT 2", 2)],
    ),
    (
        (PG,),
        "DO $body$\nBEGIN\n  PERFORM '$$'; -- ;\n  RAISE NOTICE $$x;$$;\nEND\n$body$;\nSELECT 2;",
        [
            ("DO $body$\nBEGIN\n  PERFORM '$$'; -- ;\n  RAISE NOTICE $$x;$$;\nEND\n$body$", 1),
            ("SELECT 2", 7),
        ],
    ),
    ((PG,), "SELECT $_1$;$_1$;", [("SELECT $_1$;$_1$", 1)]),
    (
        (PG,),
        "PREPARE p(int) AS SELECT $1; EXECUTE p(1);",
        [("PREPARE p(int) AS SELECT $1", 1), ("EXECUTE p(1)", 1)],
    ),
    ((PG,), "SELECT $1, $2 ; SELECT $3;", [("SELECT $1, $2", 1), ("SELECT $3", 1)]),
    ((PG,), "SELECT a$b$c FROM t; SELECT 2;", [("SELECT a$b$c FROM t", 1), ("SELECT 2", 1)]),
    # --- PostgreSQL E'' strings: backslash escapes; other dialects do not know them
    (
        (PG,),
        "SELECT E'it\\'s; here', e'\\\\';\nSELECT 2;",
        [("SELECT E'it\\'s; here', e'\\\\'", 1), ("SELECT 2", 2)],
    ),
    ((PG,), "SELECT E'a''b;c';", [("SELECT E'a''b;c'", 1)]),
    # time'...' is a typed literal, not an E string: the backslash is plain text.
    ((PG,), "SELECT time'1\\'; SELECT 2;", [("SELECT time'1\\'", 1), ("SELECT 2", 1)]),
    ((SQLITE, GENERIC), "SELECT E'a\\'; SELECT 2;", [("SELECT E'a\\'", 1), ("SELECT 2", 1)]),
    # --- PostgreSQL BEGIN ATOMIC bodies
    (
        (PG,),
        "CREATE FUNCTION f(x int) RETURNS int\nLANGUAGE sql\nBEGIN ATOMIC\n"
        "  SELECT CASE WHEN x > 0 THEN 1 ELSE CASE WHEN x < 0 THEN -1 END END;\n"
        "  SELECT x;\nEND;\nSELECT f(1);",
        [
            (
                "CREATE FUNCTION f(x int) RETURNS int\nLANGUAGE sql\nBEGIN ATOMIC\n"
                "  SELECT CASE WHEN x > 0 THEN 1 ELSE CASE WHEN x < 0 THEN -1 END END;\n"
                "  SELECT x;\nEND",
                1,
            ),
            ("SELECT f(1)", 7),
        ],
    ),
    (
        (PG,),
        "create or replace procedure p() language sql begin atomic insert into t values (1); "
        "insert into t values (2); end; call p();",
        [
            (
                "create or replace procedure p() language sql begin atomic insert into t "
                "values (1); insert into t values (2); end",
                1,
            ),
            ("call p()", 1),
        ],
    ),
    (
        (PG,),
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN /* c; */ ATOMIC SELECT 1; END;\n"
        "SELECT 2;",
        [
            ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN /* c; */ ATOMIC SELECT 1; END", 1),
            ("SELECT 2", 2),
        ],
    ),
    (
        (PG,),
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
        "SELECT (CASE WHEN true THEN 1 END); SELECT 'end'; END; SELECT 2;",
        [
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
                "SELECT (CASE WHEN true THEN 1 END); SELECT 'end'; END",
                1,
            ),
            ("SELECT 2", 1),
        ],
    ),
    # BEGIN without ATOMIC is no block, even in a CREATE FUNCTION ...
    (
        (PG,),
        "CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT 2;",
        [("CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1'", 1), ("SELECT 2", 1)],
    ),
    # ... and outside CREATE FUNCTION / PROCEDURE BEGIN ATOMIC means nothing.
    ((PG,), "BEGIN; SELECT 1; COMMIT;", [("BEGIN", 1), ("SELECT 1", 1), ("COMMIT", 1)]),
    (
        (PG,),
        "CREATE TABLE atomic (begin int); SELECT 1;",
        [("CREATE TABLE atomic (begin int)", 1), ("SELECT 1", 1)],
    ),
    # Only PostgreSQL knows BEGIN ATOMIC.
    (
        (GENERIC,),
        "CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END;",
        [("CREATE FUNCTION f() BEGIN ATOMIC SELECT 1", 1), ("END", 1)],
    ),
    # --- SQLite triggers
    (
        (SQLITE,),
        "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n"
        "  UPDATE t SET b = CASE WHEN NEW.a > 0 THEN 'pos;' ELSE 'neg' END WHERE a = NEW.a;\n"
        "  INSERT INTO log VALUES ('x'); -- ; END;\nEND;\nINSERT INTO t (a) VALUES (1);",
        [
            (
                "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n"
                "  UPDATE t SET b = CASE WHEN NEW.a > 0 THEN 'pos;' ELSE 'neg' END "
                "WHERE a = NEW.a;\n  INSERT INTO log VALUES ('x'); -- ; END;\nEND",
                1,
            ),
            ("INSERT INTO t (a) VALUES (1)", 6),
        ],
    ),
    (
        (SQLITE,),
        "create /* x */ temp trigger g before delete on t begin select 1; select 2; end; select 3;",
        [
            ("create /* x */ temp trigger g before delete on t begin select 1; select 2; end", 1),
            ("select 3", 1),
        ],
    ),
    (
        (SQLITE,),
        "CREATE TABLE [end] (a); CREATE TEMPORARY TRIGGER g AFTER INSERT ON [end] BEGIN "
        "SELECT 1; END; SELECT 2;",
        [
            ("CREATE TABLE [end] (a)", 1),
            ("CREATE TEMPORARY TRIGGER g AFTER INSERT ON [end] BEGIN SELECT 1; END", 1),
            ("SELECT 2", 1),
        ],
    ),
    # --- CRLF line endings: text kept as is, lines still right
    (
        ALL,
        "SELECT 1;\r\n\r\nSELECT\r\n 2;\r\n/* a\r\n b */ SELECT 3;\r\n",
        [("SELECT 1", 1), ("SELECT\r\n 2", 3), ("SELECT 3", 6)],
    ),
    (
        (PG,),
        "DO $$\r\nBEGIN\r\nEND\r\n$$;\r\n-- x\r\nSELECT 'a\r\nb';\r\nSELECT 3",
        [("DO $$\r\nBEGIN\r\nEND\r\n$$", 1), ("SELECT 'a\r\nb'", 6), ("SELECT 3", 8)],
    ),
]


@pytest.mark.parametrize(
    ("dialect", "script", "expected"),
    [(d, script, expected) for dialects, script, expected in SPLIT_CASES for d in dialects],
)
def test_split(dialect: str, script: str, expected: list[tuple[str, int]]) -> None:
    assert split(script, dialect) == expected


def test_statement_type() -> None:
    [statement] = split_statements("SELECT 1;", PG)
    assert statement == Statement(sql="SELECT 1", line=1)
    with pytest.raises(AttributeError):
        statement.sql = "x"  # type: ignore[misc]


def test_unknown_dialect_is_generic() -> None:
    script = "SELECT $$a;b$$; SELECT `x;y`;"
    assert split(script, "oracle") == split(script, GENERIC)
    assert split(script, "oracle") == [("SELECT $$a", 1), ("b$$", 1), ("SELECT `x;y`", 1)]
    assert split(script, "PostgreSQL") == [("SELECT $$a;b$$", 1), ("SELECT `x", 1), ("y`", 1)]


# (dialects, script, message, line where the unterminated construct starts)
ERROR_CASES = [
    (ALL, "SELECT 1;\nSELECT 'abc;\n\n", "unterminated quoted string", 2),
    (ALL, "SELECT 1,\n  'abc", "unterminated quoted string", 2),
    (ALL, "SELECT 'a''", "unterminated quoted string", 1),
    (ALL, 'SELECT 1;\n\nSELECT "abc;', "unterminated quoted identifier", 3),
    (ALL, "SELECT 1;\n/* never\n closed; */ x; /*", "unterminated block comment", 3),
    (ALL, "SELECT 1;\r\n\r\n/* never closed", "unterminated block comment", 3),
    ((PG,), "SELECT 1;\n/* a /* b */\nSELECT 2;", "unterminated block comment", 2),
    ((PG,), "SELECT 1;\nDO $body$\nBEGIN\n$$;$$", "unterminated dollar-quoted string ($body$)", 2),
    ((PG,), "\n\n\nSELECT $$", "unterminated dollar-quoted string ($$)", 4),
    ((PG,), "SELECT 1;\nSELECT E'abc\\';", "unterminated quoted string", 2),
    ((SQLITE, GENERIC), "SELECT 1;\nSELECT E'it\\'s; here';", "unterminated quoted string", 2),
    ((SQLITE, GENERIC), "SELECT `abc", "unterminated quoted identifier", 1),
    ((SQLITE,), "SELECT 1;\r\nSELECT [abc", "unterminated quoted identifier", 2),
]


@pytest.mark.parametrize(
    ("dialect", "script", "message", "line"),
    [(d, s, msg, line) for dialects, s, msg, line in ERROR_CASES for d in dialects],
)
def test_unterminated(dialect: str, script: str, message: str, line: int) -> None:
    with pytest.raises(InputError) as caught:
        split_statements(script, dialect)
    assert caught.value.message == message
    assert caught.value.line == line
    assert caught.value.exit_code == 2


def test_text_is_never_lost() -> None:
    """Cutting every statement out leaves only blanks, comments and `;`, and lines match."""
    script = (
        "\ufeff-- V1__init.sql\r\n/* header; /* nested */ */\nCREATE TABLE t (a int, b text);\n"
        "INSERT INTO t VALUES (1, 'x;y'), (2, E'\\';'), (3, $q$;$q$);;\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\nEND;\n"
        "/* done */ SELECT f() -- tail\n"
    )
    statements = split_statements(script, PG)
    assert len(statements) == 4
    rest, offset = [], 0
    for statement in statements:
        found = script.index(statement.sql, offset)
        assert script.count("\n", 0, found) + 1 == statement.line
        rest.append(script[offset:found])
        offset = found + len(statement.sql)
    rest.append(script[offset:])
    assert split_statements("".join(rest), PG) == []


def test_sqlite_statements_execute() -> None:
    """What the splitter yields for a trigger script is what sqlite3 itself runs."""
    script = (
        "CREATE TABLE t (a INTEGER, b TEXT);\nCREATE TABLE log (m TEXT);\n"
        "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n"
        "  UPDATE t SET b = CASE WHEN NEW.a > 0 THEN 'pos;' ELSE 'neg' END WHERE a = NEW.a;\n"
        "  INSERT INTO log VALUES ('inserted; ' || NEW.a);\nEND;\n"
        "INSERT INTO t (a) VALUES (1);\nINSERT INTO t (a) VALUES (-1)"
    )
    connection = sqlite3.connect(":memory:")
    try:
        for statement in split_statements(script, SQLITE):
            connection.execute(statement.sql)
        assert connection.execute("SELECT a, b FROM t ORDER BY a").fetchall() == [
            (-1, "neg"),
            (1, "pos;"),
        ]
        assert connection.execute("SELECT count(*) FROM log").fetchone() == (2,)
    finally:
        connection.close()


TRIGGER_SCRIPTS = [
    "CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT 1; END; SELECT 2;",
    "create temp trigger b before update on t for each row begin\n"
    "  update t set x = case when new.y then 'end;' else \"end\" end;\n"
    "  select case end_col when 1 then 2 end from u;\nend\n;\nselect 3;",
    "CREATE TEMPORARY TRIGGER IF NOT EXISTS c AFTER DELETE ON t BEGIN\n"
    "  DELETE FROM u WHERE id = OLD.id; /* ; */ -- END;\n  END /* x */ ;"
    "CREATE TABLE [end] (a); SELECT 1;",
    "CREATE TRIGGER d AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); ENDX; END; SELECT 1;",
]


def _sqlite_shell_split(script: str) -> list[str]:
    # How the sqlite3 shell cuts input: at the first `;` where the text so far is complete.
    chunks, begin = [], 0
    for i, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[begin : i + 1]):
            chunks.append(script[begin : i + 1])
            begin = i + 1
    return [chunk for chunk in chunks if chunk.strip(" \n;")]


@pytest.mark.parametrize("script", TRIGGER_SCRIPTS)
def test_sqlite_triggers_match_sqlite3_complete(script: str) -> None:
    statements = split_statements(script, SQLITE)
    chunks = _sqlite_shell_split(script)
    assert len(statements) == len(chunks) >= 2
    for statement, chunk in zip(statements, chunks, strict=True):
        body = chunk.rstrip()[:-1].rstrip()
        assert body.endswith(statement.sql)
        assert split_statements(body[: len(body) - len(statement.sql)], SQLITE) == []


def test_unclosed_block_or_parenthesis_runs_to_the_end() -> None:
    # As in psql and the sqlite3 shell: the rest of the script is one statement, which the
    # database then rejects at its first line. Each `;` is checked once (linear, not
    # re-scanning the statement), so this stays fast however long the script is.
    tail = "SELECT 2;\n" * 5000
    [trigger] = split_statements(
        f"CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1;\n{tail}", SQLITE
    )
    assert trigger.line == 1 and trigger.sql.endswith("SELECT 2;")
    [atomic] = split_statements(f"CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1;\n{tail}", PG)
    assert atomic.line == 1 and atomic.sql.endswith("SELECT 2;")
    assert split("SELECT (1;\nSELECT 2;", GENERIC) == [("SELECT (1;\nSELECT 2;", 1)]


# (sql, count, expected words)
LEADING_CASES = [
    ("CREATE INDEX CONCURRENTLY idx ON t (a)", 3, ["CREATE", "INDEX", "CONCURRENTLY"]),
    (
        "create /* c */ unique -- x\n index concurrently i",
        4,
        ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"],
    ),
    ("-- lead\n/* a /* nested */ b */ vacuum full", 2, ["VACUUM", "FULL"]),
    ("/* sqlite: a /* b */ drop table t", 2, ["DROP", "TABLE"]),
    ("SELECT 1", 5, ["SELECT"]),
    ("SELECT 1", 0, []),
    ("", 3, []),
    ("/* never closed", 1, []),
    ("ALTER TYPE t ADD VALUE 'x';", 5, ["ALTER", "TYPE", "T", "ADD", "VALUE"]),
    ("alter table public.t\tadd column(x)", 5, ["ALTER", "TABLE", "PUBLIC", "T", "ADD"]),
    ("DO $$ BEGIN END $$ LANGUAGE plpgsql", 3, ["DO", "LANGUAGE", "PLPGSQL"]),
    ("DO $x$ BEGIN $$ END $x$ LANGUAGE plpgsql", 2, ["DO", "LANGUAGE"]),
    ('CREATE TABLE "Begin" (a int)', 3, ["CREATE", "TABLE", '"Begin"']),
    ("SELECT `a b` FROM t", 2, ["SELECT", "`a b`"]),
    ("SELECT $1, 2e5, .5, x1 FROM t", 3, ["SELECT", "X1", "FROM"]),
    ("SELECT E'it\\'s begin', x'ff' AS x", 3, ["SELECT", "AS", "X"]),
    ("SELECT 'it''s begin', a$b FROM t", 3, ["SELECT", "A$B", "FROM"]),
    ("select größe from t", 2, ["SELECT", "GRÖSSE"]),
]


@pytest.mark.parametrize(("sql", "count", "expected"), LEADING_CASES)
def test_leading_words(sql: str, count: int, expected: list[str]) -> None:
    assert leading_words(sql, count) == expected


def test_escape_string_may_escape_a_newline() -> None:
    # E'a\<newline>b': the backslash escapes the line break, the string goes on.
    assert split("SELECT E'a\\\nb'; SELECT 2", "postgresql") == [
        ("SELECT E'a\\\nb'", 1),
        ("SELECT 2", 2),
    ]


# --- a large script, split a window at a time (split_windows) -----------------------------


@pytest.mark.parametrize(
    ("dialect", "script"),
    [(d, script) for dialects, script, _ in SPLIT_CASES for d in dialects]
    + [(d, "\n".join(script for _, script, _ in SPLIT_CASES)) for d in (PG, SQLITE, GENERIC)],
)
@pytest.mark.parametrize("window", [1, 7, 40, 1 << 20])
def test_split_in_windows_is_the_whole_split(dialect: str, script: str, window: int) -> None:
    """Every case of the splitter, cut into windows down to a byte: the same statements,
    lines and repeats as the script split whole (each window ends at a line's end; a
    statement longer than a window widens it)."""
    whole, windowed = whole_and_windowed(script, dialect, window)
    assert windowed == whole


def test_split_in_windows_of_a_large_script_with_wide_characters() -> None:
    """Dollar quotes, multi-line strings and comments, emoji, CRLF, a BOM, a tail without
    terminator, cut at many window sizes: always the whole split."""
    parts = ["\ufeff-- a large data migration 😀"]
    for i in range(400):
        parts += [
            f"INSERT INTO t VALUES ({i}, 'it''s; 😀 東京', E'a\\\\'';b');",
            f"CREATE FUNCTION f{i}() RETURNS int AS $fn$\r\nBEGIN\r\n RETURN 1; -- ;\r\nEND\r\n"
            "$fn$ LANGUAGE plpgsql;",
            f"/* a;\n comment */ SELECT '{i}\n;\n' -- trailing;",
            ";",
        ]
    script = "\n".join(parts) + "\nSELECT 'no terminator'"
    for window in (16, 100, 999, 4096):
        whole, windowed = whole_and_windowed(script, PG, window)
        assert windowed == whole


def test_split_in_windows_reports_an_error_at_its_line_in_the_file() -> None:
    script = "SELECT 1;\n" * 50 + "SELECT 'never closed\n" + "x\n" * 10
    with pytest.raises(InputError) as caught:
        split_windows(script.encode(), PG, 64)
    assert caught.value.line == 51
    assert caught.value.message == "unterminated quoted string"


def test_split_in_windows_refuses_mysql_delimiter_state() -> None:
    with pytest.raises(ValueError):
        split_windows(b"DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n", "mysql")
