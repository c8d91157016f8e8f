"""Read-side queries over the ledger: stock on hand, where a unit is, moves between times.

Rule kept here: reads never lock; every list is bounded (limit) and pages by a stable key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from cloud_hub.catalog.pg.tree import SUBTREE_SQL


@dataclass(frozen=True, slots=True)
class StockRow:
    warehouse: str
    location: str
    sku: str
    lot: str
    status: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class UnitWhere:
    unit_key: str
    epc: str | None
    sscc: str | None
    warehouse: str
    location: str | None
    since: datetime
    last_event: UUID
    contents: tuple[StockRow, ...]


@dataclass(frozen=True, slots=True)
class MoveRow:
    seq: int
    event_id: UUID
    occurred_at: datetime
    received_at: datetime
    warehouse: str
    source_kind: str
    device_id: str
    unit_key: str | None
    sku: str | None
    lot: str | None
    quantity: Decimal | None
    from_location: str | None
    to_location: str | None
    reason: str
    user_id: str | None
    applied_by: str | None
    outcome: str
    note: str | None


STOCK_SQL = "SELECT warehouse, location, sku, lot, status, quantity FROM balances"
MOVE_SQL = ("SELECT seq, event_id, occurred_at, received_at, warehouse, source_kind, device_id, "
            "unit_key, sku, lot, quantity, from_location, to_location, reason, user_id, "
            "applied_by, outcome, note FROM moves")


def _stock(conn: psycopg.Connection, where: str, params: tuple[Any, ...]) -> list[StockRow]:
    return [StockRow(*r) for r in conn.execute(
        f"{STOCK_SQL} WHERE quantity <> 0 AND {where} ORDER BY location, sku, lot, status",
        params)]


def stock_by_sku(conn: psycopg.Connection, sku: str, warehouse: str | None = None,
                 lot: str | None = None) -> list[StockRow]:
    """Where a SKU is, per location, lot and status."""
    return _stock(conn, "sku = %s AND (%s::text IS NULL OR warehouse = %s) "
                  "AND (%s::text IS NULL OR lot = %s)", (sku, warehouse, warehouse, lot, lot))


def stock_at(conn: psycopg.Connection, location: str) -> list[StockRow]:
    """What a location holds (its own balances, not its children's)."""
    return _stock(conn, "location = %s", (location,))


def stock_under(conn: psycopg.Connection, location: str) -> list[StockRow]:
    """What a location and everything below it (zone › aisle › rack › bin) holds."""
    return _stock(conn, f"location IN ({SUBTREE_SQL})", (location,))


def stock_summary(conn: psycopg.Connection, warehouse: str | None = None,
                  limit: int = 1000, offset: int = 0) -> list[tuple[str, str, Decimal]]:
    """On hand per (warehouse, SKU), all locations and statuses together."""
    return list(conn.execute(
        "SELECT warehouse, sku, sum(quantity) FROM balances WHERE (%s::text IS NULL OR "
        "warehouse = %s) GROUP BY 1, 2 ORDER BY 1, 2 LIMIT %s OFFSET %s",
        (warehouse, warehouse, limit, offset)))


def _unit_key_for(identifier: str) -> list[str]:
    ident = identifier.strip()
    if ident.startswith(("sscc:", "epc:")):
        return [ident]
    keys = [f"epc:{ident.upper()}"]
    if ident.isdigit() and len(ident) == 18:
        keys.insert(0, f"sscc:{ident}")
    if ident.startswith("00") and len(ident) == 20 and ident.isdigit():
        keys.insert(0, f"sscc:{ident[2:]}")  # a GS1 element string (00)SSCC
    return keys


def where_is(conn: psycopg.Connection, identifier: str) -> UnitWhere | None:
    """Where a pallet or case is, by SSCC, EPC hex or ledger key."""
    keys = _unit_key_for(identifier)
    row = conn.execute(
        "SELECT unit_key, epc, sscc, warehouse, location, since, last_event FROM units "
        "WHERE unit_key = ANY(%s) OR upper(epc) = upper(%s) ORDER BY since DESC LIMIT 1",
        (keys, identifier.strip())).fetchone()
    if row is None:
        return None
    contents = tuple(StockRow(row[3], row[4] or "", sku, lot, st, q)
                     for sku, lot, st, q in conn.execute(
                         "SELECT sku, lot, status, quantity FROM unit_contents WHERE "
                         "unit_key = %s ORDER BY sku, lot, status", (row[0],)))
    unit_key, epc, sscc, warehouse, location, since, last_event = row
    return UnitWhere(unit_key, epc, sscc, warehouse, location, since, last_event, contents)


def unit_history(conn: psycopg.Connection, identifier: str, limit: int = 200) -> list[MoveRow]:
    """Every recorded move of a unit, in the order they happened."""
    unit = where_is(conn, identifier)
    return moves_of_unit(conn, [unit.unit_key] if unit else _unit_key_for(identifier), limit)


def moves_of_unit(conn: psycopg.Connection, keys: list[str], limit: int = 200) -> list[MoveRow]:
    """The moves of the unit(s) with these ledger keys, in the order they happened."""
    return [MoveRow(*r) for r in conn.execute(
        f"{MOVE_SQL} WHERE unit_key = ANY(%s) ORDER BY occurred_at, seq LIMIT %s", (keys, limit))]


def moves_between(conn: psycopg.Connection, start: datetime, end: datetime, *,
                  warehouse: str | None = None, location: str | None = None,
                  lot: str | None = None, sku: str | None = None,
                  after_seq: int = 0, limit: int = 500) -> list[MoveRow]:
    """Moves that happened in [start, end), paged by seq (pass the last row's seq); `lot` and
    `sku` keep the item moves of that lot / SKU (a filter named only when given, so the
    planner sees it and uses the (lot, sku, occurred_at) index)."""
    where = ["occurred_at >= %s", "occurred_at < %s", "seq > %s"]
    params: list[Any] = [start, end, after_seq]
    if warehouse is not None:
        where.append("warehouse = %s")
        params.append(warehouse)
    if location is not None:
        where.append("(from_location = %s OR to_location = %s)")
        params += [location, location]
    if lot is not None:
        where.append("lot = %s AND lot <> ''")
        params.append(lot)
    if sku is not None:
        where.append("sku = %s")
        params.append(sku)
    params.append(limit)
    return [MoveRow(*r) for r in conn.execute(
        f"{MOVE_SQL} WHERE {' AND '.join(where)} ORDER BY seq LIMIT %s", params)]


def lot_seen(conn: psycopg.Connection, lot: str, sku: str | None,
             warehouse: str | None) -> bool:
    """Whether any move of the lot (of the SKU) was recorded (in the warehouse)."""
    where, params = ["lot = %s", "lot <> ''"], [lot]
    for column, value in (("sku", sku), ("warehouse", warehouse)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    return conn.execute(f"SELECT 1 FROM moves WHERE {' AND '.join(where)} LIMIT 1",
                        params).fetchone() is not None
