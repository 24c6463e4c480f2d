"""dbci's own rules, one module each (the module docstring shows the bad and the good
SQL). `RULES` is every rule, in id order; `RULES_BY_ID` finds one by its id."""

from __future__ import annotations

from dbci.analysis.rules.add_column_not_null import AddColumnNotNull
from dbci.analysis.rules.alter_column_type import AlterColumnType
from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.rules.constraint_not_valid import ConstraintNotValid
from dbci.analysis.rules.ddl_with_dml import DdlWithDml
from dbci.analysis.rules.drop_column import DropColumn
from dbci.analysis.rules.drop_default_or_constraint import DropDefaultOrConstraint
from dbci.analysis.rules.drop_schema import DropSchema
from dbci.analysis.rules.drop_table import DropTable
from dbci.analysis.rules.grant_public import GrantPublic
from dbci.analysis.rules.index_not_concurrent import IndexNotConcurrent
from dbci.analysis.rules.lock_timeout import LockTimeout
from dbci.analysis.rules.notes import NotAnalysed, PlaceholderWithoutValue
from dbci.analysis.rules.rename import Rename
from dbci.analysis.rules.set_not_null import SetNotNull
from dbci.analysis.rules.truncate import Truncate
from dbci.analysis.rules.unbounded_dml import UnboundedDml
from dbci.analysis.rules.volatile_default import VolatileDefault

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
