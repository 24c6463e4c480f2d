"""PostgreSQL's objects that the snapshot reads as the statements that make them
(`dbci.schema.model.catalog`): one query per kind, `sql/catalog_<kind>.sql`, and one
query for what they use and what uses them.

Every kind's query answers the same columns: the catalog and oid of the object, its
schema ("" for a database-wide object), name and identity, the relation it belongs to,
its create and drop statements, what COMMENT ON names, and its comment. Database-wide
kinds (publications, event triggers, foreign data wrappers, servers, user mappings,
access methods, languages) are read whatever the schemas, as pg_dump dumps them with the
database; a cast or a transform has no schema either, and is read when a type or function
it uses is in the schemas.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping
from importlib import resources
from typing import Any

from dbci.engines.base import Database
from dbci.schema.model import (
    AccessMethod,
    Aggregate,
    BaseType,
    Cast,
    CatalogObject,
    Collation,
    Conversion,
    DefaultPrivileges,
    EventTrigger,
    ForeignDataWrapper,
    ForeignServer,
    ForeignTable,
    Key,
    Language,
    Operator,
    OperatorClass,
    OperatorFamily,
    Ownership,
    Policy,
    Publication,
    RangeType,
    Rule,
    ShellType,
    Statistics,
    TextSearchConfiguration,
    TextSearchDictionary,
    TextSearchParser,
    TextSearchTemplate,
    Transform,
    UserMapping,
    assemble,
)

# The query of each kind (`sql/catalog_<name>.sql`), in the order they are read.
QUERIES: tuple[tuple[str, type[CatalogObject]], ...] = (
    ("collations", Collation),
    ("casts", Cast),
    ("range_types", RangeType),
    ("text_search_parsers", TextSearchParser),
    ("text_search_templates", TextSearchTemplate),
    ("text_search_dictionaries", TextSearchDictionary),
    ("text_search_configurations", TextSearchConfiguration),
    ("aggregates", Aggregate),
    ("operators", Operator),
    ("operator_families", OperatorFamily),
    ("operator_classes", OperatorClass),
    ("policies", Policy),
    ("rules", Rule),
    ("statistics", Statistics),
    ("publications", Publication),
    ("event_triggers", EventTrigger),
    ("fdw", ForeignDataWrapper),
    ("servers", ForeignServer),
    ("user_mappings", UserMapping),
    ("foreign_tables", ForeignTable),
    ("languages", Language),
    ("shell_types", ShellType),
    ("base_types", BaseType),
    ("access_methods", AccessMethod),
    ("conversions", Conversion),
    ("transforms", Transform),
)

# Kinds read only when asked: default privileges with grants, owners with owners.
GRANT_QUERIES: tuple[tuple[str, type[CatalogObject]], ...] = (
    ("default_privileges", DefaultPrivileges),
)
OWNER_QUERIES: tuple[tuple[str, type[CatalogObject]], ...] = (("owners", Ownership),)

# An option of a foreign data wrapper, server, user mapping or foreign table whose name
# looks secret: generously, anything that may hold a password, a token or a key. Its value
# is never read (it stays on the server: `{{options}}` names it only), so the snapshot, the
# diff and the script cannot show it; it is compared by presence.
SECRET_OPTION = (
    "(pass|pwd|secret|token|key|cred|auth|priv|salt|sign|cookie|bearer|session|cert|otp)"
)
# An option whose value looks like it holds a secret, whatever its name: a connection
# string with a password or token in it (`datasource 'PG:… password=…'`, `dsn`,
# `conninfo`), a URL with `user:password@`. It is treated as a secret-named one.
SECRET_VALUE = r"(password|pwd|secret|token)\s*=|://[^/@]*:[^@]*@"

# `{{options}}`: the options of `x.options` (a text[] of name=value) as (shown: the
# OPTIONS list of those that are not secret, in their order; secret: the names of the
# others), one row.
_OPTIONS = (
    "SELECT string_agg(CASE WHEN NOT u.secret THEN quote_ident(u.name) || ' '"
    " || quote_literal(u.value) END, ', ' ORDER BY u.k) AS shown,"
    " string_agg(CASE WHEN u.secret THEN replace(quote_ident(u.name), '*/', '* /') END, ', '"
    " ORDER BY u.k) AS secret"
    " FROM (SELECT split_part(opt, '=', 1) AS name, substr(opt, strpos(opt, '=') + 1) AS value,"
    f" split_part(opt, '=', 1) ~* '{SECRET_OPTION}'"
    f" OR substr(opt, strpos(opt, '=') + 1) ~* '{SECRET_VALUE}' AS secret, k"
    " FROM unnest(x.options) WITH ORDINALITY opt(opt, k)) u"
)


def _version_parts(major: int) -> dict[str, str]:
    """The text each `{{name}}` of a query stands for on a server of version `major`."""
    since_15 = major >= 15
    return {
        "options": _OPTIONS,
        "icu_locale": "c.colllocale" if major >= 17 else "c.colliculocale" if since_15 else "NULL",
        "column_list": (
            "COALESCE(' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.o)"
            " FROM unnest(pr.prattrs) WITH ORDINALITY k(n, o) JOIN pg_attribute a"
            " ON a.attrelid = pr.prrelid AND a.attnum = k.n) || ')', '')"
            if since_15
            else "''"
        ),
        "row_filter": (
            "COALESCE(' WHERE (' || pg_get_expr(pr.prqual, pr.prrelid) || ')', '')"
            if since_15
            else "''"
        ),
        "publication_schemas": (
            "ARRAY(SELECT format('ALTER PUBLICATION %I ADD TABLES IN SCHEMA %I', p.pubname,"
            " sn.nspname) FROM pg_publication_namespace pn"
            " JOIN pg_namespace sn ON sn.oid = pn.pnnspid WHERE pn.pnpubid = p.oid"
            ' ORDER BY sn.nspname COLLATE "C")'
            if since_15
            else "ARRAY[]::text[]"
        ),
        "via_root": "p.pubviaroot" if major >= 13 else "false",
        "statistics_target": "s.stxstattarget" if major >= 13 else "NULL",
        "icu_rules": "c.collicurules" if major >= 16 else "NULL",
        "subscript": (
            "CASE WHEN t.typsubscript <> 0 THEN 'SUBSCRIPT = ' || t.typsubscript::regproc::text"
            " END,"
            if major >= 14
            else ""
        ),
        "multirange_type_name": (
            "E',\\n    multirange_type_name = ' || format_type(r.rngmultitypid, NULL)"
            if major >= 14
            else "''"
        ),
    }


@functools.cache
def query(name: str, major: int) -> str:
    """The query of `sql/<name>.sql` for a server of version `major`, without its comment
    lines. Read once."""
    text = resources.files(__package__ or "").joinpath("sql", f"{name}.sql").read_text("utf-8")
    text = "".join(line for line in text.splitlines(True) if not line.lstrip().startswith("--"))
    for token, value in _version_parts(major).items():
        text = text.replace("{{" + token + "}}", value)
    return text


# For each kind's query, a cheap test that holds whenever the query can find anything:
# the same catalog, with the query's filter on built-in objects but none on the schemas.
# Most databases have none of most kinds, and the probe (one row of booleans) spares the
# server planning their queries: 30 ms of a 2,000-table snapshot. A kind without a probe
# is always read.
_USER = "oid >= 16384"
PROBES: dict[str, str] = {
    "collations": f"SELECT 1 FROM pg_collation WHERE {_USER}",
    "casts": f"SELECT 1 FROM pg_cast WHERE {_USER}",
    "range_types": "SELECT 1 FROM pg_range WHERE rngtypid >= 16384",
    "text_search_parsers": f"SELECT 1 FROM pg_ts_parser WHERE {_USER}",
    "text_search_templates": f"SELECT 1 FROM pg_ts_template WHERE {_USER}",
    "text_search_dictionaries": f"SELECT 1 FROM pg_ts_dict WHERE {_USER}",
    "text_search_configurations": f"SELECT 1 FROM pg_ts_config WHERE {_USER}",
    "aggregates": "SELECT 1 FROM pg_aggregate WHERE aggfnoid >= 16384",
    "operators": f"SELECT 1 FROM pg_operator WHERE {_USER}",
    "operator_families": f"SELECT 1 FROM pg_opfamily WHERE {_USER}",
    "operator_classes": f"SELECT 1 FROM pg_opclass WHERE {_USER}",
    "policies": "SELECT 1 FROM pg_policy",
    "rules": "SELECT 1 FROM pg_rewrite WHERE rulename <> '_RETURN'",
    "statistics": "SELECT 1 FROM pg_statistic_ext",
    "publications": "SELECT 1 FROM pg_publication",
    "event_triggers": "SELECT 1 FROM pg_event_trigger",
    "fdw": f"SELECT 1 FROM pg_foreign_data_wrapper WHERE {_USER}",
    "servers": f"SELECT 1 FROM pg_foreign_server WHERE {_USER}",
    # pg_user_mapping itself is for superusers only: its view is what anyone may read.
    "user_mappings": "SELECT 1 FROM pg_user_mappings WHERE umid >= 16384",
    "foreign_tables": "SELECT 1 FROM pg_foreign_table",
    "languages": f"SELECT 1 FROM pg_language WHERE {_USER}",
    "access_methods": f"SELECT 1 FROM pg_am WHERE {_USER}",
    "conversions": f"SELECT 1 FROM pg_conversion WHERE {_USER}",
    "transforms": f"SELECT 1 FROM pg_transform WHERE {_USER}",
    "default_privileges": "SELECT 1 FROM pg_default_acl",
}
# Base and shell types: a type of a user's but for the array types PostgreSQL makes for
# every type and table (an array's element names it as its array: found by oid).
PROBES["base_types"] = PROBES["shell_types"] = (
    "SELECT 1 FROM pg_type t WHERE t.oid >= 16384 AND t.typtype IN ('b', 'p') AND NOT ("
    "t.typelem <> 0 AND EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem"
    " AND e.typarray = t.oid))"
)


def read_catalog_objects(
    db: Database,
    params: dict[str, Any],
    major: int,
    *,
    include_grants: bool = False,
    include_owners: bool = False,
) -> list[tuple[type[CatalogObject], Any]]:
    """Every kind's rows, as (kind, row), in two round trips: the probes say which kinds
    the database may have (`PROBES`), and the queries of those, which answer the same
    columns, run as one UNION ALL, each row led by its query's number."""
    asked = QUERIES + (GRANT_QUERIES if include_grants else ())
    asked += OWNER_QUERIES if include_owners else ()
    probed = [name for name, _ in asked if name in PROBES]
    found = db.query("SELECT " + ", ".join(f"EXISTS ({PROBES[name]})" for name in probed), {})[0]
    absent = {name for name, present in zip(probed, found, strict=True) if not present}
    queries = [(name, cls) for name, cls in asked if name not in absent]
    if not queries:
        return []
    union = "\nUNION ALL\n".join(
        f"SELECT {number}, * FROM ({query(f'catalog_{name}', major)}) q{number}"
        for number, (name, _) in enumerate(queries)
    )
    return [(queries[row[0]][1], row[1:]) for row in db.query(union, params)]


