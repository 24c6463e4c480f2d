"""Tests for dbci.sqlsplit.scanner's T-SQL dialect: batches split at `GO [count]` lines as sqlcmd
and SSMS do, repeat counts, quotes and nested comments, line numbers, errors.

There is no SQL Server here to act as an oracle, so the expectations are sqlcmd's
documented rules: GO alone on its line (blanks and a `--` comment may follow), an
optional positive count, never inside a quote or comment; `;` never splits a batch.
"""

from __future__ import annotations

import pytest
from support.splitting import whole_and_windowed

from dbci.errors import InputError
from dbci.sqlsplit import Statement, split_statements

MS = "mssql"


def split(script: str) -> list[tuple[str, int, int]]:
    return [(s.sql, s.line, s.repeat) for s in split_statements(script, MS)]


PROCEDURE = """CREATE PROCEDURE dbo.fill @n int AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @i int = 0;
    WHILE @i < @n
    BEGIN
        SET @i += 1;
        IF @i = 3 GOTO done;
        INSERT INTO [dbo].[nums] ([a], [b;]) VALUES (@i, N'it''s; GO');
    END;
done:
    SELECT 'GO' AS [GO];
END"""

# (script, expected [(sql, line, repeat), ...])
SPLIT_CASES = [
    # --- no GO: the whole script is one batch, `;`s and all
    ("SELECT 1; SELECT 2;\nSELECT 3", [("SELECT 1; SELECT 2;\nSELECT 3", 1, 1)]),
    ("", []),
    ("  \n-- only a comment\n/* and\n another */\n", []),
    ("-- header\n\n  SELECT 1;  \n\n", [("SELECT 1;", 3, 1)]),
    ("\ufeffSELECT 1", [("SELECT 1", 1, 1)]),
    # --- GO spellings
    ("SELECT 1\nGO\nSELECT 2\n", [("SELECT 1", 1, 1), ("SELECT 2", 3, 1)]),
    (
        "SELECT 1\ngo\nSELECT 2\nGo\nSELECT 3\ngO",
        [("SELECT 1", 1, 1), ("SELECT 2", 3, 1)] + [("SELECT 3", 5, 1)],
    ),
    ("SELECT 1\n  GO  \nSELECT 2", [("SELECT 1", 1, 1), ("SELECT 2", 3, 1)]),
    ("SELECT 1\n\tGO\t\nSELECT 2", [("SELECT 1", 1, 1), ("SELECT 2", 3, 1)]),
    ("SELECT 1\nGO -- done; next\nSELECT 2", [("SELECT 1", 1, 1), ("SELECT 2", 3, 1)]),
    ("SELECT 1\nGO--done\nSELECT 2", [("SELECT 1", 1, 1), ("SELECT 2", 3, 1)]),
    # GO at the end of the file, with or without a newline, or more than once
    ("SELECT 1\nGO", [("SELECT 1", 1, 1)]),
    ("SELECT 1\nGO\n", [("SELECT 1", 1, 1)]),
    ("SELECT 1\nGO\nGO\n\nGO 4\n", [("SELECT 1", 1, 1)]),
    ("GO\nSELECT 1\nGO", [("SELECT 1", 2, 1)]),
    ("\ufeffGO\nSELECT 1", [("SELECT 1", 2, 1)]),
    # --- repeat counts
    ("INSERT INTO t DEFAULT VALUES\nGO 5\n", [("INSERT INTO t DEFAULT VALUES", 1, 5)]),
    (
        "SELECT 1\ngo   12   -- twelve\nSELECT 2\nGO 1",
        [("SELECT 1", 1, 12), ("SELECT 2", 3, 1)],
    ),
    ("SELECT 1\nGO 3--c\nSELECT 2", [("SELECT 1", 1, 3), ("SELECT 2", 3, 1)]),
    ("SELECT 1\nGO 007", [("SELECT 1", 1, 7)]),
    # --- not a separator: inside a line, part of a word, inside quotes or comments
    ("SELECT 1 GO\nSELECT 2", [("SELECT 1 GO\nSELECT 2", 1, 1)]),
    ("SELECT 1\nGOTO label\nlabel: SELECT 2", [("SELECT 1\nGOTO label\nlabel: SELECT 2", 1, 1)]),
    ("SELECT 1\nGO.x\nGO(\nGOD", [("SELECT 1\nGO.x\nGO(\nGOD", 1, 1)]),
    ("SELECT 'a\nGO\nb'\nGO", [("SELECT 'a\nGO\nb'", 1, 1)]),
    ("SELECT N'it''s\nGO\n'", [("SELECT N'it''s\nGO\n'", 1, 1)]),
    ('SELECT "a\nGO\n""b"', [('SELECT "a\nGO\n""b"', 1, 1)]),
    ("SELECT [a\nGO\n]]b] FROM t", [("SELECT [a\nGO\n]]b] FROM t", 1, 1)]),
    ("SELECT 1 -- x\nGO\nSELECT 2", [("SELECT 1 -- x", 1, 1), ("SELECT 2", 3, 1)]),
    ("SELECT 1 /* x\nGO\n*/\nGO", [("SELECT 1 /* x\nGO\n*/", 1, 1)]),
    # block comments nest: GO inside the outer one after the inner one closed
    (
        "SELECT 1 /* a /* b */\nGO\n*/\nGO\nSELECT 2",
        [("SELECT 1 /* a /* b */\nGO\n*/", 1, 1), ("SELECT 2", 5, 1)],
    ),
    ("/* a /* b */ c\nGO\n*/ SELECT 1", [("SELECT 1", 3, 1)]),
    # a quote inside a comment is not a quote, a comment inside a quote is not a comment
    ("/* it's */ SELECT 1\nGO\nSELECT '/*'\nGO", [("SELECT 1", 1, 1), ("SELECT '/*'", 3, 1)]),
    ("-- it's\nSELECT '--'\nGO", [("SELECT '--'", 2, 1)]),
    # --- blank-only and comment-only batches are dropped; comments inside are kept
    ("GO\n-- c\nGO 2\n/* x */\nGO\nSELECT 1 -- keep\nGO", [("SELECT 1 -- keep", 6, 1)]),
    # --- a procedure: `;`, GOTO, GO in strings and brackets stay in the batch
    (
        "IF OBJECT_ID('dbo.fill') IS NOT NULL DROP PROCEDURE dbo.fill;\nGO\n" + PROCEDURE + "\nGO\n"
        "EXEC dbo.fill 5;\n",
        [
            ("IF OBJECT_ID('dbo.fill') IS NOT NULL DROP PROCEDURE dbo.fill;", 1, 1),
            (PROCEDURE, 3, 1),
            ("EXEC dbo.fill 5;", 17, 1),
        ],
    ),
    # --- CRLF line endings
    (
        "SELECT 1;\r\nGO\r\n\r\nSELECT\r\n 2\r\nGO 2\r\n/* a\r\n b */ SELECT 3\r\ngo\r\n",
        [("SELECT 1;", 1, 1), ("SELECT\r\n 2", 4, 2), ("SELECT 3", 8, 1)],
    ),
    ("SELECT 'a\r\nGO\r\n'\r\nGO", [("SELECT 'a\r\nGO\r\n'", 1, 1)]),
    # --- line numbers after multi-line quotes and comments
    (
        "SELECT 'a\nb'\nGO\n/* c\n\nd */\n\nSELECT [x\ny]\nGO 2\n\n\nSELECT 3",
        [("SELECT 'a\nb'", 1, 1), ("SELECT [x\ny]", 8, 2), ("SELECT 3", 13, 1)],
    ),
]


