"""Reading the warehouse for the work rules out of PostgreSQL: bins, SKU profiles, bin loads
and pickable stock (with lot expiry from `storage.lots` and the handling units it sits in).

Rule kept here: these reads translate rows into the core's frozen values and nothing else;
locations and SKUs are the ledger's master data (tables `locations`, `skus`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import psycopg

from cloud_hub.work.model import ZERO, Bin, BinKind, BinLoad, SkuProfile, StockLine
from cloud_hub.work.pg import lots
from protocol.events import StockStatus

_UNKNOWN = lots.LotInfo(None, None)
_KINDS = {"bin": BinKind.STORAGE, "rack": BinKind.STORAGE, "dock_door": BinKind.DOCK,
          "staging": BinKind.STAGING, "packing": BinKind.STAGING}


def _bin(code: str, warehouse: str, kind: str, parent: str | None, x: float | None,
         y: float | None, capacity: Decimal | None, attrs: dict[str, object]) -> Bin:
    tags = attrs.get("tags") or []
    work_kind = BinKind.QUARANTINE if attrs.get("quarantine") else _KINDS.get(kind, BinKind.DOCK)
    xs = float(x or 0.0)
    return Bin(code, warehouse, zone=str(attrs.get("zone") or parent or ""), x=xs,
               y=float(y or 0.0), aisle=int(attrs.get("aisle", round(xs))),  # type: ignore[call-overload]
               bay=int(attrs.get("bay", 0)), level=int(attrs.get("level", 0)),  # type: ignore[call-overload]
               capacity=capacity, kind=work_kind,
               tags=frozenset(str(t) for t in tags) if isinstance(tags, list) else frozenset())


def load_bins(conn: psycopg.Connection, warehouse: str) -> dict[str, Bin]:
    """Every active location of the warehouse that work can send someone to."""
    rows = conn.execute(
        "SELECT code, warehouse, kind, parent, x, y, capacity, attributes FROM locations "
        "WHERE warehouse = %s AND active AND kind IN ('bin','rack','dock_door','staging',"
        "'packing','area')", (warehouse,))
    return {r[0]: _bin(*r) for r in rows}


def load_bin(conn: psycopg.Connection, code: str) -> Bin | None:
    row = conn.execute("SELECT code, warehouse, kind, parent, x, y, capacity, attributes "
                       "FROM locations WHERE code = %s AND active", (code,)).fetchone()
    return _bin(*row) if row else None


def load_profiles(conn: psycopg.Connection, skus: Iterable[str]) -> dict[str, SkuProfile]:
    out: dict[str, SkuProfile] = {}
    for sku, gtin, category, attrs in conn.execute(
            "SELECT sku, gtin, category, attributes FROM skus WHERE sku = ANY(%s)",
            (sorted(set(skus)),)):
        needs = attrs.get("needs") or []
        out[sku] = SkuProfile(sku, category or "", Decimal(str(attrs.get("unit_volume", 1))),
                              frozenset(needs), attrs.get("home_bin"),
                              frozenset({gtin}) if gtin else frozenset())
    return out


def load_loads(conn: psycopg.Connection, warehouse: str,
               locations: Iterable[str] | None = None) -> dict[str, BinLoad]:
    """How full each bin is: Σ quantity × unit volume, and which (sku, lot) it holds."""
    sql = ("SELECT b.location, b.sku, b.lot, b.quantity, "
           "COALESCE((s.attributes->>'unit_volume')::numeric, 1) "
           "FROM balances b LEFT JOIN skus s ON s.sku = b.sku WHERE b.warehouse = %s")
    params: list[object] = [warehouse]
    if locations is not None:
        sql += " AND b.location = ANY(%s)"
        params.append(sorted(set(locations)))
    used: dict[str, Decimal] = defaultdict(lambda: ZERO)
    contents: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for loc, sku, lot, qty, volume in conn.execute(sql, params):
        used[loc] += qty * volume
        contents[loc].add((sku, lot))
    return {loc: BinLoad(used[loc], frozenset(contents[loc])) for loc in used}


def load_pickable(conn: psycopg.Connection, warehouse: str,
                  skus: Iterable[str]) -> list[StockLine]:
    """Available stock of these SKUs in storage bins, split into what sits inside handling
    units (picked out of the unit) and loose stock, with lot expiry and receipt time."""
    sku_list = sorted(set(skus))
    rows = conn.execute(
        "SELECT b.location, b.sku, b.lot, b.quantity "
        "FROM balances b JOIN locations loc ON loc.code = b.location "
        "WHERE b.warehouse = %s AND b.status = 'available' AND b.sku = ANY(%s) "
        "AND loc.kind IN ('bin', 'rack')", (warehouse, sku_list)).fetchall()
    known = lots.lot_infos(conn, {(sku, lot) for _, sku, lot, _ in rows if lot})
    in_units: dict[tuple[str, str, str], list[tuple[str, Decimal]]] = defaultdict(list)
    for loc, sku, lot, key, qty in conn.execute(
            "SELECT u.location, c.sku, c.lot, u.unit_key, c.quantity FROM units u "
            "JOIN unit_contents c ON c.unit_key = u.unit_key WHERE u.warehouse = %s "
            "AND c.status = 'available' AND c.sku = ANY(%s) AND u.location IS NOT NULL",
            (warehouse, sku_list)):
        in_units[(loc, sku, lot)].append((key, qty))
    out: list[StockLine] = []
    for loc, sku, lot, qty in rows:
        info = known.get((sku, lot), _UNKNOWN)
        expiry, received = info.expiry, info.received_at
        loose = qty
        for key, inside in sorted(in_units.get((loc, sku, lot), [])):
            take = min(inside, loose)
            if take > ZERO:
                out.append(StockLine(loc, sku, lot, take, StockStatus.AVAILABLE, expiry,
                                     received, key))
                loose -= take
        if loose > ZERO:
            out.append(StockLine(loc, sku, lot, loose, StockStatus.AVAILABLE, expiry, received))
    return out
