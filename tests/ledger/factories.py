"""Building StockMoved events and a small site for ledger tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from protocol import ItemLine, Source, StockMoved, UnitRef

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SITE = ["DOCK-1", "BIN-A", "BIN-B", "BIN-C"]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def item_move(sku: str, qty: int | str, frm: str | None, to: str | None, *, lot: str = "L1",
              t: float = 0, event_id: uuid.UUID | None = None, wh: str = "WH1",
              status: str = "available", **extra: object) -> StockMoved:
    return StockMoved(
        event_id=event_id or uuid.uuid4(), occurred_at=at(t), warehouse=wh,
        source=Source(kind="pda", device_id="pda-1"),
        item=ItemLine(sku=sku, lot=lot, quantity=Decimal(qty), status=status),
        from_location=frm, to_location=to, reason="transfer" if frm and to else "receive",
        **extra)


def unit_move(sscc: str, frm: str | None, to: str | None, *, t: float = 0,
              contents: tuple[ItemLine, ...] = (), event_id: uuid.UUID | None = None,
              wh: str = "WH1") -> StockMoved:
    return StockMoved(
        event_id=event_id or uuid.uuid4(), occurred_at=at(t), warehouse=wh,
        source=Source(kind="rfid", device_id="gw-1", read_point="DOCK-1"),
        unit=UnitRef(sscc=sscc), contents=contents,
        from_location=frm, to_location=to, reason="portal_pass")


def line(sku: str, qty: int, lot: str = "L1") -> ItemLine:
    return ItemLine(sku=sku, lot=lot, quantity=Decimal(qty))
