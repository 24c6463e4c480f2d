"""The enabled states of partitions' copies of triggers, for the diff's DDL emitter.

A row trigger on a partitioned table has a copy on each partition, which PostgreSQL makes
and drops itself; the snapshot reads a copy (`Trigger.cloned_from`) only where its
enabled state differs from the trigger it copies, as pg_dump does. Setting a state on a
partitioned table (ALTER TABLE … DISABLE TRIGGER) sets its partitions' copies too, and a
new partition's copy takes its parent's state, so a copy's state is set after its
parent's, and again whenever its parent's is. Where anything of a trigger changes, all
copies' states in its partition tree are therefore set once more, parents first: the
copies B reads to B's state, and those only A reads to the state they take from B's
parent.
"""

from __future__ import annotations

from collections.abc import Mapping

from dbci.schema.diff import _Planner
from dbci.schema.model import DbObject, Key, Table, Trigger


def cloned_trigger_states(planner: _Planner) -> list[str]:
    """ALTER TABLE … ENABLE/DISABLE TRIGGER for the copies of the triggers this diff
    touches, once the triggers exist and the other triggers' states are set."""
    a, b = planner.a.objects, planner.b.objects
    a_clones = [o for o in a.values() if isinstance(o, Trigger) and o.cloned_from is not None]
    b_clones = [o for o in b.values() if isinstance(o, Trigger) and o.cloned_from is not None]
    if not a_clones and not b_clones:
        return []  # the usual case: nothing below costs a thing
    touched: set[tuple[Key, str]] = set()
    triggers = [o for o in planner.added + planner._recreated_any() if isinstance(o, Trigger)]
    triggers += [t for pair in planner._changed(Trigger) for t in pair]
    triggers += [o for o in a_clones if o.key not in b]
    for trigger in triggers:
        touched |= {_family(a, trigger), _family(b, trigger)}
    # A partition made, remade or attached: its copies come from its new parent.
    moved = planner.added_keys | planner.recreate | planner.attach
    for clone in b_clones:
        if any(k in moved for k in _lineage(b, _table_key(clone))):
            touched.add(_family(b, clone))
    out: list[tuple[int, Key, list[str]]] = []
    for clone in b_clones:
        if _family(b, clone) in touched:
            out.append((_depth(b, clone), clone.key, clone.state_sql()))
    for clone in a_clones:
        if clone.key in b or _family(a, clone) not in touched:
            continue
        # B's copy has the state of the nearest trigger above it that B reads.
        given = next(
            (
                t.enabled
                for table in _lineage(b, _table_key(clone))[1:]
                if isinstance(
                    t := b.get(("trigger", table[1], f"{table[2]}.{clone.name}")), Trigger
                )
            ),
            None,
        )
        if given is not None and _table_key(clone) in b:
            out.append((_depth(b, clone), clone.key, clone.state_sql(given)))
    return [statement for _, _, statements in sorted(out) for statement in statements]


def _table_key(trigger: Trigger) -> Key:
    return ("table", trigger.schema, trigger.table)


def _lineage(objects: Mapping[Key, DbObject], table: Key) -> list[Key]:
    """A table's key and those of the partitioned tables above it, nearest first."""
    out = [table]
    while isinstance(found := objects.get(out[-1]), Table) and found.partition_of:
        parent = found.parent_keys()[0]
        if parent in out:
            break
        out.append(parent)
    return out


def _family(objects: Mapping[Key, DbObject], trigger: Trigger) -> tuple[Key, str]:
    """The top table of a trigger's partition tree, and the trigger's name: its copies all
    have that name in that tree."""
    return _lineage(objects, _table_key(trigger))[-1], trigger.name


def _depth(objects: Mapping[Key, DbObject], trigger: Trigger) -> int:
    return len(_lineage(objects, _table_key(trigger)))
