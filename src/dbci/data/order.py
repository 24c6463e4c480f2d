"""The order in which `dbci data refresh` copies tables: parents before their children.

A row can be inserted once the rows it references exist, so the tables are copied in
groups, each group's parents (through the foreign keys among the catalog's tables) in an
earlier group. Tables whose foreign keys form a cycle cannot be ordered so: they are one
group, copied together (with their foreign keys deferred, or checked after the group). The
groups are the strongly connected components of the foreign-key graph (Tarjan's
algorithm, iterative: a chain of ten thousand tables needs no deep recursion), put in
topological order; among the groups that may come next, the one whose first table sorts
first by (schema, name) does, so that the same catalog always gives the same order.

Foreign keys to tables outside the catalog (another schema, the history table) do not
order anything: those rows are not copied.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping

from dbci.data.model import Catalog, ForeignKey, Name


def parents(catalog: Catalog, table: Name) -> list[ForeignKey]:
    """The foreign keys of `table` whose parent is in the catalog (itself too, for a
    self-reference), in the table's order; KeyError when `table` is not in the catalog."""
    return [fk for fk in catalog.tables[table].foreign_keys if fk.parent in catalog.tables]


def children(catalog: Catalog, table: Name) -> list[tuple[Name, ForeignKey]]:
    """The foreign keys that reference `table`, with the table that has each (`table`
    itself for a self-reference), ordered by (schema, name) of that table, then by its
    foreign keys' order; KeyError when `table` is not in the catalog."""
    if table not in catalog.tables:
        raise KeyError(table)
    return [
        (key, fk)
        for key in sorted(catalog.tables)
        for fk in catalog.tables[key].foreign_keys
        if fk.parent == table
    ]


def copy_order(catalog: Catalog) -> list[list[Name]]:
    """Every table of the catalog once, in groups: each table's parents are in an earlier
    group or its own. A group holds several tables only when their foreign keys form a
    cycle (a self-reference alone does not); its tables are sorted by (schema, name), and
    of the groups that may come next, the one with the first table in that order does."""
    nodes = sorted(catalog.tables)
    edges = {
        key: sorted({fk.parent for fk in parents(catalog, key) if fk.parent != key})
        for key in nodes
    }
    groups = [sorted(group) for group in _strongly_connected(nodes, edges)]
    group_of = {key: number for number, group in enumerate(groups) for key in group}
    # How many groups each group still waits for, and the groups waiting for each.
    waiting_for = [0] * len(groups)
    dependents: list[set[int]] = [set() for _ in groups]
    for number, group in enumerate(groups):
        needed = {group_of[parent] for key in group for parent in edges[key]} - {number}
        waiting_for[number] = len(needed)
        for parent_group in needed:
            dependents[parent_group].add(number)
    ready = [(group[0], number) for number, group in enumerate(groups) if not waiting_for[number]]
    heapq.heapify(ready)
    order: list[list[Name]] = []
    while ready:
        _, number = heapq.heappop(ready)
        order.append(groups[number])
        for dependent in dependents[number]:
            waiting_for[dependent] -= 1
            if not waiting_for[dependent]:
                heapq.heappush(ready, (groups[dependent][0], dependent))
    return order


def _strongly_connected(nodes: list[Name], edges: Mapping[Name, list[Name]]) -> list[list[Name]]:
    """The strongly connected components of the graph (Tarjan's algorithm, with an explicit
    stack of the nodes being visited and where each is in its list of successors)."""
    index: dict[Name, int] = {}
    low: dict[Name, int] = {}
    stack: list[Name] = []
    on_stack: set[Name] = set()
    components: list[list[Name]] = []

    def visit(node: Name) -> tuple[Name, Iterator[Name]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(edges[node])

    for root in nodes:
        if root in index:
            continue
        visiting = [visit(root)]
        while visiting:
            node, successors = visiting[-1]
            for successor in successors:
                if successor not in index:
                    visiting.append(visit(successor))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:  # every successor seen: the node is done
                visiting.pop()
                if visiting:
                    caller = visiting[-1][0]
                    low[caller] = min(low[caller], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components
