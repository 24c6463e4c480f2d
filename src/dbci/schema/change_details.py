"""What changes inside one changed object, as short structured lines for the reports.

`dbci.schema.diff` says which objects differ; this says how, part by part, from the schema
model (never from the SQL text of a table): a table's columns added, dropped or retyped (a
renamed column is a drop and an add, as a snapshot cannot tell), their defaults,
nullability, collation and generation, its constraints; an enum's labels added (and
where) or dropped; a domain's, a composite type's or a sequence's parts; and for objects
whose definition is text (views, routines, triggers, indexes, the catalog's objects) a
compact line diff of that text. Whatever else differs is named as a setting with its two
values, so that nothing changes unsaid.

Each line is a dict:

    {"what": "column", "name": "legacy_code", "change": "dropped", "destructive": True}
    {"what": "column", "name": "tier", "change": "added", "detail": "text NOT NULL"}
    {"what": "column", "name": "price", "change": "retyped",
     "before": "integer", "after": "numeric(10,2)", "destructive": True}
    {"what": "definition", "name": "", "change": "changed", "lines": ["  SELECT a,", "- b", "+ c"]}

`destructive` is there, true, on the part whose change may lose data, by the rules the diff
marks the object with (`dbci.schema.change_rules.loses_data`). Drift words the same lines
as expected (the migrations) against actual (the target), and marks the parts whose revert
may lose data (`drift_details`).
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from dbci.schema.change_rules import column_replaced, narrows, needs_recreate
from dbci.schema.model import (
    CatalogObject,
    Column,
    CompositeType,
    Constraint,
    DbObject,
    Domain,
    Enum,
    Event,
    Function,
    Index,
    Sequence,
    Table,
    Trigger,
    View,
    quote_ident,
    quote_literal,
)
from dbci.schema.model.routines import TRIGGER_STATES

Detail = dict[str, Any]

MAX_DETAILS = 60  # lines per object; the rest are counted in one last line
MAX_VALUE = 200  # characters of one value (a type, a default, a definition)
MAX_DIFF_LINES = 40  # lines of one text diff

# Fields that say nothing of their own: the key, or what the definition already holds.
_DERIVED = {"schema", "name", "dependencies"}


def details(
    before: DbObject | None,
    after: DbObject | None,
    *,
    destructive: bool | None = None,
    keeps_generated: bool = True,
) -> list[Detail]:
    """What changes inside an object from `before` to `after`, part by part. An object
    added or dropped has none (the object is the change).

    `destructive`: whether the diff marked the change as one that may lose data (None:
    the rules here alone mark the parts). Its verdict stands: no part of a change it does
    not mark is marked (an engine's own rule may keep what the model's would lose: MySQL's
    column renamed only in case); where no part the rules here know is the cause of a
    change it marks (an engine's own rule: MariaDB's system versioning dropped, a
    partition dropped, another storage engine), the settings that changed or went carry
    the mark. `keeps_generated`: as `Engine.keeps_generated_values`."""
    if before is None or after is None or before == after:
        return []
    out: list[Detail] = []
    handled = set(_DERIVED)
    if isinstance(before, Table) and isinstance(after, Table):
        out += _table(before, after, keeps_generated=keeps_generated)
        handled |= {"columns", "constraints"}
        if before.partition_by != after.partition_by:
            out.append(_changed("partition key", "", before.partition_by, after.partition_by))
            out[-1]["destructive"] = True  # the table is created again
            handled.add("partition_by")
    elif isinstance(before, Enum) and isinstance(after, Enum):
        out += _enum(before, after)
        handled.add("labels")
    elif isinstance(before, Domain) and isinstance(after, Domain):
        out += _domain(before, after)
        handled |= {"data_type", "constraints"}
    elif isinstance(before, CompositeType) and isinstance(after, CompositeType):
        out += _attributes(before, after)
        handled.add("attributes")
    elif isinstance(before, Sequence) and isinstance(after, Sequence):
        bounds = narrows(before, after)
        for name in ("data_type", "minimum", "maximum"):
            if getattr(before, name) != getattr(after, name):
                out.append(_setting(name, getattr(before, name), getattr(after, name)))
                if bounds:
                    out[-1]["destructive"] = True
            handled.add(name)
    elif isinstance(before, Function) and isinstance(after, Function):
        if before.result != after.result:
            out.append(_changed("result type", "", before.result, after.result))
        handled.add("result")
        if before.definition != after.definition:
            out += _text_diff("definition", before.definition, after.definition)
            # The definition writes these: a second line for each would say it twice.
            handled |= {"definition", "body", "language", "volatility", "security_definer"}
        elif before.body != after.body:
            out += _text_diff("body", before.body, after.body)
            handled |= {"definition", "body"}
    elif isinstance(before, View) and isinstance(after, View):
        out += _text_diff("query", before.definition, after.definition)
        handled.add("definition")
        if before.column_comments != after.column_comments:
            out += _column_comments(before, after)
            handled.add("column_comments")
    elif isinstance(before, Index | Trigger) and isinstance(after, Index | Trigger):
        out += _text_diff("definition", before.definition, after.definition)
        # An index's columns, method and predicate are read out of its definition.
        handled |= {"definition", "unique", "method", "columns", "include", "predicate"}
        handled |= {"function"}
        if isinstance(before, Trigger) and isinstance(after, Trigger):
            states = (TRIGGER_STATES.get(t.enabled, t.enabled) for t in (before, after))
            if before.enabled != after.enabled:
                out.append(_changed("state", "", *states))
            handled.add("enabled")
    elif isinstance(before, CatalogObject) and isinstance(after, CatalogObject):
        created = "\n".join(before.create), "\n".join(after.create)
        out += _text_diff("definition", *created)
        handled |= {"create", "drop", "identity", "target"}
    elif isinstance(before, Event) and isinstance(after, Event):
        out += _text_diff("body", before.body, after.body)
        handled.add("body")
    out += _common(before, after)
    handled |= {"comment", "grants"}
    settings = _settings(before, after, handled)
    out += settings
    if destructive is False:
        for detail in out:
            detail.pop("destructive", None)
    elif destructive and not any(d.get("destructive") for d in out):
        for detail in settings:
            if detail["change"] != "added":
                detail["destructive"] = True
    return _capped(out)


def drift_details(
    expected: DbObject | None,
    actual: DbObject | None,
    *,
    revert_destructive: bool = False,
    keeps_generated: bool = True,
) -> list[Detail]:
    """A drifted object's parts, worded as expected (what the migrations make) against
    actual (what the target has); `revert_destructive` on the parts whose revert (making
    actual into expected again, drift-revert.sql) may lose data. Those are the parts the
    revert direction's `details` marks, matched by what and name."""
    forward = details(expected, actual, keeps_generated=keeps_generated)
    back = details(
        actual, expected, destructive=revert_destructive, keeps_generated=keeps_generated
    )
    lossy = {
        (d["what"], d["name"], _INVERSE.get(d["change"], d["change"]))
        for d in back
        if d.get("destructive")
    }
    out: list[Detail] = []
    for detail in forward:
        worded: Detail = {}
        for key, value in detail.items():
            if key == "destructive":
                continue
            worded[{"before": "expected", "after": "actual"}.get(key, key)] = value
        if (detail["what"], detail["name"], detail["change"]) in lossy:
            worded["revert_destructive"] = True
        out.append(worded)
    return out


