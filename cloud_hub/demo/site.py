"""The demo warehouse WH1: two dock doors with portals, a receiving area, racks of bins; and
sample moves for it, with fixed event ids.

Coordinates are metres on the floor plan (x east, y north); the map draws from them.
Dock door codes match the LLRP emulator's demo scenario (DOCK-1, DOCK-2).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cloud_hub.catalog.model import Location, Sku
from protocol import ItemLine, Source, StockMoved, UnitRef

WAREHOUSE = "WH1"


def demo_locations(aisles: int = 4, bays: int = 10, levels: int = 3) -> list[Location]:
    wh = WAREHOUSE
    locs = [
        Location("WH1-DOCKS", wh, "zone", None, "Docks", 0, 0, 40, 8),
        Location("WH1-STORAGE", wh, "zone", None, "Storage", 0, 12, 40, 30),
        Location("RECEIVING", wh, "area", "WH1-DOCKS", "Receiving", 22, 1, 10, 6),
        Location("STAGING-OUT", wh, "staging", "WH1-DOCKS", "Outbound staging", 33, 1, 6, 6),
        Location("PACKING", wh, "packing", "WH1-DOCKS", "Packing", 33, 8, 6, 3),
    ]
    for i, x in ((1, 4.0), (2, 12.0)):
        gw = "gw-dock"
        locs += [
            Location(f"DOCK-{i}", wh, "dock_door", "WH1-DOCKS", f"Dock door {i}", x, 0, 4, 1,
                     attributes={"gateway": gw, "portal": f"PORTAL-{i}"}),
            Location(f"DOCK-{i}-IN", wh, "area", "WH1-DOCKS", f"Dock {i} inside", x, 1.5, 4, 3),
            Location(f"PORTAL-{i}", wh, "portal", f"DOCK-{i}", f"RFID portal {i}", x, 0.5, 4,
                     0.5, attributes={"gateway": gw, "readers": [f"reader-{i}"]}),
        ]
    for a in range(1, aisles + 1):
        aisle = f"A{a:02d}"
        ax = 2 + (a - 1) * 9
        locs.append(Location(aisle, wh, "aisle", "WH1-STORAGE", f"Aisle {a}", ax, 12, 8, 28))
        for side, dx in (("L", 0.0), ("R", 6.5)):
            rack = f"{aisle}-{side}"
            locs.append(Location(rack, wh, "rack", aisle, f"Rack {rack}", ax + dx, 12, 1.5, 28))
            for b in range(1, bays + 1):
                for lv in range(1, levels + 1):
                    locs.append(Location(
                        f"{rack}-{b:02d}-{lv}", wh, "bin", rack, "", ax + dx,
                        12 + (b - 1) * 2.8, 1.5, 2.6, Decimal(1000),
                        attributes={"level": lv, "bay": b, "aisle": a}))
    return locs


def demo_skus() -> list[Sku]:
    return [
        Sku("SKU-COFFEE", "09506000134352", "Coffee beans 1 kg", "EA", "food", Decimal("12.50")),
        Sku("SKU-TEA", "09506000134369", "Green tea 250 g", "EA", "food", Decimal("4.20")),
        Sku("SKU-MUG", "09506000134376", "Ceramic mug", "EA", "homeware", Decimal("3.10")),
        Sku("SKU-KETTLE", "09506000134383", "Electric kettle", "EA", "appliance", Decimal("29")),
    ]


DEMO_NS = uuid.UUID("0b6f1a8e-54b2-4d1e-9a53-8f0c3de1a001")
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _eid(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NS, name)


def sample_moves() -> list[StockMoved]:
    rfid = Source(kind="rfid", device_id="gw-dock", read_point="PORTAL-1")
    pda = Source(kind="pda", device_id="pda-7")
    moves: list[StockMoved] = []
    pallets = [("106141411234567897", "SKU-COFFEE", "LOT-A1", 40),
               ("106141411234567903", "SKU-TEA", "LOT-T7", 120),
               ("106141411234567910", "SKU-MUG", "LOT-M2", 60)]
    for i, (sscc, sku, lot, qty) in enumerate(pallets):
        moves.append(StockMoved(
            event_id=_eid(f"in-{sscc}"), occurred_at=T0 + timedelta(minutes=i), warehouse=WAREHOUSE,
            source=rfid, unit=UnitRef(sscc=sscc), from_location=None, to_location="DOCK-1-IN",
            contents=(ItemLine(sku=sku, lot=lot, quantity=Decimal(qty)),), reason="receive"))
        moves.append(StockMoved(
            event_id=_eid(f"put-{sscc}"), occurred_at=T0 + timedelta(minutes=10 + i),
            warehouse=WAREHOUSE, source=pda, unit=UnitRef(sscc=sscc), from_location="DOCK-1-IN",
            to_location=f"A01-L-{i + 1:02d}-1", reason="putaway", user="alice"))
    moves.append(StockMoved(
        event_id=_eid("pick-1"), occurred_at=T0 + timedelta(minutes=30), warehouse=WAREHOUSE,
        source=pda, unit=UnitRef(sscc=pallets[0][0]),
        item=ItemLine(sku="SKU-COFFEE", lot="LOT-A1", quantity=Decimal(6)),
        from_location="A01-L-01-1", to_location="PACKING", reason="pick", user="bob"))
    moves.append(StockMoved(  # this one is refused: there is no kettle stock to pick
        event_id=_eid("pick-2"), occurred_at=T0 + timedelta(minutes=31), warehouse=WAREHOUSE,
        source=pda, item=ItemLine(sku="SKU-KETTLE", quantity=Decimal(1)),
        from_location="A01-L-02-1", to_location="PACKING", reason="pick", user="bob"))
    return moves