def catalog_objects(
    rows: Iterable[tuple[type[CatalogObject], Any]],
    excluded: Collection[tuple[str, str]] = (),
) -> tuple[list[CatalogObject], dict[tuple[str, int], Key]]:
    """The objects of the rows, and each one's key by (catalog, oid). Owners are not
    among them: they are named after the objects they own (`owners`). Objects on a table
    of `excluded` (dbci's own tables: a policy on the history table) are left out with
    it."""
    objects: list[CatalogObject] = []
    keys: dict[tuple[str, int], Key] = {}
    for cls, row in rows:
        if cls is Ownership:
            continue
        classid, oid, schema, name, identity, relation, create, drop, target, comment = row
        if relation is not None and (schema, relation) in excluded:
            continue
        obj = assemble(
            cls,
            {
                "schema": schema,
                "name": name,
                "comment": comment,
                "grants": (),
                "identity": identity,
                "relation": relation,
                "create": tuple(create),
                "drop": tuple(drop),
                "target": target or "",
                # a base type is made over its shell type
                "dependencies": ((ShellType.kind, schema, name),) if cls is BaseType else (),
            },
        )
        objects.append(obj)
        if oid is not None:  # a base type's shell type: its base type stands for the type
            keys[(classid, oid)] = obj.key
    return objects, keys


