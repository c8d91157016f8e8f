"""Warehouses, locations and SKUs: the master data moves refer to.

Rule kept here: a location that stock or a unit has ever been at is deactivated, never
deleted, so the move history always names real places.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.storage.location_tree import Place, check_parents, stored_places

GLOBAL_LOCK = 0x5350_4C47  # "SPLG": ledger applies take it shared, rebuilds exclusively
TREE_LOCK = 0x5350_4C54  # "SPLT": location writes, so two imports cannot close a loop together

LOCATION_KINDS = ("zone", "aisle", "rack", "bin", "dock_door", "portal", "staging", "area",
                  "packing")


@dataclass(frozen=True, slots=True)
class Location:
    code: str
    warehouse: str
    kind: str
    parent: str | None = None
    name: str = ""
    x: float | None = None
    y: float | None = None
    width: float | None = None
    depth: float | None = None
    capacity: Decimal | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True, slots=True)
class Sku:
    sku: str
    gtin: str | None = None
    description: str = ""
    uom: str = "EA"
    category: str | None = None
    unit_value: Decimal | None = None


BUMP_ALL = "UPDATE ledger_versions SET version = version + 1"
LOCATION_FIELDS = ("code", "warehouse", "kind", "parent", "name", "x", "y", "width", "depth",
                   "capacity", "attributes", "active")


def ensure_warehouses(conn: psycopg.Connection, codes: Iterable[str]) -> None:
    conn.cursor().executemany(
        "INSERT INTO warehouses (code) VALUES (%s) ON CONFLICT DO NOTHING",
        [(c,) for c in sorted(set(codes))])


def _order_parents_first(locations: Sequence[Location]) -> list[Location]:
    by_code = {loc.code: loc for loc in locations}
    if len(by_code) != len(locations):  # which of the two was meant? say so, drop neither
        twice = sorted(c for c, n in Counter(loc.code for loc in locations).items() if n > 1)
        raise ValueError(f"location(s) given twice: {', '.join(twice)}")
    ordered: list[Location] = []
    seen: set[str] = set()

    def visit(loc: Location, path: tuple[str, ...]) -> None:
        if loc.code in seen:
            return
        if loc.code in path:
            raise ValueError(f"location {loc.code} is its own ancestor")
        parent = by_code.get(loc.parent or "")
        if parent is not None:
            visit(parent, (*path, loc.code))
        seen.add(loc.code)
        ordered.append(loc)

    for loc in locations:
        visit(loc, ())
    return ordered


def upsert_locations(conn: psycopg.Connection, locations: Sequence[Location]) -> int:
    """Insert or update locations (parents before children); returns how many were written."""
    ensure_warehouses(conn, (loc.warehouse for loc in locations))
    rows = [(loc.code, loc.warehouse, loc.kind, loc.parent, loc.name, loc.x, loc.y, loc.width,
             loc.depth, loc.capacity, Jsonb(loc.attributes), loc.active)
            for loc in _order_parents_first(locations)]
    cols = ", ".join(LOCATION_FIELDS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in LOCATION_FIELDS[1:])
    conn.cursor().executemany(
        f"INSERT INTO locations ({cols}) VALUES ({', '.join(['%s'] * len(LOCATION_FIELDS))}) "
        f"ON CONFLICT (code) DO UPDATE SET {updates}", rows)
    conn.execute(BUMP_ALL)  # hubs' cached location rows are stale now
    return len(rows)


def upsert_checked(conn: psycopg.Connection, locations: Sequence[Location], *,
                   refused: Collection[str] = (), partial: bool = False
                   ) -> tuple[int, dict[str, str]]:
    """Check every location's parents against the stored tree (location_tree) and write them,
    in one transaction under the tree lock: (how many were written, code -> why refused).
    Without `partial` one refusal writes nothing; with it the others are written."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (TREE_LOCK,))
        incoming = {loc.code: Place(loc.warehouse, loc.parent) for loc in locations}
        stored = stored_places(conn, {loc.parent for loc in locations if loc.parent})
        problems = check_parents(incoming, stored, refused)
        if problems and not partial:
            return 0, problems
        good = [loc for loc in locations if loc.code not in problems]
        return (upsert_locations(conn, good) if good else 0), problems


def upsert_skus(conn: psycopg.Connection, skus: Sequence[Sku]) -> int:
    conn.cursor().executemany(
        "INSERT INTO skus (sku, gtin, description, uom, category, unit_value) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (sku) DO UPDATE SET gtin = EXCLUDED.gtin, "
        "description = EXCLUDED.description, uom = EXCLUDED.uom, category = EXCLUDED.category, "
        "unit_value = EXCLUDED.unit_value",
        [(s.sku, s.gtin, s.description, s.uom, s.category, s.unit_value) for s in skus])
    return len(skus)


def location_in_use(conn: psycopg.Connection, code: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM moves WHERE from_location = %s OR to_location = %s) "
        "OR EXISTS (SELECT 1 FROM balances WHERE location = %s) "
        "OR EXISTS (SELECT 1 FROM locations WHERE parent = %s)",
        (code, code, code, code)).fetchone()
    return bool(row and row[0])


def remove_location(conn: psycopg.Connection, code: str) -> str:
    """Delete an unused location; deactivate one with history. Returns 'deleted' or
    'deactivated'; raises LookupError for an unknown code."""
    with conn.transaction():
        # Applies hold the global lock shared: none is between its check and its write of a
        # balance here (balances have no foreign key to locations; see migration 005).
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (GLOBAL_LOCK,))
        if conn.execute("SELECT 1 FROM locations WHERE code = %s", (code,)).fetchone() is None:
            raise LookupError(code)
        conn.execute(BUMP_ALL)
        return _deactivate_or_delete(conn, code)


def _deactivate_or_delete(conn: psycopg.Connection, code: str) -> str:
    if location_in_use(conn, code):
        conn.execute("UPDATE locations SET active = false WHERE code = %s", (code,))
        return "deactivated"
    conn.execute("DELETE FROM locations WHERE code = %s", (code,))
    return "deleted"
