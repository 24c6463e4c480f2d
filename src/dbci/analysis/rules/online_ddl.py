"""DB701 online-ddl: an ALTER TABLE on an existing MySQL/MariaDB table that copies it (and
blocks writes until the copy is done), or that leaves MySQL free to fall back to such a
copy because it does not ask for `ALGORITHM=INPLACE, LOCK=NONE`.

Bad:

    ALTER TABLE orders ADD INDEX orders_customer_idx (customer_id);
    ALTER TABLE orders DROP PRIMARY KEY;
    ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4;

Good: ask for an online change, so that the server refuses the statement rather than
lock the table; for a change that can only copy, use an online schema change tool
(pt-online-schema-change, gh-ost) on a large table:

    ALTER TABLE orders ADD INDEX orders_customer_idx (customer_id), ALGORITHM=INPLACE, LOCK=NONE;
    ALTER TABLE orders ADD COLUMN note varchar(200) NULL, ALGORITHM=INSTANT;
    ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, created_at),
        ALGORITHM=INPLACE, LOCK=NONE;

What it flags, from MySQL 8.0's and MariaDB 10.11's online DDL tables (one finding per
statement, the first that applies; a table the file created is never flagged):

1. Changes only a table copy can make, with writes blocked throughout: `DROP PRIMARY KEY`
   without `ADD PRIMARY KEY` in the same statement; `CONVERT TO CHARACTER SET`; a
   `STORED` generated column added; `ENGINE=` another engine than InnoDB (DB704 also
   flags the engine itself); `PARTITION BY` and `REMOVE PARTITIONING`; `ADD FOREIGN KEY`
   unless the file set `foreign_key_checks = 0` before it; and an `AUTO_INCREMENT`
   column added (in place, but it blocks writes).
2. `ALGORITHM=COPY`, `LOCK=SHARED` or `LOCK=EXCLUSIVE` written out; `ALGORITHM=INSTANT`
   on a change that cannot be instant (the statement fails), or, on MySQL, with a LOCK
   clause other than DEFAULT (MySQL refuses that combination).
3. Changes that can run online but take time (they build an index or rebuild the table)
   without `LOCK=NONE` or `ALGORITHM=INSTANT`: `ADD/DROP COLUMN`, `ADD INDEX/KEY/UNIQUE`
   and `CREATE INDEX`, `ADD PRIMARY KEY`, `ROW_FORMAT`, `KEY_BLOCK_SIZE`, `FORCE`,
   `ENGINE=InnoDB`, a table's default `CHARACTER SET`/`COLLATE`. Without the clause MySQL
   silently picks a locking table copy where it cannot do them in place (an older
   server, a FULLTEXT index on the table, …). `LOCK=NONE` alone is enough: the server
   then refuses to run the change with writes blocked.

Not flagged: changes that only touch metadata (`RENAME COLUMN`, `RENAME INDEX`, `DROP
INDEX`, `ALTER COLUMN … SET/DROP DEFAULT`, `AUTO_INCREMENT=`, `COMMENT=`, `RENAME TO`,
`DROP FOREIGN KEY`, index visibility); `MODIFY`/`CHANGE COLUMN`, which DB201 flags (a
type change copies the table); FULLTEXT and SPATIAL indexes, which DB705 flags; `ADD
CHECK` and partition maintenance (`ADD/DROP/REORGANIZE PARTITION`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import Chunk, Word, chunks, unquote

MYSQL = frozenset({"mysql", "mariadb"})
_ALGORITHMS = {"DEFAULT", "INSTANT", "INPLACE", "NOCOPY", "COPY"}
_LOCKS = {"DEFAULT", "NONE", "SHARED", "EXCLUSIVE"}
_TOOLS = "for a large table use pt-online-schema-change or gh-ost"
_ONLINE = "ALGORITHM=INPLACE, LOCK=NONE"
_BLOCKED = {"SHARED": "writes to", "EXCLUSIVE": "reads and writes to"}

# The SQLFluff dialects whose server refuses ALGORITHM=INSTANT with any LOCK but DEFAULT
# (MySQL does; MariaDB accepts it), declared as a rule declares its `dialects`.
_REFUSES_INSTANT_WITH_LOCK = frozenset({"mysql"})


@dataclass(frozen=True)
class Operation:
    """One action of the statement, as the rule weighs it."""

    word: Word  # where to report it
    what: str  # how the message names it
    copies: str = ""  # why it copies the table or blocks writes ("": it can run online)
    online: bool = True  # False: metadata only, or another rule's
    instant: bool = False  # whether ALGORITHM=INSTANT can do it (MySQL 8.0.29+)


class OnlineDdl(Rule):
    id = "DB701"
    name = "online-ddl"
    severity = "warning"
    dialects = MYSQL

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for chunk in chunks(statement, facts):
            kind = chunk.kind()
            if kind not in ("ALTER TABLE", "CREATE INDEX"):
                continue
            table = chunk.table()
            if not table or chunk.is_new(table):
                continue
            hit = _weigh(chunk, kind, table, facts.dialect, _fk_checks_off(facts, statement))
            if hit is not None:
                yield hit


def _weigh(chunk: Chunk, kind: str, table: str, dialect: str, fk_checks_off: bool) -> Hit | None:
    algorithm, lock = _options(chunk)
    if kind == "CREATE INDEX":
        if {"FULLTEXT", "SPATIAL"} & set(chunk.texts[:3]):
            return None  # DB705
        operations = [Operation(chunk.words[0], "CREATE INDEX")]
    else:
        operations = _operations(chunk, fk_checks_off)
    for op in operations:
        if op.copies:
            return Hit(op.word.segment, f"{op.copies} {table}: {_TOOLS}", table)
    if algorithm is not None and algorithm.text == "COPY":
        return Hit(
            algorithm.segment,
            f"ALGORITHM=COPY copies {table} and blocks writes to it until done: write "
            f"{_ONLINE}, or {_TOOLS}",
            table,
        )
    if lock is not None and lock.text in ("SHARED", "EXCLUSIVE"):
        return Hit(
            lock.segment,
            f"LOCK={lock.text} blocks {_BLOCKED[lock.text]} {table} while it changes: write "
            "LOCK=NONE "
            "(the server then refuses a change it cannot make online)",
            table,
        )
    online = [op for op in operations if op.online]
    if algorithm is not None and algorithm.text == "INSTANT":
        slow = next((op for op in online if not op.instant), None)
        if slow is not None:
            return Hit(
                algorithm.segment,
                f"ALGORITHM=INSTANT cannot {slow.what} on {table}, so the statement fails: "
                f"write {_ONLINE}",
                table,
            )
        if lock is not None and lock.text != "DEFAULT" and dialect in _REFUSES_INSTANT_WITH_LOCK:
            return Hit(
                lock.segment,
                f"MySQL refuses ALGORITHM=INSTANT with LOCK={lock.text} on {table}: "
                "drop the LOCK clause",
                table,
            )
        return None
    if not online or (lock is not None and lock.text == "NONE"):
        return None
    op = online[0]
    clause = f"`, {_ONLINE}`" if kind == "ALTER TABLE" else "`ALGORITHM=INPLACE LOCK=NONE`"
    if op.instant:
        clause += " (or ALGORITHM=INSTANT)"
    return Hit(
        op.word.segment,
        f"{op.what} on {table} without LOCK=NONE may silently copy the table and block "
        f"writes: add {clause} so the server refuses instead",
        table,
    )


def _options(chunk: Chunk) -> tuple[Word | None, Word | None]:
    """The statement's ALGORITHM and LOCK values, where it writes them."""
    algorithm = lock = None
    for i, word in enumerate(chunk.words):
        if word.depth or word.text not in ("ALGORITHM", "LOCK"):
            continue
        value = chunk.value_after(i)
        if value is None:
            continue
        if word.text == "ALGORITHM" and value.text in _ALGORITHMS:
            algorithm = value
        elif word.text == "LOCK" and value.text in _LOCKS:
            lock = value
    return algorithm, lock


