"""DB204 volatile-default: a new column whose default is volatile (`random()`,
`gen_random_uuid()`, `clock_timestamp()`, …) makes PostgreSQL rewrite the whole table
under an ACCESS EXCLUSIVE lock; a constant or stable default (`now()`) does not.

Bad:

    ALTER TABLE sessions ADD COLUMN token uuid DEFAULT gen_random_uuid();

Good: add the column without the default, set the default, backfill in batches:

    ALTER TABLE sessions ADD COLUMN token uuid;
    ALTER TABLE sessions ALTER COLUMN token SET DEFAULT gen_random_uuid();
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.add_column_not_null import added_column_words
from dbci.analysis.rules.base import POSTGRES, Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement, iter_segments, object_name

# PostgreSQL's volatile built-ins that appear as column defaults.
VOLATILE = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
        "random_normal",
        "uuidv4",
        "uuidv7",
    }
)


class VolatileDefault(Rule):
    id = "DB204"
    name = "volatile-default"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, _ in altered_actions(statement, facts):
            added = added_column_words(action)
            if added is None or "DEFAULT" not in added:
                continue
            for seg in action:
                for function in iter_segments(seg, "function_name"):
                    name = object_name(function)
                    if name in VOLATILE:
                        yield Hit(
                            function,
                            f"the volatile default {name}() makes PostgreSQL rewrite {table} "
                            "under an exclusive lock",
                        )
                        break