@pytest.mark.parametrize(("script", "expected"), SPLIT_CASES)
def test_split(script: str, expected: list[tuple[str, int, int]]) -> None:
    assert split(script) == expected


def test_sqlserver_alias_and_statement_type() -> None:
    script = "SELECT 1\nGO 2\nSELECT 2"
    assert split_statements(script, "sqlserver") == split_statements(script, "MSSQL")
    first, second = split_statements(script, MS)
    assert first == Statement("SELECT 1", 1, 2)
    assert second == Statement("SELECT 2", 3)  # existing callers build Statement(sql, line)
    assert second.repeat == 1
    with pytest.raises(AttributeError):
        first.repeat = 3  # type: ignore[misc]


# (script, message, line where the problem starts)
ERROR_CASES = [
    ("SELECT 1\nGO 0\n", "GO must be followed by a count of at least 1, not 0", 2),
    ("SELECT 1\n\n  go x", "GO must be followed by a count of at least 1, not x", 3),
    ("GO -1\nSELECT 1", "GO must be followed by a count of at least 1, not -1", 1),
    ("SELECT 1\nGO 2 3", "GO must be followed by a count of at least 1, not 2 3", 2),
    ("SELECT 1\nGO 1.5", "GO must be followed by a count of at least 1, not 1.5", 2),
    ("SELECT 1\r\nGO ;\r\n", "GO must be followed by a count of at least 1, not ;", 2),
    ("SELECT 1\nGO\nSELECT 'abc\nGO", "unterminated quoted string", 3),
    ('SELECT 1\nGO\n\nSELECT "abc', "unterminated quoted identifier", 4),
    ("SELECT [abc]]\nGO", "unterminated quoted identifier", 1),
    ("SELECT 1\nGO\n/* a /* b */\nGO\n", "unterminated block comment", 3),
    ("SELECT 1\r\n\r\n/* never closed", "unterminated block comment", 3),
]


@pytest.mark.parametrize(("script", "message", "line"), ERROR_CASES)
def test_errors(script: str, message: str, line: int) -> None:
    with pytest.raises(InputError) as caught:
        split_statements(script, MS)
    assert caught.value.message == message
    assert caught.value.line == line
    assert caught.value.exit_code == 2


def test_text_is_never_lost() -> None:
    """Cutting every batch out leaves only blanks, comments and GO lines; lines match."""
    script = "\nGO\n".join(script for script, _ in SPLIT_CASES if "\ufeff" not in script)
    script = script.replace("\r\n", "\n")
    batches = split_statements(script, MS)
    rest, offset = [], 0
    for batch in batches:
        found = script.index(batch.sql, offset)
        assert script.count("\n", 0, found) + 1 == batch.line
        rest.append(script[offset:found])
        offset = found + len(batch.sql)
    rest.append(script[offset:])
    assert split_statements("".join(rest), MS) == []


@pytest.mark.parametrize("window", [1, 9, 64])
@pytest.mark.parametrize(("script", "expected"), SPLIT_CASES)
def test_split_in_windows_is_the_whole_split(
    script: str, expected: list[tuple[str, int]], window: int
) -> None:
    """A large T-SQL script decoded and split a window at a time (split_windows): the
    same statements, lines and repeats as split whole."""
    whole, windowed = whole_and_windowed(script, MS, window)
    assert windowed == whole
