"""PostgreSQL's cheap question for undo verification (`dbci.stages.build.fingerprint`): how
many rows each catalog behind the snapshot model holds, and how many this transaction
wrote (PostgreSQL stamps every row version with the transaction that wrote it)."""

# The catalogs behind the snapshot model's objects.
_CATALOGS = (
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_constraint",
    "pg_index",
    "pg_inherits",
    "pg_rewrite",
    "pg_proc",
    "pg_trigger",
    "pg_type",
    "pg_enum",
    "pg_sequence",
    "pg_description",
    "pg_extension",
    "pg_policy",
)

# Rows this transaction (or one of its subtransactions, numbered after it) wrote: their
# `xmin` is ours or newer, an age of 0 or less. The build database has no other writers.
CATALOG_STATE = "SELECT " + ", ".join(
    f"(SELECT (count(*), count(*) FILTER (WHERE age(xmin) <= 0))::text FROM {c})" for c in _CATALOGS
)
