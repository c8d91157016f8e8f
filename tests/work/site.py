"""A small warehouse for work tests: a dock, a staging lane, two aisles of bins, SKUs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import psycopg

from cloud_hub.catalog.model import Location, Sku
from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
from cloud_hub.ledger.pg.store import apply_batch
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved

WH = "WH1"
T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)


def build_site(conn: psycopg.Connection) -> None:
    locs = [Location("DOCK-1", WH, "dock_door", x=0, y=0),
            Location("STAGE-1", WH, "staging", x=1, y=0)]
    for aisle in (1, 2):
        for bay in range(1, 5):
            locs.append(Location(f"A{aisle}-{bay:02d}", WH, "bin", x=aisle * 4.0, y=bay * 2.0,
                                 capacity=Decimal(100),
                                 attributes={"aisle": aisle, "bay": bay, "zone": "ambient"}))
    upsert_locations(conn, locs)
    upsert_skus(conn, [Sku("SKU-1", gtin="09506000134352"), Sku("SKU-2")])


def stock(conn: psycopg.Connection, sku: str, qty: int, location: str, lot: str = "L1") -> None:
    move = StockMoved(event_id=uuid.uuid4(), occurred_at=T0, warehouse=WH,
                      source=Source(kind=SourceKind.SYSTEM, device_id="seed"),
                      item=ItemLine(sku=sku, lot=lot, quantity=Decimal(qty)),
                      to_location=location, reason=Reason.RECEIVE)
    assert apply_batch(conn, [move], "seed").applied == 1
