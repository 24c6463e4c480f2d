"""DB705 fulltext-spatial-index: adding a FULLTEXT or SPATIAL index to an existing
MySQL/MariaDB table blocks writes to it until the index is built (InnoDB builds them in
place, but not with `LOCK=NONE`), and a table's first FULLTEXT index also rebuilds the
table (unless it has an `FTS_DOC_ID` column).

Bad:

    ALTER TABLE articles ADD FULLTEXT INDEX articles_body_ft (title, body);
    CREATE SPATIAL INDEX shops_location_sp ON shops (location);

Good: create the index with the table, or build it on a large table with an online
schema change tool that copies the table in the background (pt-online-schema-change), or
in a maintenance window:

    CREATE TABLE articles (id bigint PRIMARY KEY, title text, body text,
        FULLTEXT INDEX articles_body_ft (title, body));

Flags `ALTER TABLE … ADD FULLTEXT/SPATIAL [INDEX|KEY]` and `CREATE FULLTEXT/SPATIAL INDEX`
on a table the file did not create.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import Word, chunks

MYSQL = frozenset({"mysql", "mariadb"})
_KINDS = ("FULLTEXT", "SPATIAL")


class FulltextSpatialIndex(Rule):
    id = "DB705"
    name = "fulltext-spatial-index"
    severity = "warning"
    dialects = MYSQL

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for chunk in chunks(statement, facts):
            kind = chunk.kind()
            table = chunk.table()
            if not table or chunk.is_new(table):
                continue
            found: Word | None = None
            if kind == "CREATE INDEX":
                found = next((w for w in chunk.words[1:3] if w.text in _KINDS), None)
            elif kind == "ALTER TABLE":
                for action in chunk.actions():
                    top = [w for w in action if w.depth == 0]
                    if top and top[0].text == "ADD" and len(top) > 1 and top[1].text in _KINDS:
                        found = top[1]
                        break
            if found is None:
                continue
            extra = " (a table's first FULLTEXT index also rebuilds it)"
            yield Hit(
                found.segment,
                f"adding a {found.text} index to {table} blocks writes to it until the index "
                f"is built{extra if found.text == 'FULLTEXT' else ''}: for a large table use "
                "pt-online-schema-change or a maintenance window",
                table,
            )
