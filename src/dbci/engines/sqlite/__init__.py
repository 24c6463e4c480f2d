"""SQLite: connection and DDL."""