# A part's change seen the other way round.
_INVERSE = {"added": "dropped", "dropped": "added", "granted": "revoked", "revoked": "granted"}


# ---- tables ---------------------------------------------------------------------------------


def _table(before: Table, after: Table, *, keeps_generated: bool) -> list[Detail]:
    out: list[Detail] = []
    old = {c.name: c for c in before.columns}
    new = {c.name: c for c in after.columns}
    for column in before.columns:
        if column.name not in new:
            out.append(
                {
                    "what": "column",
                    "name": column.name,
                    "change": "dropped",
                    "detail": _short(_column_sql(column)),
                    "destructive": True,
                }
            )
    for column in after.columns:
        if column.name not in old:
            out.append(
                {
                    "what": "column",
                    "name": column.name,
                    "change": "added",
                    "detail": _short(_column_sql(column)),
                }
            )
        else:
            out += _column(old[column.name], column, keeps_generated=keeps_generated)
    kept_before = [c.name for c in before.columns if c.name in new]
    kept_after = [c.name for c in after.columns if c.name in old]
    if kept_before != kept_after:
        out.append(_changed("columns", "", ", ".join(kept_before), ", ".join(kept_after)))
        out[-1]["change"] = "reordered"
    out += _constraints(before.constraints, after.constraints)
    return out


