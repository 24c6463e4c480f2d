"""MySQL and MariaDB: connection, catalog snapshot, DDL and the objects clean drops."""