def _operations(chunk: Chunk, fk_checks_off: bool) -> list[Operation]:
    actions = chunk.actions()
    adds_pk = any(_top(a)[:2] == ["ADD", "PRIMARY"] or _constraint(a) == "PRIMARY" for a in actions)
    out: list[Operation] = []
    for action in actions:
        op = _operation(action, adds_pk, fk_checks_off)
        if op is not None:
            out.append(op)
    return out


def _top(action: list[Word]) -> list[str]:
    return [w.text for w in action if w.depth == 0]


def _constraint(action: list[Word]) -> str:
    """What an `ADD CONSTRAINT [name] …` adds: PRIMARY, UNIQUE, FOREIGN, CHECK, or ""."""
    words = _top(action)
    if words[:2] != ["ADD", "CONSTRAINT"]:
        return ""
    for word in words[2:4]:
        if word in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
            return word
    return ""


def _operation(action: list[Word], adds_pk: bool, fk_checks_off: bool) -> Operation | None:
    words = _top(action)
    first = action[0]
    head = words[0]
    if head in ("ALGORITHM", "LOCK"):
        return None
    if head in ("MODIFY", "CHANGE"):
        return None  # DB201: a type change copies the table
    if head == "ADD":
        return _add(action, words, adds_pk, fk_checks_off)
    if head == "DROP":
        second = words[1] if len(words) > 1 else ""
        if second == "PRIMARY":
            if adds_pk:
                return Operation(first, "DROP PRIMARY KEY, ADD PRIMARY KEY")
            return Operation(
                first,
                "DROP PRIMARY KEY",
                "dropping the primary key without adding another in the same statement "
                "copies and blocks writes to",
            )
        if second in ("INDEX", "KEY", "FOREIGN", "CHECK", "CONSTRAINT", "PARTITION"):
            return Operation(first, f"DROP {second}", online=False)
        return Operation(first, "DROP COLUMN", instant=True)
    if head == "CONVERT":
        return Operation(
            first, "CONVERT TO", "CONVERT TO CHARACTER SET copies and blocks writes to"
        )
    if head in ("PARTITION", "REMOVE"):
        return Operation(first, head, "repartitioning copies and blocks writes to")
    if head == "ENGINE":
        values = [w for w in action[1:] if w.depth == 0 and w.text != "="]
        engine = unquote(values[0].segment.raw) if values else ""
        if engine.upper() == "INNODB":
            return Operation(first, "ENGINE=InnoDB (a rebuild)")
        return Operation(
            first, "ENGINE", f"changing the storage engine to {engine} copies and blocks writes to"
        )
    if head in ("FORCE", "ROW_FORMAT", "KEY_BLOCK_SIZE"):
        return Operation(first, f"{head} (a rebuild)")
    if head in ("CHARACTER", "CHARSET", "COLLATE") or words[:2] in (
        ["DEFAULT", "CHARACTER"],
        ["DEFAULT", "CHARSET"],
        ["DEFAULT", "COLLATE"],
    ):
        return Operation(first, "changing the default character set (a rebuild)")
    return None  # metadata only (RENAME, ALTER COLUMN … DEFAULT, AUTO_INCREMENT=, …)