def _column_sql(column: Column) -> str:
    """The column's definition without its name: `text NOT NULL DEFAULT 'x'`."""
    return column.definition_sql().removeprefix(quote_ident(column.name)).lstrip()


def _column(old: Column, new: Column, *, keeps_generated: bool) -> list[Detail]:
    """How one column of the same name differs."""
    out: list[Detail] = []
    name = new.name
    if old.data_type != new.data_type:
        out.append(_changed("column", name, old.data_type, new.data_type, "retyped"))
        out[-1]["destructive"] = True
    if old.generated != new.generated:
        out.append(_changed("column", name, old.generated, new.generated, "generation changed"))
        if column_replaced(old, new) or not keeps_generated:
            out[-1]["destructive"] = True
    if (old.identity, old.identity_options) != (new.identity, new.identity_options):
        pair = _identity(old), _identity(new)
        out.append(_changed("column", name, pair[0], pair[1], "identity changed"))
    if old.default != new.default:
        out.append(_changed("column", name, old.default, new.default, "default changed"))
    if old.nullable != new.nullable:
        was, now = ("NULL" if c.nullable else "NOT NULL" for c in (old, new))
        out.append(_changed("column", name, was, now, "nullability changed"))
    if old.collation != new.collation:
        out.append(_changed("column", name, old.collation, new.collation, "collation changed"))
    if old.comment != new.comment:
        out.append(_changed("column", name, old.comment, new.comment, "comment changed"))
    for grant in sorted(set(new.grants) - set(old.grants), key=_grant_text):
        out.append(
            {"what": "column", "name": name, "change": "granted", "detail": _grant_text(grant)}
        )
    for grant in sorted(set(old.grants) - set(new.grants), key=_grant_text):
        out.append(
            {"what": "column", "name": name, "change": "revoked", "detail": _grant_text(grant)}
        )
    done = {"name", "data_type", "generated", "identity", "identity_options", "default"}
    done |= {"nullable", "collation", "comment", "grants"}
    for field in dataclasses.fields(Column):
        if field.name in done:
            continue
        was, now = getattr(old, field.name), getattr(new, field.name)
        if was != now:
            label = f"{field.name.replace('_', ' ')} changed"
            out.append(_changed("column", name, _value(was), _value(now), label))
    return out


def _identity(column: Column) -> str | None:
    if column.identity is None:
        return None
    options = f" ({' '.join(column.identity_options)})" if column.identity_options else ""
    return f"GENERATED {column.identity} AS IDENTITY{options}"


def _constraints(before: tuple[Constraint, ...], after: tuple[Constraint, ...]) -> list[Detail]:
    out: list[Detail] = []
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    for constraint in before:
        if constraint.name not in new:
            out.append(_part("constraint", constraint.name, "dropped", constraint.definition))
    for constraint in after:
        was = old.get(constraint.name)
        if was is None:
            out.append(_part("constraint", constraint.name, "added", constraint.definition))
            continue
        if (was.constraint_type, was.definition) != (
            constraint.constraint_type,
            constraint.definition,
        ):
            out.append(
                _changed("constraint", constraint.name, was.definition, constraint.definition)
            )
        if was.comment != constraint.comment:
            pair = was.comment, constraint.comment
            out.append(_changed("constraint", constraint.name, *pair, "comment changed"))
        if was.index_comment != constraint.index_comment:
            pair = was.index_comment, constraint.index_comment
            out.append(_changed("constraint", constraint.name, *pair, "index comment changed"))
    return out


# ---- types ----------------------------------------------------------------------------------


