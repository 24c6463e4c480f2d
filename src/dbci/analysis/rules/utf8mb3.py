"""DB703 utf8mb3: MySQL's `utf8` is `utf8mb3`, a deprecated 3-byte encoding that cannot
store emoji or any other 4-byte character (strict mode rejects the row, otherwise the
text is cut off); `utf8mb4` is the real UTF-8.

Bad:

    CREATE TABLE comments (body text CHARACTER SET utf8 COLLATE utf8_general_ci)
        DEFAULT CHARSET = utf8;
    CREATE DATABASE shop CHARACTER SET utf8mb3;

Good:

    CREATE TABLE comments (body text) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_0900_ai_ci;
    CREATE DATABASE shop CHARACTER SET utf8mb4;

Flags `CHARACTER SET`, `CHARSET` and `COLLATE` naming `utf8`, `utf8mb3` or one of their
collations (`utf8_…`, `utf8mb3_…`) in CREATE/ALTER TABLE (column definitions included,
and `CONVERT TO CHARACTER SET`) and CREATE/ALTER DATABASE or SCHEMA, once per statement.
Not flagged: `SET NAMES`, and `CAST`/`CONVERT … USING` in queries (they do not decide
what is stored). On MariaDB `utf8` is `utf8mb3` unless `old_mode` says otherwise; the rule
takes the default.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import Chunk, Word, chunks, unquote

MYSQL = frozenset({"mysql", "mariadb"})
_KINDS = {"CREATE TABLE", "ALTER TABLE", "CREATE DATABASE", "ALTER DATABASE"}


def is_utf8mb3(name: str) -> bool:
    """Whether a character set or collation name is utf8mb3's."""
    name = unquote(name).lower()
    return name in ("utf8", "utf8mb3") or name.startswith(("utf8_", "utf8mb3_"))


class Utf8mb3(Rule):
    id = "DB703"
    name = "utf8mb3"
    severity = "warning"
    dialects = MYSQL

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for chunk in chunks(statement, facts):
            kind = chunk.kind()
            if kind not in _KINDS:
                continue
            found = _first_utf8mb3(chunk)
            if found is None:
                continue
            option, value = found
            where = (
                f"table {chunk.table()}"
                if kind.endswith("TABLE")
                else f"database {chunk.name_after(1)}"
            )
            yield Hit(
                value.segment,
                f"{option} {unquote(value.segment.raw)} on {where} is the 3-byte utf8mb3, "
                "which cannot store emoji or other 4-byte characters: use utf8mb4 "
                "(collation utf8mb4_0900_ai_ci on MySQL 8, utf8mb4_unicode_ci on MariaDB)",
            )


def _first_utf8mb3(chunk: Chunk) -> tuple[str, Word] | None:
    words = chunk.words
    for i, word in enumerate(words):
        if word.text == "CHARACTER" and i + 1 < len(words) and words[i + 1].text == "SET":
            option, at = "CHARACTER SET", i + 1
        elif word.text in ("CHARSET", "COLLATE"):
            option, at = word.text, i
        else:
            continue
        value = chunk.value_after(at)
        if value is not None and is_utf8mb3(value.segment.raw):
            return option, value
    return None
