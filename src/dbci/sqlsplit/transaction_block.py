"""Which statements PostgreSQL refuses to run inside a transaction block.

PostgreSQL fails these with "… cannot run inside a transaction block" (or "cannot be
executed inside a transaction block"), so dbci runs a migration holding one statement by
statement, outside its transaction. The engine decides so at run time
(`PostgreSQLDatabase.needs_autocommit`) and the analysis when it works out which
statements share a transaction (DB218): both ask `cannot_run_in_transaction_block`, from
the statement's first words, so that neither needs the other (nor a database driver).

The statements, as PostgreSQL's reference pages state it
(https://www.postgresql.org/docs/current/sql-commands.html):

- `VACUUM` (sql-vacuum.html);
- `CREATE INDEX CONCURRENTLY` (sql-createindex.html) and `DROP INDEX CONCURRENTLY`
  (sql-dropindex.html);
- `REINDEX … CONCURRENTLY`, `REINDEX SYSTEM`, `REINDEX DATABASE` and `REINDEX SCHEMA`
  (sql-reindex.html);
- `CREATE DATABASE`, `DROP DATABASE`, `ALTER DATABASE … SET TABLESPACE`
  (sql-createdatabase.html, sql-dropdatabase.html, sql-alterdatabase.html);
- `CREATE TABLESPACE`, `DROP TABLESPACE` (sql-createtablespace.html,
  sql-droptablespace.html);
- `CREATE SUBSCRIPTION`, `DROP SUBSCRIPTION` (sql-createsubscription.html,
  sql-dropsubscription.html: when they create or drop a replication slot, which dbci
  assumes);
- `ALTER SYSTEM` (sql-altersystem.html).

`tests/test_transaction_block.py` asks the server itself about each. Not decided here: a
bare `CLUSTER` (every table; `CLUSTER t` runs in a block, and the analysis's words leave
the name out, so the two cannot be told apart there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# How many of a statement's first words the decision reads.
LEADING_WORDS = 6

# Every statement `cannot_run_in_transaction_block` accepts contains one of these words: a
# caller may skip a statement without any before splitting it into words (the engine does,
# so that a large INSERT is not tokenized to be looked at).
HINT = re.compile(r"concurrently|vacuum|reindex|system|database|tablespace|subscription", re.I)


def cannot_run_in_transaction_block(words: Sequence[str]) -> bool:
    """Whether PostgreSQL refuses a statement inside a transaction block, from its first
    words (upper-cased, comments skipped; only the first `LEADING_WORDS` are read)."""
    words = list(words[:LEADING_WORDS])
    if not words:
        return False
    head = words[0]
    if head == "VACUUM":
        return True
    if head in ("CREATE", "DROP") and "INDEX" in words[:3]:
        return "CONCURRENTLY" in words[:4]
    if head == "REINDEX":
        return "CONCURRENTLY" in words or bool({"SYSTEM", "DATABASE", "SCHEMA"} & set(words[1:3]))
    if head in ("CREATE", "DROP") and words[1:2] in (
        ["DATABASE"],
        ["TABLESPACE"],
        ["SUBSCRIPTION"],
    ):
        return True
    if head == "ALTER" and words[1:2] == ["DATABASE"]:
        # ALTER DATABASE name SET TABLESPACE t (the analysis's words have no name).
        return words[2:4] == ["SET", "TABLESPACE"] or words[3:5] == ["SET", "TABLESPACE"]
    return head == "ALTER" and words[1:2] == ["SYSTEM"]
