"""PostgreSQL: connection, catalog snapshot, DDL and the objects clean drops."""