def _add(
    action: list[Word], words: list[str], adds_pk: bool, fk_checks_off: bool
) -> Operation | None:
    first = action[0]
    what = _constraint(action) or (words[1] if len(words) > 1 else "")
    if what in ("FULLTEXT", "SPATIAL", "CHECK", "PARTITION"):
        return None  # DB705; a check; partition maintenance
    if what == "PRIMARY":
        return Operation(first, "ADD PRIMARY KEY")
    if what == "FOREIGN":
        if fk_checks_off:
            return Operation(first, "ADD FOREIGN KEY")
        return Operation(
            first,
            "ADD FOREIGN KEY",
            "adding a foreign key with foreign_key_checks on (MySQL then cannot do it in "
            "place) copies and blocks writes to",
        )
    if what in ("INDEX", "KEY", "UNIQUE"):
        return Operation(first, f"ADD {what}")
    # a column: ADD [COLUMN] name type …
    if "STORED" in words or "PERSISTENT" in words:
        return Operation(
            first, "ADD COLUMN", "adding a STORED generated column copies and blocks writes to"
        )
    if "AUTO_INCREMENT" in words:
        return Operation(
            first, "ADD COLUMN", "adding an AUTO_INCREMENT column rebuilds and blocks writes to"
        )
    if "FIRST" in words or "AFTER" in words:
        return Operation(
            first, "ADD COLUMN … FIRST/AFTER (a rebuild before MySQL 8.0.29)", instant=True
        )
    return Operation(first, "ADD COLUMN", instant=True)


def _fk_checks_off(facts: FileFacts, statement: Statement) -> bool:
    """Whether the statements before this one leave foreign_key_checks at 0 (or OFF)."""
    off = False
    for earlier in facts.statements[: statement.index]:
        compact = "".join(earlier.body.raw.upper().split())
        if "FOREIGN_KEY_CHECKS=0" in compact or "FOREIGN_KEY_CHECKS=OFF" in compact:
            off = True
        elif "FOREIGN_KEY_CHECKS=" in compact:
            off = False
    return off