def _enum(before: Enum, after: Enum) -> list[Detail]:
    """Labels added (after which one, or first), dropped, or put in another order."""
    out: list[Detail] = []
    old = set(before.labels)
    for i, label in enumerate(after.labels):
        if label in old:
            continue
        where = f"after {quote_literal(after.labels[i - 1])}" if i else "first"
        out.append(_part("value", label, "added", where))
    new = set(after.labels)
    for label in before.labels:
        if label not in new:
            out.append({"what": "value", "name": label, "change": "dropped", "destructive": True})
    kept_before = [label for label in before.labels if label in new]
    kept_after = [label for label in after.labels if label in old]
    if kept_before != kept_after:
        pair = ", ".join(kept_before), ", ".join(kept_after)
        out.append(_changed("values", "", *pair, "reordered"))
        out[-1]["destructive"] = True  # the type is rebuilt, its values converted
    return out


def _domain(before: Domain, after: Domain) -> list[Detail]:
    out: list[Detail] = []
    if before.data_type != after.data_type:
        out.append(_changed("base type", "", before.data_type, after.data_type, "retyped"))
        if needs_recreate(before, after):
            out[-1]["destructive"] = True
    old = {c.name: c.definition for c in before.constraints}
    new = {c.name: c.definition for c in after.constraints}
    for name, definition in old.items():
        if name not in new:
            out.append(_part("constraint", name, "dropped", definition))
    for name, definition in new.items():
        if name not in old:
            out.append(_part("constraint", name, "added", definition))
        elif old[name] != definition:
            out.append(_changed("constraint", name, old[name], definition))
    return out


def _attributes(before: CompositeType, after: CompositeType) -> list[Detail]:
    out: list[Detail] = []
    old = {a.name: a for a in before.attributes}
    new = {a.name: a for a in after.attributes}
    for name, attribute in old.items():
        if name not in new:
            out.append(_part("attribute", name, "dropped", attribute.data_type))
            out[-1]["destructive"] = True
    for name, attribute in new.items():
        was = old.get(name)
        if was is None:
            out.append(_part("attribute", name, "added", attribute.data_type))
        elif was.data_type != attribute.data_type:
            out.append(_changed("attribute", name, was.data_type, attribute.data_type, "retyped"))
            out[-1]["destructive"] = True
        elif was.collation != attribute.collation:
            pair = was.collation, attribute.collation
            out.append(_changed("attribute", name, *pair, "collation changed"))
            out[-1]["destructive"] = True
    return out


# ---- what every object has --------------------------------------------------------------------


def _common(before: DbObject, after: DbObject) -> list[Detail]:
    out: list[Detail] = []
    if before.schema != after.schema:  # an extension moved (ALTER EXTENSION … SET SCHEMA)
        out.append(_changed("schema", "", before.schema, after.schema))
    if before.comment != after.comment:
        out.append(_changed("comment", "", before.comment, after.comment))
    for grant in sorted(set(after.grants) - set(before.grants), key=_grant_text):
        out.append(_part("grant", _grant_text(grant), "added", None))
    for grant in sorted(set(before.grants) - set(after.grants), key=_grant_text):
        out.append(_part("grant", _grant_text(grant), "dropped", None))
    return out


def _column_comments(before: View, after: View) -> list[Detail]:
    old, new = dict(before.column_comments), dict(after.column_comments)
    return [
        _changed("column", name, old.get(name), new.get(name), "comment changed")
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def _settings(before: DbObject, after: DbObject, handled: set[str]) -> list[Detail]:
    """Every other field that differs, with its two values."""
    if type(before) is not type(after):
        return [_changed("kind", "", before.kind, after.kind)]
    out: list[Detail] = []
    for field in dataclasses.fields(before):
        if field.name in handled:
            continue
        was, now = getattr(before, field.name), getattr(after, field.name)
        if was == now:
            continue
        if isinstance(was, str) and isinstance(now, str) and ("\n" in was or "\n" in now):
            out += _text_diff(field.name.replace("_", " "), was, now)
        elif _texts(was) and _texts(now) and set(was) != set(now):
            out += _entries(field.name, was, now)
        else:
            out.append(_setting(field.name, was, now))
    return out


def _texts(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, str) for v in value)


