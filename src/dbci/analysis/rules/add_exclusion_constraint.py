"""DB209 add-exclusion-constraint: adding an EXCLUDE constraint to an existing table builds
its index over every row under an ACCESS EXCLUSIVE lock, which blocks reads and writes
until the build ends. Unlike a UNIQUE constraint it cannot adopt an index built
CONCURRENTLY, and unlike a CHECK it cannot be added `NOT VALID`.

Bad:

    ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
        EXCLUDE USING gist (room_id WITH =, during WITH &&);

Good: declare it when the table is created; on a table that already holds rows, add it
in a maintenance window and suppress the finding on the line:

    CREATE TABLE bookings (
        room_id bigint NOT NULL,
        during tstzrange NOT NULL,
        CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&)
    );
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.add_unique_constraint import actions
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class AddExclusionConstraint(Rule):
    id = "DB209"
    name = "add-exclusion-constraint"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, where, words in actions(statement, facts):
            if words[:1] == ["ADD"] and "EXCLUDE" in words:
                yield Hit(
                    where,
                    f"adding an EXCLUDE constraint builds its index over all of {table} under "
                    "an ACCESS EXCLUSIVE lock that blocks reads and writes, and it cannot be "
                    "added NOT VALID",
                    table,
                )
