"""Schema objects' names as people read them (kept light: the CLI imports it at start-up)."""

from __future__ import annotations


def qualified_name(schema: str, name: str) -> str:
    """`schema.name` for people to read; the name alone for an engine's default schema
    recorded as "" (MySQL's, so that build and target databases compare equal)."""
    return f"{schema}.{name}" if schema else name
