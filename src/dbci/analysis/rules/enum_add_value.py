"""DB217 enum-add-value: `ALTER TYPE … ADD VALUE … BEFORE` (or `AFTER`) puts the new
value between existing ones, and inside an explicit `BEGIN` … `COMMIT` block `ADD VALUE`
fails on PostgreSQL before 12.

A value added in the middle changes what `ORDER BY`, `<`, `min()` and ranges over the
type return to code written against the old order, and comparisons with it are slower
(PostgreSQL looks its sort order up in the catalog). Inside a transaction block, PostgreSQL
before 12 refuses `ADD VALUE` ("cannot run inside a transaction block"); 12 and later run
it, but the new value cannot be used until the transaction commits (DB218).

Bad:

    ALTER TYPE order_status ADD VALUE 'on_hold' BEFORE 'shipped';

Good: at the end, in a migration of its own:

    ALTER TYPE order_status ADD VALUE 'on_hold';

DB218 enum-value-in-transaction: a value added by `ALTER TYPE … ADD VALUE` is used later
in the same transaction. PostgreSQL refuses it until the transaction that added it
commits ("unsafe use of new value"), and dbci runs a migration in one transaction (as
Flyway does, unless it holds a statement that cannot run in one, has its own `BEGIN` …
`COMMIT`, or its `.conf` says `executeInTransaction=false`): the migration fails. With
`group = true` every pending migration shares one transaction, so add the value in a
release of its own.

Bad:

    ALTER TYPE order_status ADD VALUE 'on_hold';
    UPDATE orders SET status = 'on_hold' WHERE paused;

Good: the value in one migration, its use in the next:

    ALTER TYPE order_status ADD VALUE 'on_hold';

A use is the value's string literal in a later statement of the same transaction. It is
reported for a type created earlier in the same transaction too, which only recent
PostgreSQL versions allow.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, code_children, keywords, object_name
from dbci.sqlsplit.transaction_block import LEADING_WORDS, cannot_run_in_transaction_block


class EnumAddValue(Rule):
    id = "DB217"
    name = "enum-add-value"
    severity = "info"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        added = added_value(statement)
        if added is None:
            return
        type_name, value, _ = added
        words = statement.keywords()
        place = next((w for w in words if w in ("BEFORE", "AFTER")), None)
        if place is not None:
            yield Hit(
                statement.body,
                f"{value} is added to {type_name} {place} an existing value, which puts it "
                "between existing ones (unless after the last) and changes what ORDER BY and "
                "comparisons on the type return",
            )
        block = explicit_blocks(facts)[statement.index]
        if block is not None and not _created_in(type_name, facts, block, statement.index):
            yield Hit(
                statement.body,
                f"ALTER TYPE {type_name} ADD VALUE inside BEGIN … COMMIT fails on PostgreSQL "
                "before 12, and its value cannot be used until the block commits",
            )


class EnumValueInTransaction(Rule):
    id = "DB218"
    name = "enum-value-in-transaction"
    severity = "error"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for literal, type_name, value in _first_uses(facts).get(statement.index, []):
            yield Hit(
                literal,
                f"{value} is added to {type_name} earlier in this transaction and cannot be "
                "used before it commits (unsafe use of new value): add it in an earlier "
                "migration",
            )


def added_value(statement: Statement) -> tuple[str, str, Any] | None:
    """(the type, the value's literal as written, its segment) of `ALTER TYPE t ADD VALUE
    'v'`, or None for any other statement."""
    if statement.kind != "alter_type_statement":
        return None
    children = code_children(statement.body)
    words = keywords(children)
    if "VALUE" not in words or "ADD" not in words:
        return None
    literal = next((s for s in children if s.is_type("quoted_literal")), None)
    if literal is None:
        return None
    return _type_named(statement), literal.raw, literal


def _type_named(statement: Statement) -> str:
    """The type a CREATE TYPE or ALTER TYPE names."""
    children = code_children(statement.body)
    return object_name(next((s for s in children if s.is_type("object_reference")), None))


_Uses = dict[int, list[tuple[Any, str, str]]]
# The last file's uses, found once: the rule asks for each statement of the file (a file of
# 10,000 INSERTs must not be scanned 10,000 times).
_last: tuple[weakref.ref[FileFacts], _Uses] | None = None


def _first_uses(facts: FileFacts) -> _Uses:
    """By statement index, the first use of each value an earlier `ADD VALUE` of the same
    transaction added: (the literal, the type, the value as written)."""
    global _last
    cached = _last
    if cached is None or cached[0]() is not facts:
        cached = _last = (weakref.ref(facts), _find_first_uses(facts))
    return cached[1]


def _find_first_uses(facts: FileFacts) -> _Uses:
    pending = [(s.index, a) for s in facts.statements if (a := added_value(s)) is not None]
    uses: _Uses = {}
    if not pending:
        return uses
    transactions = transactions_of(facts)
    for statement in facts.statements:
        if statement.kind == "alter_type_statement":
            continue  # ADD VALUE … AFTER a new value, RENAME VALUE: not a use
        here = transactions[statement.index]
        waiting = [p for p in pending if p[0] < statement.index and transactions[p[0]] == here]
        if not waiting:
            continue
        literals = _literals(statement.body)
        for entry in waiting:
            type_name, value, _ = entry[1]
            if value in literals:
                uses.setdefault(statement.index, []).append((literals[value], type_name, value))
                pending.remove(entry)
    return uses


def _literals(segment: Any) -> dict[str, Any]:
    """The string literals under `segment` (also in subqueries), each at its first place."""
    found: dict[str, Any] = {}
    for literal in segment.recursive_crawl("quoted_literal"):
        found.setdefault(literal.raw, literal)
    return found


def _created_in(type_name: str, facts: FileFacts, block: int, before: int) -> bool:
    """Whether `CREATE TYPE type_name` ran earlier in the same block (PostgreSQL before 12
    allowed ADD VALUE on a type created in the same transaction)."""
    blocks = explicit_blocks(facts)
    return any(
        s.kind == "create_type_statement"
        and blocks[s.index] == block
        and _type_named(s) == type_name
        for s in facts.statements[:before]
    )


# ---- which statements share a transaction ----------------------------------------------


def _control(statement: Statement) -> str | None:
    """What a statement does to a transaction block, as dbci's runner counts them:
    "begin" (`BEGIN`, `START TRANSACTION`), "end" (`COMMIT`, `END`, `ROLLBACK` but not
    `ROLLBACK TO`, `ABORT`), "chain" (`COMMIT AND CHAIN`: ends one, starts the next), or
    None."""
    words = statement.keywords()[:4]
    if not words:
        return None
    head = words[0]
    if head == "BEGIN" or words[:2] == ["START", "TRANSACTION"]:
        return "begin"
    if head in ("COMMIT", "END", "ABORT") or (head == "ROLLBACK" and words[1:2] != ["TO"]):
        chained = "CHAIN" in words and "NO" not in words
        return "chain" if chained else "end"
    return None


def _runs_alone(statement: Statement) -> bool:
    """A statement PostgreSQL refuses inside a transaction: its migration runs statement by
    statement (as `PostgreSQLDatabase.needs_autocommit` decides at run time)."""
    return cannot_run_in_transaction_block(statement.keywords()[:LEADING_WORDS])


def explicit_blocks(facts: FileFacts) -> list[int | None]:
    """For each statement, the number of the explicit `BEGIN` … `COMMIT` block it is in
    (its opening and closing statements included), or None outside any."""
    blocks: list[int | None] = []
    current: int | None = None
    count = 0
    for statement in facts.statements:
        control = _control(statement)
        if control == "begin":
            count += 1
            current = count
            blocks.append(current)
        elif control in ("end", "chain"):
            blocks.append(current)
            if control == "chain":
                count += 1
                current = count
            else:
                current = None
        else:
            blocks.append(current)
    return blocks


def transactions_of(facts: FileFacts) -> list[int]:
    """For each statement, the transaction it runs in when dbci applies the file as a
    migration: statements with the same number share one. A migration runs in one
    transaction unless it has its own transaction control or a statement that cannot run
    in one; then each statement outside a `BEGIN` … `COMMIT` block commits on its own."""
    statements = facts.statements
    if not any(_control(s) is not None or _runs_alone(s) for s in statements):
        return [0] * len(statements)
    blocks = explicit_blocks(facts)
    numbers: list[int] = []
    for statement, block in zip(statements, blocks, strict=True):
        numbers.append(block if block is not None else -1 - statement.index)
    return numbers
