"""`make demo`: the hub's ledger on the embedded database, sample moves applied, stock printed.

Rule kept here: the demo uses the same apply path as the hub (apply_batch); its moves have
fixed event ids, so running it twice shows the exactly-once ledger at work.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cloud_hub.demo_site import WAREHOUSE, demo_locations, demo_skus
from cloud_hub.settings import HubSettings
from protocol import ItemLine, Source, StockMoved, UnitRef

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


def run_demo(settings: HubSettings, args: argparse.Namespace) -> int:
    if getattr(args, "full", False):
        from deploy.demo_system import run_full_demo  # type: ignore[import-not-found]
        return int(run_full_demo(settings))
    from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
    from cloud_hub.db.database import connect, resolve_url
    from cloud_hub.storage.ledger_store import apply_batch
    from cloud_hub.storage.rebuild import check_consistency

    where = "HUB_DATABASE_URL" if settings.database_url else "embedded PostgreSQL"
    print(f"StockPulse demo — ledger on {where}")
    url = resolve_url(settings.database_url, None)
    with connect(url) as conn:
        with conn.transaction():
            upsert_locations(conn, demo_locations())
            upsert_skus(conn, demo_skus())
        result = apply_batch(conn, sample_moves(), applied_by="demo")
        print(f"applied {result.applied}, late {result.late}, rejected {result.rejected}, "
              f"already applied before {len(result.duplicates)}")
        for outcome in result.outcomes:
            if outcome.code:
                print(f"  rejected {outcome.event_id}: {outcome.reason}")
        print("\nStock on hand:")
        print(f"  {'location':<14}{'sku':<14}{'lot':<10}{'status':<12}{'qty':>8}")
        for loc, sku, lot, status, qty in conn.execute(
                "SELECT location, sku, lot, status, quantity FROM balances "
                "WHERE warehouse = %s ORDER BY location, sku", (WAREHOUSE,)):
            print(f"  {loc:<14}{sku:<14}{lot or '-':<10}{status:<12}{qty:>8}")
        print("\nPallets:")
        for key, loc, since in conn.execute(
                "SELECT unit_key, location, since FROM units ORDER BY unit_key"):
            print(f"  {key:<26} at {loc:<14} since {since:%Y-%m-%d %H:%M}")
        report = check_consistency(conn)
        print(f"\nrebuild from {report.moves_folded} moves equals the balances: {report.ok}")
    return 0 if report.ok else 1