def _entries(field: str, before: tuple[str, ...], after: tuple[str, ...]) -> list[Detail]:
    """A list of settings (MySQL's table options, storage parameters, parent tables) entry
    by entry: `name=value` entries whose value changes as one change, others dropped or
    added."""
    what = field.replace("_", " ").removesuffix("s")
    old = {e.partition("=")[0] if "=" in e else e: e for e in before}
    new = {e.partition("=")[0] if "=" in e else e: e for e in after}
    out: list[Detail] = []
    for key, entry in old.items():
        if key not in new:
            out.append(_part(what, entry, "dropped", None))
        elif new[key] != entry:
            was, now = entry.partition("=")[2], new[key].partition("=")[2]
            out.append(_changed(what, key, was, now))
    for key, entry in new.items():
        if key not in old:
            out.append(_part(what, entry, "added", None))
    return out


def _setting(field: str, before: Any, after: Any) -> Detail:
    return _changed("setting", field.replace("_", " "), _value(before), _value(after))


# ---- text -------------------------------------------------------------------------------------


def _text_diff(what: str, before: str | None, after: str | None) -> list[Detail]:
    """A unified diff of two texts: changed lines (`- `, `+ `) with one line of context
    (`  `) around them, `…` between the places that change, at most MAX_DIFF_LINES."""
    old = _lines(before)
    new = _lines(after)
    if old == new:
        if before == after:
            return []
        # Only trailing blanks or line endings differ.
        return [_changed(what, "", _value(before), _value(after))]
    lines: list[str] = []
    for line in difflib.unified_diff(old, new, n=1, lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            if lines:
                lines.append("…")
            continue
        lines.append(_short(f"{line[:1] or ' '} {line[1:]}"))
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = lines[:MAX_DIFF_LINES] + [f"… {more} more line{'s' * (more != 1)}"]
    return [{"what": what, "name": "", "change": "changed", "lines": lines}]


def _lines(text: str | None) -> list[str]:
    """A text's lines, split where Markdown and HTML end a line (LF, CRLF, a lone CR)."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").rstrip().split("\n")


# ---- helpers ----------------------------------------------------------------------------------


def _part(what: str, name: str, change: str, detail: str | None) -> Detail:
    out: Detail = {"what": what, "name": name, "change": change}
    if detail is not None:
        out["detail"] = _short(detail)
    return out


def _changed(
    what: str, name: str, before: str | None, after: str | None, change: str = "changed"
) -> Detail:
    return {
        "what": what,
        "name": name,
        "change": change,
        "before": None if before is None else _short(before),
        "after": None if after is None else _short(after),
    }


def _value(value: Any) -> str | None:
    """A field's value as one short text: tuples joined, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ", ".join(str(_value(v)) for v in value) if value else "(none)"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _short(str({k: v for k, v in dataclasses.asdict(value).items() if v}))
    return _short(str(value))


def _grant_text(grant: Any) -> str:
    text = f"{grant.privilege} to {grant.grantee}"
    if grant.revoked:
        text = f"{grant.privilege} revoked from {grant.grantee}"
    return text + (" with grant option" if grant.grantable else "")


def _short(text: str) -> str:
    """One value, at most MAX_VALUE characters."""
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _capped(out: list[Detail]) -> list[Detail]:
    if len(out) <= MAX_DETAILS:
        return out
    kept = out[: MAX_DETAILS - 1]
    # A mark of what may lose data is never cut: the marked lines stay.
    kept += [d for d in out[MAX_DETAILS - 1 :] if d.get("destructive")]
    more = len(out) - len(kept)
    if more:
        kept.append({"what": "more", "name": "", "change": f"{more} more changes"})
    return kept


def keeps_generated(dialect: str) -> bool:
    """Whether the engine of `dialect` keeps a generated column's values when it becomes a
    plain one (`Engine.keeps_generated_values`), as the diff decides data loss by."""
    from dbci.engines.registry import find, model_engine

    return (find(dialect) or model_engine()).keeps_generated_values