def owners(
    rows: Iterable[tuple[type[CatalogObject], Any]], key_of: Callable[[str, int], Key | None]
) -> list[Ownership]:
    """The owner of each object of the snapshot that the owners query found (by its
    catalog and oid, `key_of`): its identity is the owned object's kind and key name, and
    it depends on that object, so that it is set again when the object is created again.
    Objects the snapshot does not hold (an identity's sequence, a table left out) have
    none."""
    found: list[Ownership] = []
    for cls, row in rows:
        if cls is not Ownership:
            continue
        classid, oid, _, _, _, _, create, drop, _, _ = row
        owned = key_of(classid, oid)
        if owned is None:
            continue
        kind, schema, name = owned
        values = {
            "schema": schema,
            "name": name,
            "comment": None,
            "grants": (),
            "identity": f"{kind} {name}",
            "relation": None,
            "create": tuple(create),
            "drop": tuple(drop),
            "target": "",
            "dependencies": (owned,),
        }
        found.append(assemble(Ownership, values))
    return found


def read_dependencies(
    db: Database, catalog_keys: Mapping[tuple[str, int], Key], major: int
) -> list[Any]:
    """pg_depend's rows between the catalog objects and anything else, both ways."""
    if not catalog_keys:
        return []
    classes = "{" + ",".join(c for c, _ in catalog_keys) + "}"
    oids = "{" + ",".join(str(o) for _, o in catalog_keys) + "}"
    return db.query(query("catalog_dependencies", major), {"classes": classes, "oids": oids})


def link_dependencies(
    rows: Iterable[Any],
    key_of: Callable[[str, int], Key | None],
    add: Callable[[Key, Key], None],
) -> None:
    """For each pg_depend row that maps to two objects of the snapshot (`key_of`), record
    that the first uses the second (`add(user, used)`). A routine that a base type uses
    and that uses it (an I/O function, taking or returning the type) uses its shell type
    instead: it is made between the two."""
    pairs: set[tuple[Key, Key]] = set()
    for classid, objid, refclassid, refobjid in rows:
        user, used = key_of(classid, objid), key_of(refclassid, refobjid)
        if user is not None and used is not None and user != used:
            pairs.add((user, used))
    for user, used in sorted(pairs):
        if used[0] == BaseType.kind and (used, user) in pairs:
            used = (ShellType.kind, used[1], used[2])
        add(user, used)
