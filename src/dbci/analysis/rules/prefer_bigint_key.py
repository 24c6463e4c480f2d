"""DB602 prefer-bigint-key: a key of `int` (or `smallint`) runs out of values at
2,147,483,647 (32,767): inserts then fail, and widening the column rewrites the table and
every table that references it. A `serial` column is also a separate sequence with its
own owner and grants; an identity column is part of the table.

Bad:

    CREATE TABLE orders (id serial PRIMARY KEY);
    CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);

Good:

    CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);

Reported for a primary key or identity column of `int`/`integer`/`smallint`, and for
any `serial`, `smallserial` or `bigserial` column.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.columns import INT2_TYPES, INT4_TYPES, SERIAL_TYPES, typed_columns
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement

_FIX = "use bigint GENERATED ALWAYS AS IDENTITY"


class PreferBigintKey(Rule):
    id = "DB602"
    name = "prefer-bigint-key"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for column in typed_columns(statement, facts):
            words = column.type_words
            if len(words) != 1:
                continue
            name = f"{column.table}.{column.column}"
            small = words[0] in INT4_TYPES | INT2_TYPES
            if small and (column.primary_key or column.identity or words[0] in SERIAL_TYPES):
                limit = "32,767" if words[0] in INT2_TYPES else "2,147,483,647"
                yield Hit(
                    column.at,
                    f"{name} is a key of type {column.type_text.lower()}, which runs out at "
                    f"{limit} and is costly to widen later: {_FIX}",
                )
            elif words[0] in SERIAL_TYPES:
                yield Hit(
                    column.at,
                    f"{name} is {column.type_text.lower()}, whose sequence is a separate "
                    f"object with its own owner and grants: {_FIX}",
                )
