"""The location hierarchy (zone › aisle › rack › bin): parents checked before they are stored
(the recursive SQL that walks the stored tree is in catalog/pg/tree.py).

Rule kept here (pure): no location becomes its own ancestor, a parent is a known location of
the same warehouse, and no chain is deeper than MAX_DEPTH — checked against the stored tree on
every write path (JSON, CSV).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

MAX_DEPTH = 32  # a site is zone › aisle › rack › level › bin; 32 levels is already absurd


@dataclass(frozen=True, slots=True)
class Place:
    """Where a location sits: its warehouse and its parent (None: a root)."""

    warehouse: str
    parent: str | None


def check_parents(incoming: Mapping[str, Place], stored: Mapping[str, Place],
                  refused: Collection[str] = ()) -> dict[str, str]:
    """Why each incoming location may not be stored as it is (absent: it may), judged on the
    tree as it will be: `incoming` replaces what `stored` says of the same code, and a row
    that is refused keeps its stored place. `refused` are codes of this request already
    refused for other reasons (a bad value). A row is refused for its own fault — its parent
    is unknown or in another warehouse, it closes a loop, it hangs too deep — and a row that
    only hung below such a row is judged again once that row is out."""
    active = dict(incoming)
    problems: dict[str, str] = {}
    while True:
        found = {c: f for c in active if (f := _walk(c, active, stored, {*refused, *problems}))}
        if not found:
            return problems
        culprits = {c for f in found.values() for c in f[1]}
        for code in culprits:
            problems[code] = found[code][0]
            del active[code]


def _walk(code: str, incoming: Mapping[str, Place], stored: Mapping[str, Place],
          refused: Collection[str]) -> tuple[str, set[str]] | None:
    """Follow the parents of `code` to a root: None, or what is wrong on the way and whose
    row is at fault (the incoming rows of a loop; the row pointing to an unknown parent)."""
    warehouse = incoming[code].warehouse
    path = [code]
    at = incoming[code].parent
    while at is not None:
        via = "" if len(path) == 1 else f" (above {path[-1]!r})"
        if at in path:
            loop = [*path[path.index(at):], at]
            at_fault = {c for c in loop if c in incoming} or {code}
            return f"parent chain loops: {' → '.join(loop)}", at_fault
        place = incoming.get(at) or stored.get(at)
        if place is None:
            why = "is refused in this request" if at in refused else "is not a known location"
            return f"parent {at!r}{via} {why}", {path[-1] if path[-1] in incoming else code}
        if len(path) == 1 and place.warehouse != warehouse:
            return f"parent {at!r} is in warehouse {place.warehouse!r}, not {warehouse!r}", {code}
        path.append(at)
        if len(path) > MAX_DEPTH:
            return f"more than {MAX_DEPTH} levels of parents above it", {code}
        at = place.parent
    return None


def describe(problems: Mapping[str, str], limit: int = 20) -> str:
    """One line for an error answer: the refused locations (the first `limit`) and why."""
    listed = sorted(problems.items())
    text = "; ".join(f"location {code}: {why}" for code, why in listed[:limit])
    return text + (f"; and {len(listed) - limit} more" if len(listed) > limit else "")
