"""SQL Server (through ODBC): connection, catalog snapshot, DDL and the objects clean drops."""
