"""A small seeded ledger for planning tests: locations in two warehouses and move builders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

from cloud_hub.catalog.model import Location, Sku
from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
from cloud_hub.ledger.pg.store import apply_batch
from protocol import ItemLine, Source, StockMoved, UnitRef

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


def at(day: float, hours: float = 0.0) -> datetime:
    return T0 + timedelta(days=day, hours=hours)


def site(conn: psycopg.Connection, wh: str, wh2: str | None = None) -> None:
    locs = [Location(f"{wh}-BIN-A", wh, "bin"), Location(f"{wh}-BIN-B", wh, "bin"),
            Location(f"{wh}-PACK", wh, "packing"), Location(f"{wh}-DOCK", wh, "dock_door")]
    if wh2:
        locs += [Location(f"{wh2}-BIN-A", wh2, "bin")]
    upsert_locations(conn, locs)
    upsert_skus(conn, [Sku("S1", unit_value=Decimal(2)), Sku("S2", unit_value=Decimal(5))])


def move(wh: str, sku: str, qty: float, frm: str | None, to: str | None, reason: str,
         when: datetime, lot: str = "L1", expiry: str | None = None) -> StockMoved:
    return StockMoved(
        event_id=uuid.uuid4(), occurred_at=when, warehouse=wh,
        source=Source(kind="pda", device_id="pda-9"),
        item=ItemLine(sku=sku, lot=lot, quantity=Decimal(str(qty)), expiry=expiry),
        from_location=frm, to_location=to, reason=reason)


def pallet(wh: str, sscc: str, contents: tuple[ItemLine, ...], frm: str | None, to: str | None,
           reason: str, when: datetime) -> StockMoved:
    return StockMoved(
        event_id=uuid.uuid4(), occurred_at=when, warehouse=wh,
        source=Source(kind="rfid", device_id="gw-9"), unit=UnitRef(sscc=sscc),
        contents=contents, from_location=frm, to_location=to, reason=reason)


def apply(conn: psycopg.Connection, moves: list[StockMoved]) -> None:
    result = apply_batch(conn, moves, "planning-test")
    assert result.rejected == 0, [o for o in result.outcomes if o.code]


def history(wh: str, days: int, start: datetime) -> list[StockMoved]:
    """Receive 2000 (lot expiring 20 days after the history), then a pick of 20 every second
    day: intermittent demand, so the policy keeps a real safety stock."""
    moves = [move(wh, "S1", 2000, None, f"{wh}-BIN-A", "receive", start,
                  expiry=(start + timedelta(days=days + 20)).date().isoformat())]
    moves += [move(wh, "S1", 20, f"{wh}-BIN-A", None, "pick", start + timedelta(days=d))
              for d in range(1, days) if d % 2 == 0]
    return moves
