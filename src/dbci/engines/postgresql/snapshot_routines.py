"""Functions and procedures, from the rows of `sql/routines.sql`.

Part of `dbci.engines.postgresql.snapshot`.
"""

from __future__ import annotations

from typing import Any

from dbci.engines.postgresql.snapshot_tables import Grants
from dbci.schema.model import Function, Key, Procedure

_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}


def routines(rows: list[Any], grants: Grants) -> tuple[list[Function], dict[int, Key]]:
    """The functions and procedures, in row order, and each one's key by its oid."""
    out: list[Function] = []
    routine_keys: dict[int, Key] = {}
    for (
        oid,
        schema,
        name,
        prokind,
        arguments,
        result,
        language,
        volatility,
        security_definer,
        body,
        definition,
        comment,
    ) in rows:
        routine_class = Procedure if prokind == "p" else Function
        routine = routine_class(
            schema=schema,
            name=name,
            comment=comment,
            grants=grants.get(("p", oid), ()),
            arguments=arguments,
            result=result,
            language=language,
            volatility=_VOLATILITY[volatility],
            security_definer=security_definer,
            body=body,
            definition=definition,
        )
        routine_keys[oid] = routine.key
        out.append(routine)
    return out, routine_keys
