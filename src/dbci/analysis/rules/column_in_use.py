"""DB303 column-in-use: the pending migrations drop or rename a column that a function,
procedure, trigger or view (applied on the target, or made by a pending migration) still
uses by its old name. The migration runs; the code that uses the column fails the first
time it runs afterwards (a PL/pgSQL body, a MySQL view or routine, a T-SQL module is kept
as text and not checked again). Where the database itself follows the column, it is not
reported: a PostgreSQL or SQLite view or SQLite trigger follows a rename and refuses a
drop. A view that `DROP COLUMN … CASCADE` drops with the column is reported too.

It needs what one file cannot show, so `dbci check` reports it from the build: the
columns the build of the applied migrations has and the build of all of them has not,
against the definitions of the objects in both builds. It is reported at the statement
that drops or renames the column.

Bad:

    -- V7: customer_label() reads customers.fax in its PL/pgSQL body
    ALTER TABLE customers DROP COLUMN fax;

Good: change the code that uses the column first (in the same migration or an earlier
one), then drop it:

    CREATE OR REPLACE FUNCTION customer_label(c_id bigint) RETURNS text
      LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT name FROM customers WHERE id = c_id); END $$;
    ALTER TABLE customers DROP COLUMN fax;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class ColumnInUse(Rule):
    id = "DB303"
    name = "column-in-use"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        return iter(())  # reported by the check from the build's snapshots (column_users)
