"""Object identity: the key of an object, and the keys an object refers to by name."""

from __future__ import annotations

Key = tuple[str, str, str]  # (kind, schema, name as the key writes it)

# Tables, views and materialized views share one namespace per schema: the relation an
# index (table or materialized view) or a trigger (table or view) is on is whichever of
# these keys exists.
RELATION_KINDS = ("table", "view", "materialized view")


def relation_keys(schema: str, name: str) -> tuple[Key, ...]:
    """The keys the relation `schema.name` may have, one per relation kind."""
    return tuple((kind, schema, name) for kind in RELATION_KINDS)


def type_dependencies(data_type: str) -> tuple[Key, ...]:
    """Keys of user types a column or attribute type may name (`"s"."t"`, `s.t`, `s.t[]`).

    Only schema-qualified names are recognised: PostgreSQL renders a type from a schema
    outside the search path qualified, and the snapshot reads with an empty search path.
    """
    if "." not in data_type:
        return ()  # the common case (integer, text, numeric(10,2)), decided without parsing
    text = data_type.strip()
    while text.endswith("[]"):
        text = text[:-2]
    schema, sep, name = _split_qualified(text)
    if not sep:
        return ()
    return tuple(
        (kind, schema, name)
        for kind in ("enum", "domain", "composite type", "range type", "base type")
    )


def _split_qualified(text: str) -> tuple[str, str, str]:
    """Split `"s"."n"` or `s.n` into (s, ".", n); ("", "", text) when unqualified."""
    parts: list[str] = []
    current, quoted, i = "", False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current += ch
        elif ch == '"':
            quoted = True
        elif ch == ".":
            parts.append(current)
            current = ""
        elif ch in "( ":
            break  # type modifiers: numeric(10,2), character varying(20)
        else:
            current += ch
        i += 1
    parts.append(current)
    if len(parts) == 2:
        return parts[0], ".", parts[1]
    return "", "", text
