"""dbci's own rules, one module each (the module docstring shows the bad and the good
SQL). `RULES` is every rule, in id order; `RULES_BY_ID` finds one by its id."""

from __future__ import annotations

from dbci.analysis.rules.add_column_not_null import AddColumnNotNull
from dbci.analysis.rules.add_column_references import AddColumnReferences
from dbci.analysis.rules.add_exclusion_constraint import AddExclusionConstraint
from dbci.analysis.rules.add_unique_constraint import AddUniqueConstraint
from dbci.analysis.rules.alter_column_type import AlterColumnType
from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.rules.column_in_use import ColumnInUse
from dbci.analysis.rules.concurrent_index_in_transaction import ConcurrentIndexInTransaction
from dbci.analysis.rules.constraint_not_valid import ConstraintNotValid
from dbci.analysis.rules.ddl_with_dml import DdlWithDml
from dbci.analysis.rules.domain_constraint import DomainConstraint
from dbci.analysis.rules.drop_column import DropColumn
from dbci.analysis.rules.drop_default_or_constraint import DropDefaultOrConstraint
from dbci.analysis.rules.drop_index_not_concurrent import DropIndexNotConcurrent
from dbci.analysis.rules.drop_not_null import DropNotNull
from dbci.analysis.rules.drop_schema import DropSchema
from dbci.analysis.rules.drop_table import DropTable
from dbci.analysis.rules.enum_add_value import EnumAddValue, EnumValueInTransaction
from dbci.analysis.rules.fulltext_spatial_index import FulltextSpatialIndex
from dbci.analysis.rules.grant_public import GrantPublic
from dbci.analysis.rules.index_not_concurrent import IndexNotConcurrent
from dbci.analysis.rules.index_not_online import IndexNotOnline
from dbci.analysis.rules.lock_table import LockTable
from dbci.analysis.rules.lock_timeout import LockTimeout
from dbci.analysis.rules.no_char import NoChar
from dbci.analysis.rules.nolock_hint import NolockHint
from dbci.analysis.rules.non_innodb_engine import NonInnodbEngine
from dbci.analysis.rules.notes import NotAnalysed, PlaceholderWithoutValue
from dbci.analysis.rules.online_ddl import OnlineDdl
from dbci.analysis.rules.prefer_bigint import PreferBigint
from dbci.analysis.rules.prefer_bigint_key import PreferBigintKey
from dbci.analysis.rules.prefer_text import PreferText
from dbci.analysis.rules.prefer_timestamptz import PreferTimestamptz
from dbci.analysis.rules.refresh_matview_not_concurrent import RefreshMatviewNotConcurrent
from dbci.analysis.rules.reindex_not_concurrent import ReindexNotConcurrent
from dbci.analysis.rules.rename import Rename
from dbci.analysis.rules.set_not_null import SetNotNull
from dbci.analysis.rules.statement_timeout import StatementTimeout
from dbci.analysis.rules.table_rewrite import TableRewrite
from dbci.analysis.rules.transaction_control import TransactionControl
from dbci.analysis.rules.truncate import Truncate
from dbci.analysis.rules.unbounded_dml import UnboundedDml
from dbci.analysis.rules.utf8mb3 import Utf8mb3
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
            ColumnInUse(),
            DropDefaultOrConstraint(),
            GrantPublic(),
            LockTimeout(),
            DdlWithDml(),
            OnlineDdl(),
            Utf8mb3(),
            NonInnodbEngine(),
            FulltextSpatialIndex(),
            IndexNotOnline(),
            NolockHint(),
            AddColumnReferences(),
            AddExclusionConstraint(),
            AddUniqueConstraint(),
            ConcurrentIndexInTransaction(),
            DropIndexNotConcurrent(),
            LockTable(),
            RefreshMatviewNotConcurrent(),
            ReindexNotConcurrent(),
            TableRewrite(),
            DropNotNull(),
            EnumAddValue(),
            EnumValueInTransaction(),
            StatementTimeout(),
            PreferText(),
            PreferBigintKey(),
            PreferTimestamptz(),
            NoChar(),
            DomainConstraint(),
            TransactionControl(),
            PreferBigint(),
        ),
        key=lambda rule: rule.id,
    )
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_ID", "Hit", "Rule"]
