"""Warehouses, locations and SKUs in PostgreSQL: the master data moves refer to.

Rule kept here: a location that stock or a unit has ever been at is deactivated, never
deleted, so the move history always names real places.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.catalog.model import Location, Sku, parents_first
from cloud_hub.catalog.pg.tree import stored_places
from cloud_hub.catalog.tree import Place, check_parents

GLOBAL_LOCK = 0x5350_4C47  # "SPLG": ledger applies take it shared, rebuilds exclusively
TREE_LOCK = 0x5350_4C54  # "SPLT": location writes, so two imports cannot close a loop together

BUMP_ALL = "UPDATE ledger_versions SET version = version + 1"
LOCATION_FIELDS = ("code", "warehouse", "kind", "parent", "name", "x", "y", "width", "depth",
                   "capacity", "attributes", "active")


def ensure_warehouses(conn: psycopg.Connection, codes: Iterable[str]) -> None:
    conn.cursor().executemany(
        "INSERT INTO warehouses (code) VALUES (%s) ON CONFLICT DO NOTHING",
        [(c,) for c in sorted(set(codes))])


def upsert_locations(conn: psycopg.Connection, locations: Sequence[Location]) -> int:
    """Insert or update locations (parents before children); returns how many were written."""
    ensure_warehouses(conn, (loc.warehouse for loc in locations))
    rows = [(loc.code, loc.warehouse, loc.kind, loc.parent, loc.name, loc.x, loc.y, loc.width,
             loc.depth, loc.capacity, Jsonb(loc.attributes), loc.active)
            for loc in parents_first(locations)]
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
    """Check every location's parents against the stored tree (catalog.tree) and write them,
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


SKU_COLUMNS = ("sku", "gtin", "description", "uom", "category", "unit_value")


def _location_dict(row: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(LOCATION_FIELDS, row, strict=True))
    if out["capacity"] is not None:
        out["capacity"] = float(out["capacity"])
    return out


def list_locations(conn: psycopg.Connection, warehouse: str | None, kind: str | None,
                   limit: int, offset: int) -> list[dict[str, Any]]:
    """Locations by code (of `warehouse` and `kind`; None: any), a page at a time."""
    rows = conn.execute(
        f"SELECT {', '.join(LOCATION_FIELDS)} FROM locations "
        "WHERE (%s::text IS NULL OR warehouse = %s) AND (%s::text IS NULL OR kind = %s) "
        "ORDER BY code LIMIT %s OFFSET %s", (warehouse, warehouse, kind, kind, limit, offset))
    return [_location_dict(r) for r in rows]


def get_location(conn: psycopg.Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(LOCATION_FIELDS)} FROM locations WHERE code = %s",
                       (code,)).fetchone()
    return None if row is None else _location_dict(row)


def known_warehouses(conn: psycopg.Connection, codes: Collection[str]) -> set[str]:
    """The warehouses among `codes` that exist."""
    return {w for (w,) in conn.execute("SELECT code FROM warehouses WHERE code = ANY(%s)",
                                       (sorted(codes),))}


def list_skus(conn: psycopg.Connection, q: str | None, limit: int, offset: int
              ) -> list[dict[str, Any]]:
    """SKUs by code, those matching `q` (code or description contains it, or GTIN is it)."""
    rows = conn.execute(
        f"SELECT {', '.join(SKU_COLUMNS)} FROM skus "
        "WHERE %s::text IS NULL OR sku ILIKE %s OR gtin = %s OR description ILIKE %s "
        "ORDER BY sku LIMIT %s OFFSET %s", (q, f"%{q}%", q, f"%{q}%", limit, offset))
    return [dict(zip(SKU_COLUMNS, r, strict=True)) for r in rows]


def known_item_keys(conn: psycopg.Connection, keys: Collection[str]) -> set[str]:
    """The item keys among `keys` (a SKU code, or "gtin:<GTIN>" as ItemLine.sku_key writes a
    line that names only its GTIN) that the catalog holds."""
    skus = sorted(k for k in keys if not k.startswith("gtin:"))
    gtins = sorted(k.removeprefix("gtin:") for k in keys if k.startswith("gtin:"))
    wanted = set(keys)  # once: a set per catalog row made 50,000 keys take seconds
    found: set[str] = set()
    for sku, gtin in conn.execute("SELECT sku, gtin FROM skus WHERE sku = ANY(%s) "
                                  "OR gtin = ANY(%s)", (skus, gtins)):
        found |= {sku, f"gtin:{gtin}"} & wanted
    return found
