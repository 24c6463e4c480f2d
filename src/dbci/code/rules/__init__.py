"""dbci's own rules, one module each (the module docstring shows the bad and the good
SQL). `RULES` is every rule, in id order; `RULES_BY_ID` finds one by its id."""

from __future__ import annotations

from dbci.code.rules.add_column_not_null import AddColumnNotNull
from dbci.code.rules.alter_column_type import AlterColumnType
from dbci.code.rules.base import Hit, Rule
from dbci.code.rules.constraint_not_valid import ConstraintNotValid
from dbci.code.rules.ddl_with_dml import DdlWithDml
from dbci.code.rules.drop_column import DropColumn
from dbci.code.rules.drop_default_or_constraint import DropDefaultOrConstraint
from dbci.code.rules.drop_schema import DropSchema
from dbci.code.rules.drop_table import DropTable
from dbci.code.rules.grant_public import GrantPublic
from dbci.code.rules.index_not_concurrent import IndexNotConcurrent
from dbci.code.rules.lock_timeout import LockTimeout
from dbci.code.rules.notes import NotAnalysed, PlaceholderWithoutValue
from dbci.code.rules.rename import Rename
from dbci.code.rules.set_not_null import SetNotNull
from dbci.code.rules.truncate import Truncate
from dbci.code.rules.unbounded_dml import UnboundedDml
from dbci.code.rules.volatile_default import VolatileDefault

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            NotAnalysed(),
            PlaceholderWithoutValue(),
            DropTable(),
            DropSchema(),
            DropColumn(),
            Truncate(),
            UnboundedDml(),
            AlterColumnType(),
            SetNotNull(),
            AddColumnNotNull(),
            VolatileDefault(),
            IndexNotConcurrent(),
            ConstraintNotValid(),
            Rename(),
            DropDefaultOrConstraint(),
            GrantPublic(),
            LockTimeout(),
            DdlWithDml(),
        ),
        key=lambda rule: rule.id,
    )
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_ID", "Hit", "Rule"]
